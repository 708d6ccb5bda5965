// Waits of operator requests: answered once, when every instance settled, or at the limit
// naming those that did not; never inside the call that added them.
#include <doctest/doctest.h>

#include <set>

#include "supervisor/waits.hpp"

namespace {

using namespace taskmux::supervisor;
using std::chrono::milliseconds;

/// Stand-ins: waits only hands the pointers to the predicate, which never dereferences them.
instance* fake(uintptr_t n) { return reinterpret_cast<instance*>(n * 64); }

struct world {
  boost::asio::io_context loop;
  waits w{loop};
  std::set<const instance*> settled;
  waits::settled_fn is_settled = [this](const instance& i) { return settled.count(&i) > 0; };
};

}  // namespace

TEST_CASE("waits: answered once every instance settled, at the next check") {
  world t;
  int answers = 0;
  std::vector<instance*> late{fake(9)};
  t.w.add({fake(1), fake(2)}, t.is_settled, milliseconds(10'000), [&](std::vector<instance*> l) {
    ++answers;
    late = std::move(l);
  });
  t.loop.poll();
  CHECK(answers == 0);
  t.settled.insert(fake(1));
  t.w.check();
  CHECK(answers == 0);
  t.settled.insert(fake(2));
  t.w.check();
  CHECK(answers == 1);
  CHECK(late.empty());
  t.w.check();
  t.loop.poll();
  CHECK(answers == 1);
  CHECK(t.w.size() == 0);
}

TEST_CASE("waits: already settled is answered from the loop, not inside add") {
  world t;
  t.settled = {fake(1)};
  int answers = 0;
  t.w.add({fake(1)}, t.is_settled, milliseconds(10'000), [&](std::vector<instance*>) { ++answers; });
  CHECK(answers == 0);
  t.loop.poll();
  CHECK(answers == 1);
}

TEST_CASE("waits: at the limit, the instances that did not settle are named") {
  world t;
  t.settled = {fake(2)};
  std::vector<instance*> late;
  int answers = 0;
  t.w.add({fake(1), fake(2), fake(3)}, t.is_settled, milliseconds(20), [&](std::vector<instance*> l) {
    ++answers;
    late = std::move(l);
  });
  t.loop.run_for(milliseconds(200));
  CHECK(answers == 1);
  CHECK(late == std::vector<instance*>{fake(1), fake(3)});
}

TEST_CASE("waits: an answer may add the next wait (restart: stop, then start)") {
  world t;
  t.settled = {fake(1)};
  int second = 0;
  t.w.add({fake(1)}, t.is_settled, milliseconds(10'000), [&](std::vector<instance*>) {
    t.w.add({fake(1)}, t.is_settled, milliseconds(10'000), [&](std::vector<instance*>) { ++second; });
  });
  t.loop.poll();
  t.loop.poll();
  CHECK(second == 1);
}

TEST_CASE("waits: a forgotten instance (removed by a reload) counts as settled") {
  world t;
  int answers = 0;
  t.w.add({fake(1), fake(2)}, t.is_settled, milliseconds(10'000), [&](std::vector<instance*>) { ++answers; });
  t.settled.insert(fake(2));
  t.w.forget(*fake(1));
  t.w.check();
  CHECK(answers == 1);
}
