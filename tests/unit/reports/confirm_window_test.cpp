// Publisher confirms → outbox rows that may be removed: in-order, multiple, out-of-order and
// duplicate acks.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>

#include "reports/confirm_window.hpp"

namespace {

using taskmux::reports::confirm_window;

/// Rows 10, 20, 30, 40 sent as delivery tags 1..4.
confirm_window four_sent() {
  confirm_window w;
  for (int64_t id : {10, 20, 30, 40})
    w.sent(id);
  return w;
}

}  // namespace

TEST_CASE("confirm window: single acks in order release one row each") {
  auto w = four_sent();
  uint64_t newly = 0;
  CHECK(w.ack(1, false, newly) == std::optional<int64_t>(10));
  CHECK(newly == 1);
  CHECK(w.ack(2, false, newly) == std::optional<int64_t>(20));
  CHECK(w.size() == 2);
  CHECK(w.oldest() == std::optional<int64_t>(30));
}

TEST_CASE("confirm window: a multiple ack releases every row up to its tag") {
  auto w = four_sent();
  uint64_t newly = 0;
  CHECK(w.ack(3, true, newly) == std::optional<int64_t>(30));
  CHECK(newly == 3);
  CHECK(w.size() == 1);
}

TEST_CASE("confirm window: an ack ahead of an unconfirmed tag releases nothing yet") {
  auto w = four_sent();
  uint64_t newly = 0;
  CHECK_FALSE(w.ack(2, false, newly).has_value());
  CHECK(newly == 1);
  CHECK(w.size() == 4);
  CHECK(w.ack(1, false, newly) == std::optional<int64_t>(20));
  CHECK(w.size() == 2);
}

TEST_CASE("confirm window: a multiple ack does not count singly confirmed rows twice") {
  auto w = four_sent();
  uint64_t newly = 0;
  w.ack(3, false, newly);
  CHECK(w.ack(4, true, newly) == std::optional<int64_t>(40));
  CHECK(newly == 3);
  CHECK(w.empty());
}

TEST_CASE("confirm window: duplicate acks and acks for tags never sent change nothing") {
  auto w = four_sent();
  uint64_t newly = 0;
  w.ack(2, true, newly);
  CHECK_FALSE(w.ack(1, false, newly).has_value());
  CHECK(newly == 0);
  CHECK_FALSE(w.ack(9, true, newly).has_value());
  CHECK(newly == 0);
  CHECK(w.size() == 2);
}

TEST_CASE("confirm window: tags keep counting after the window ran empty") {
  confirm_window w;
  uint64_t newly = 0;
  w.sent(1);
  CHECK(w.ack(1, false, newly) == std::optional<int64_t>(1));
  w.sent(7);
  CHECK(w.ack(2, false, newly) == std::optional<int64_t>(7));
  CHECK(w.empty());
}
