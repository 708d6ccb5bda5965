// The heap is trimmed once after a burst, when the supervisor has been quiet; never while
// things keep happening, never on a clock while nothing happens.
#include <doctest/doctest.h>

#include <boost/asio/steady_timer.hpp>

#include "supervisor/heap_trim.hpp"

namespace {

using taskmux::supervisor::heap_trim;
using std::chrono::milliseconds;

constexpr milliseconds quiet{30};

struct counted {
  boost::asio::io_context loop;
  int trims = 0;
  heap_trim trim{loop, quiet, [this] { ++trims; }};
};

}  // namespace

TEST_CASE("heap trim: nothing happened, nothing is trimmed") {
  counted c;
  c.loop.run_for(quiet * 4);
  CHECK(c.trims == 0);
}

TEST_CASE("heap trim: a burst is trimmed once, after it went quiet") {
  counted c;
  for (int i = 0; i < 100; ++i) c.trim.activity();
  c.loop.run_for(quiet * 6);
  CHECK(c.trims == 1);
}

TEST_CASE("heap trim: not while the activity goes on") {
  counted c;
  // Something every third of `quiet`, for 10 quiet periods.
  boost::asio::steady_timer tick(c.loop);
  int ticks = 0;
  std::function<void()> next = [&] {
    c.trim.activity();
    if (++ticks == 30) return;
    tick.expires_after(quiet / 3);
    tick.async_wait([&](boost::system::error_code) { next(); });
  };
  next();
  c.loop.run_for(quiet * 9);
  CHECK(ticks < 30);
  CHECK(c.trims == 0);
  c.loop.restart();
  c.loop.run_for(quiet * 8);
  CHECK(ticks == 30);
  CHECK(c.trims == 1);
}

TEST_CASE("heap trim: a later burst is trimmed again") {
  counted c;
  c.trim.activity();
  c.loop.run_for(quiet * 4);
  c.loop.restart();
  c.trim.activity();
  c.loop.run_for(quiet * 4);
  CHECK(c.trims == 2);
}

TEST_CASE("heap trim: churn alone (an idle supervisor's periodic snapshot) never trims") {
  counted c;
  for (int i = 0; i < 5; ++i) {
    c.trim.churn();
    c.loop.run_for(quiet * 2);
    c.loop.restart();
  }
  CHECK(c.trims == 0);
}

TEST_CASE("heap trim: churn after activity delays the trim that is due, which then runs once") {
  counted c;
  c.trim.activity();
  c.loop.run_for(quiet / 2);
  c.loop.restart();
  c.trim.churn();
  c.loop.run_for(quiet * 3 / 4);  // past the first deadline, not past the delayed one
  c.loop.restart();
  CHECK(c.trims == 0);
  c.loop.run_for(quiet * 4);
  CHECK(c.trims == 1);
}
