// Restart decisions: the restart policy, the backoff curve with its jitter, the start limit.
#include <doctest/doctest.h>

#include <limits>

#include "supervisor/restart_policy.hpp"

namespace {

using namespace taskmux::supervisor;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using taskmux::config::restart_policy;

taskmux::config::backoff backoff_of(milliseconds initial, milliseconds max) {
  taskmux::config::backoff b;
  b.initial = initial;
  b.max = max;
  return b;
}

taskmux::config::start_limit limit_of(int burst, milliseconds interval) {
  taskmux::config::start_limit l;
  l.burst = burst;
  l.interval = interval;
  return l;
}

}  // namespace

TEST_CASE(
    "restart policy: always restarts after any exit, on-failure only after a failure, never "
    "never") {
  CHECK(wants_restart(restart_policy::always, false));
  CHECK(wants_restart(restart_policy::always, true));
  CHECK_FALSE(wants_restart(restart_policy::on_failure, false));
  CHECK(wants_restart(restart_policy::on_failure, true));
  CHECK_FALSE(wants_restart(restart_policy::never, false));
  CHECK_FALSE(wants_restart(restart_policy::never, true));
}

TEST_CASE("restart policy: without jitter the backoff doubles from initial and stays at max") {
  auto b = backoff_of(100ms, 30s);
  const long long want[] = {100,  200,   400,   800,   1600,  3200,
                            6400, 12800, 25600, 30000, 30000, 30000};
  for (int attempt = 1; attempt <= static_cast<int>(std::size(want)); ++attempt) {
    CAPTURE(attempt);
    CHECK(backoff_delay(b, attempt, 0.0).count() == want[attempt - 1]);
  }
}

TEST_CASE("restart policy: a huge attempt number stays at max without overflow") {
  auto b = backoff_of(100ms, 30s);
  CHECK(backoff_delay(b, 64, 0.0) == 30s);
  CHECK(backoff_delay(b, 1'000'000, 0.0) == 30s);
  CHECK(backoff_delay(b, std::numeric_limits<int>::max(), 0.0) == 30s);
}

