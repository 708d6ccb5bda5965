// The real deadline on a real io_context: a wait that expired while another handler ran first
// is dropped once it was re-armed, cancelled, or its deadline destroyed (its owner may be gone).
#include <doctest/doctest.h>

#include <thread>

#include "supervisor/loop_deadline.hpp"

namespace {

using namespace taskmux::supervisor;
using std::chrono::milliseconds;

/// Two deadlines that expire together: both handlers are queued before either runs.
struct two_due {
  boost::asio::io_context loop;
  std::unique_ptr<loop_deadline> a = std::make_unique<loop_deadline>(loop);
  std::unique_ptr<loop_deadline> b = std::make_unique<loop_deadline>(loop);
  int fired = 0;
  void arm_both(std::function<void()> first_does) {
    a->arm(milliseconds(1), [this, f = std::move(first_does)] {
      ++fired;
      f();
    });
    b->arm(milliseconds(1), [this] { ++fired; });
    std::this_thread::sleep_for(milliseconds(20));
  }
};

}  // namespace

TEST_CASE("loop_deadline: a wait that already expired does not fire once it was cancelled") {
  two_due t;
  t.arm_both([&] { t.b->cancel(); });
  t.loop.run();
  CHECK(t.fired == 1);
}

TEST_CASE("loop_deadline: a wait that already expired does not fire once it was armed again") {
  two_due t;
  bool second = false;
  t.arm_both([&] { t.b->arm(milliseconds(50), [&] { second = true; }); });
  t.loop.run();
  CHECK(t.fired == 1);
  CHECK(second);
}

TEST_CASE("loop_deadline: a wait that already expired does not fire once its deadline is destroyed") {
  two_due t;
  t.arm_both([&] { t.b.reset(); });
  t.loop.run();
  CHECK(t.fired == 1);
}