TEST_CASE("regression: the largest backoff with the largest jitter is not negative") {
  auto longest = std::chrono::duration_cast<milliseconds>(std::chrono::hours(876'000));
  CHECK(backoff_delay(backoff_of(longest, longest), 100, 1.0) == longest * 6 / 5);
  const auto huge = milliseconds::max();
  for (double jitter : {-1.0, 0.0, 1.0}) {
    CAPTURE(jitter);
    CHECK(backoff_delay(backoff_of(huge, huge), 1, jitter) > 0ms);
    CHECK(backoff_delay(backoff_of(1ms, huge), std::numeric_limits<int>::max(), jitter) > 0ms);
  }
}

TEST_CASE("restart policy: jitter moves the delay by at most 20% either way") {
  auto b = backoff_of(100ms, 30s);
  CHECK(backoff_delay(b, 1, -1.0) == 80ms);
  CHECK(backoff_delay(b, 1, 1.0) == 120ms);
  CHECK(backoff_delay(b, 3, 0.5) == 440ms);
  for (int attempt = 1; attempt <= 14; ++attempt)
    for (double j = -1.0; j <= 1.0; j += 0.125) {
      CAPTURE(attempt);
      CAPTURE(j);
      auto base = static_cast<double>(backoff_delay(b, attempt, 0.0).count());
      auto d = static_cast<double>(backoff_delay(b, attempt, j).count());
      CHECK(d >= base * 0.8 - 0.5);
      CHECK(d <= base * 1.2 + 0.5);
    }
}

TEST_CASE("restart policy: the backoff is never above max * 1.2, even with jitter out of range") {
  auto b = backoff_of(100ms, 30s);
  for (int attempt = 1; attempt <= 40; ++attempt) {
    CAPTURE(attempt);
    CHECK(backoff_delay(b, attempt, 1.0) <= 36s);
    CHECK(backoff_delay(b, attempt, 7.0) <= 36s);
    CHECK(backoff_delay(b, attempt, -7.0) >= 80ms);
  }
  CHECK(backoff_delay(b, 20, 1.0) == 36s);
  CHECK(backoff_delay(b, 20, 7.0) == 36s);
  CHECK(backoff_delay(b, 20, -7.0) == 24s);
}

TEST_CASE("restart policy: a zero initial backoff means restart at once") {
  auto b = backoff_of(0ms, 30s);
  for (int attempt = 1; attempt <= 10; ++attempt) {
    CHECK(backoff_delay(b, attempt, 0.0) == 0ms);
    CHECK(backoff_delay(b, attempt, 1.0) == 0ms);
  }
}

TEST_CASE("restart policy: attempt 0 (no failed run yet) has no delay") {
  CHECK(backoff_delay(backoff_of(100ms, 30s), 0, 1.0) == 0ms);
}

TEST_CASE("restart policy: the smallest non-zero backoff stays non-zero with jitter") {
  auto b = backoff_of(1ms, 30s);
  CHECK(backoff_delay(b, 1, -1.0) == 1ms);
}

TEST_CASE(
    "restart policy: the start limit allows burst starts within interval and refuses the next") {
  start_history h;
  auto limit = limit_of(3, 10s);
  auto t0 = clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    auto now = t0 + i * 1s;
    CHECK_FALSE(h.would_exceed(limit, now));
    h.record(limit, now);
  }
  CHECK(h.would_exceed(limit, t0 + 3s));
  CHECK(h.would_exceed(limit, t0 + 9999ms));
}

TEST_CASE("restart policy: the start limit forgets starts older than interval") {
  start_history h;
  auto limit = limit_of(3, 10s);
  auto t0 = clock::time_point{} + 1h;
  h.record(limit, t0);
  h.record(limit, t0 + 1s);
  h.record(limit, t0 + 2s);
  CHECK(h.would_exceed(limit, t0 + 9s));
  CHECK_FALSE(h.would_exceed(limit, t0 + 10s));  // the first start is interval old: forgotten
  h.record(limit, t0 + 10s);
  CHECK(h.would_exceed(limit, t0 + 10500ms));    // t0 + 1s, t0 + 2s, t0 + 10s
  CHECK_FALSE(h.would_exceed(limit, t0 + 11s));  // t0 + 1s is interval old now
  CHECK_FALSE(h.would_exceed(limit, t0 + 30s));  // all forgotten
  h.record(limit, t0 + 30s);
  h.record(limit, t0 + 31s);
  CHECK_FALSE(h.would_exceed(limit, t0 + 32s));
}

TEST_CASE("restart policy: a start limit with burst 0 never refuses") {
  start_history h;
  auto limit = limit_of(0, 10s);
  auto t0 = clock::time_point{} + 1h;
  for (int i = 0; i < 1000; ++i) {
    CHECK_FALSE(h.would_exceed(limit, t0 + i * 1ms));
    h.record(limit, t0 + i * 1ms);
  }
  CHECK(h.size() == 0);
}

TEST_CASE("restart policy: a start history keeps only the last burst starts, however many there were") {
  start_history h;
  auto limit = limit_of(2, 2min);
  auto t0 = clock::time_point{} + 1h;
  for (int i = 0; i < 1000; ++i) h.record(limit, t0 + i * 1min);
  CHECK(h.size() == 2);
  CHECK(h.would_exceed(limit, t0 + 999min + 9s));  // the last two: t0 + 998 min and t0 + 999 min
  CHECK_FALSE(h.would_exceed(limit, t0 + 1000min));
}

TEST_CASE("restart policy: a smaller burst after a reload starts the history afresh") {
  start_history h;
  auto t0 = clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i) h.record(limit_of(5, 10s), t0 + i * 1s);
  auto smaller = limit_of(2, 10s);
  CHECK_FALSE(h.would_exceed(smaller, t0 + 5s));
  h.record(smaller, t0 + 5s);
  h.record(smaller, t0 + 6s);
  CHECK(h.size() == 2);
  CHECK(h.would_exceed(smaller, t0 + 7s));
}

TEST_CASE("restart policy: a cleared start history allows a full burst again") {
  start_history h;
  auto limit = limit_of(2, 10s);
  auto t0 = clock::time_point{} + 1h;
  h.record(limit, t0);
  h.record(limit, t0 + 1s);
  CHECK(h.would_exceed(limit, t0 + 2s));
  h.clear();
  CHECK_FALSE(h.would_exceed(limit, t0 + 2s));
}
