// The lifecycle transition function: every (state, event) pair against the table of
// docs/lifecycle.md, then the transitions whose outcome depends on facts.
#include <doctest/doctest.h>

#include <string>

#include "supervisor/lifecycle.hpp"

namespace {

using namespace taskmux::supervisor;
using std::chrono::milliseconds;

constexpr state all_states[] = {state::stopped, state::starting, state::running,  state::ready,
                                state::backoff, state::waiting,  state::blocked,  state::stopping,
                                state::exited,  state::fatal};
constexpr event all_events[] = {event::start,         event::deps_ready,      event::deps_failed,
                                event::spawned,       event::spawn_failed,    event::ready_passed, event::exited,
                                event::group_gone,    event::backoff_elapsed, event::cycle_due,
                                event::stop,          event::stop_timeout,    event::run_timeout,
                                event::health_failed, event::watchdog_expired};

/// A transition as docs/lifecycle.md writes it: "next: action, action", or "—" when ignored.
std::string describe(const transition& t) {
  if (!t.applies) return "—";
  std::string s(to_string(t.next));
  bool first = true;
  for (auto a : t.actions) {
    if (a == action::none) continue;
    s += first ? ": " : ", ";
    s += to_string(a);
    first = false;
  }
  return s;
}

// Cells for default facts (not looped, deps ready, no stop requested, no leftovers, no restart).
// Same table as docs/lifecycle.md; keep them in step.
constexpr const char* X = "exited: cancel_timers, report_exited";      // after run, default facts
constexpr const char* S = "running: report_started, arm_ready_check";  // spawned, not looped
constexpr const char* T = "stopped: cancel_timers, report_stopped";    // stop while nothing runs
constexpr const char* o = "—";                                         // ignored

// Columns: start, deps_ready, deps_failed, spawned, spawn_failed, ready_passed, exited,
// group_gone, backoff_elapsed, cycle_due, stop, stop_timeout, run_timeout, health_failed,
// watchdog_expired.
constexpr const char* expected[10][15] = {
    /* stopped  */ {"stopped: spawn", o, o, S, X, o, o, o, o, o, o, o, o, o, o},
    /* starting */
    {"starting: spawn", "starting: spawn", "blocked: report_blocked", S, X, o, o, o, o, o, T, o, o, o, o},
    /* running  */
    {o, o, o, o, o, "ready: report_ready, arm_health_check", X, o, o, o, "stopping: report_stopping, signal_stop", o,
     "stopping: signal_stop", "stopping: report_health_failed, signal_stop",
     "stopping: report_watchdog_expired, signal_stop"},
    /* ready    */
    {o, o, o, o, o, o, X, o, o, o, "stopping: report_stopping, signal_stop", o, "stopping: signal_stop",
     "stopping: report_health_failed, signal_stop", "stopping: report_watchdog_expired, signal_stop"},
    /* backoff  */ {"backoff: spawn", o, o, S, X, o, o, o, "backoff: spawn", o, T, o, o, o, o},
    /* waiting  */ {"waiting: spawn", o, o, S, X, o, o, o, o, "waiting: spawn", T, o, o, o, o},
    /* blocked  */ {"blocked: spawn", "starting: spawn", o, S, X, o, o, o, o, o, T, o, o, o, o},
    /* stopping */
    {o, o, o, o, o, o, X, X, o, o, "stopping", "stopping: report_killed, kill_group", o, o, o},
    /* exited   */ {"exited: spawn", o, o, S, X, o, o, o, o, o, o, o, o, o, o},
    /* fatal    */ {"fatal: spawn", o, o, S, X, o, o, o, o, o, o, o, o, o, o},
};

facts looped() {
  facts f;
  f.is_looped = true;
  return f;
}

facts restarting(milliseconds delay = milliseconds(400)) {
  facts f;
  f.wants_restart = true;
  f.run_failed = true;
  f.backoff_delay = delay;
  return f;
}

}  // namespace

TEST_CASE("lifecycle: every (state, event) pair matches the table of docs/lifecycle.md") {
  const facts defaults;
  int checked = 0;
  for (size_t si = 0; si < std::size(all_states); ++si)
    for (size_t ei = 0; ei < std::size(all_events); ++ei) {
      auto s = all_states[si];
      auto e = all_events[ei];
      CAPTURE(to_string(s));
      CAPTURE(to_string(e));
      CHECK(describe(next(s, e, defaults)) == expected[si][ei]);
      ++checked;
    }
  CHECK(checked == 10 * 15);
}

TEST_CASE("lifecycle: an ignored event leaves the state as it was and does nothing") {
  for (auto s : all_states)
    for (auto e : all_events) {
      auto t = next(s, e, facts{});
      if (t.applies) continue;
      CAPTURE(to_string(s));
      CAPTURE(to_string(e));
      CHECK(t.next == s);
      for (auto a : t.actions)
        CHECK(a == action::none);
    }
}

TEST_CASE("lifecycle: every state, event and action has its SPEC spelling") {
  CHECK(to_string(state::stopped) == "stopped");
  CHECK(to_string(state::waiting) == "waiting");
  CHECK(to_string(state::fatal) == "fatal");
  for (auto s : all_states)
    CHECK(to_string(s) != "?");
  for (auto e : all_events)
    CHECK(to_string(e) != "?");
  for (int a = 0; a <= static_cast<int>(action::report_blocked); ++a)
    CHECK(to_string(static_cast<action>(a)) != "?");
}

TEST_CASE(
    "lifecycle: a start whose dependencies are not ready waits in starting, then spawns on "
    "deps_ready") {
  facts f;
  f.deps_ready = false;
  for (auto s : {state::stopped, state::exited, state::fatal, state::backoff, state::waiting,
                 state::starting}) {
    CAPTURE(to_string(s));
    CHECK(describe(next(s, event::start, f)) == "starting");
  }
  CHECK(describe(next(state::starting, event::deps_ready, f)) == "starting: spawn");
}

TEST_CASE("lifecycle: a start whose dependency failed for good is blocked, with a fault report") {
  facts f;
  f.deps_ready = false;
  f.deps_failed = true;
  for (auto s : {state::stopped, state::exited, state::fatal, state::backoff, state::waiting, state::starting,
                 state::blocked}) {
    CAPTURE(to_string(s));
    CHECK(describe(next(s, event::start, f)) == "blocked: report_blocked");
  }
  // Waiting in starting when the dependency fails.
  CHECK(describe(next(state::starting, event::deps_failed, f)) == "blocked: report_blocked");
  // Only a start that waits on its dependencies is blocked: what runs keeps running.
  for (auto s : {state::running, state::ready, state::backoff, state::waiting, state::stopping, state::exited})
    CHECK_FALSE(next(s, event::deps_failed, f).applies);
}

TEST_CASE("lifecycle: a blocked task starts once its dependencies are ready again, and stops on request") {
  facts f;
  CHECK(describe(next(state::blocked, event::deps_ready, f)) == "starting: spawn");
  CHECK(describe(next(state::blocked, event::stop, f)) == "stopped: cancel_timers, report_stopped");
  CHECK_FALSE(next(state::blocked, event::deps_failed, f).applies);
}

TEST_CASE("lifecycle: a task that exits 1 with restart=never stays exited") {
  facts f;
  f.run_failed = true;
  f.wants_restart = false;
  auto t = next(state::running, event::exited, f);
  CHECK(t.next == state::exited);
  CHECK(t.has(action::report_exited));
  CHECK(t.has(action::cancel_timers));
  CHECK_FALSE(t.has(action::spawn));
}

TEST_CASE("lifecycle: a task that exits 0 with restart=on-failure or never stays exited") {
  // restart_policy says no for a successful run under on-failure and never.
  facts f;
  f.run_failed = false;
  f.wants_restart = false;
  CHECK(describe(next(state::ready, event::exited, f)) == "exited: cancel_timers, report_exited");
}

TEST_CASE(
    "lifecycle: a task that exits with restart=always or on-failure backs off before restarting") {
  // always after success, on-failure after failure: both come in as wants_restart.
  for (bool failed : {false, true}) {
    auto f = restarting();
    f.run_failed = failed;
    auto t = next(state::ready, event::exited, f);
    CHECK(t.next == state::backoff);
    CHECK(describe(t) == "backoff: report_exited, report_backoff, arm_backoff");
    CHECK_FALSE(t.has(action::spawn));
  }
  CHECK(describe(next(state::backoff, event::backoff_elapsed, restarting())) == "backoff: spawn");
}

TEST_CASE(
    "lifecycle: a restart that would exceed the start limit makes the task fatal with a fault "
    "report") {
  auto f = restarting();
  f.start_limit_hit = true;
  auto t = next(state::running, event::exited, f);
  CHECK(t.next == state::fatal);
  CHECK(t.has(action::report_fatal));
  CHECK(t.has(action::report_exited));
  CHECK(t.has(action::cancel_timers));
  CHECK_FALSE(t.has(action::spawn));
  CHECK_FALSE(t.has(action::arm_backoff));
  // Fatal stays fatal until a start.
  CHECK_FALSE(next(state::fatal, event::backoff_elapsed, f).applies);
  CHECK_FALSE(next(state::fatal, event::cycle_due, f).applies);
  CHECK(next(state::fatal, event::start, f).has(action::spawn));
}

TEST_CASE("lifecycle: a failed spawn goes through the same restart decision as an exit") {
  auto f = restarting();
  CHECK(describe(next(state::stopped, event::spawn_failed, f)) ==
        "backoff: report_exited, report_backoff, arm_backoff");
  f.start_limit_hit = true;
  CHECK(next(state::backoff, event::spawn_failed, f).next == state::fatal);
}

TEST_CASE("lifecycle: a zero backoff restarts at once and drops the deadlines of the last run") {
  auto f = restarting(milliseconds(0));
  auto t = next(state::running, event::exited, f);
  CHECK(t.next == state::backoff);
  CHECK(t.has(action::spawn));
  CHECK(t.has(action::report_exited));
  CHECK(t.has(action::cancel_timers));
  CHECK_FALSE(t.has(action::arm_backoff));
  CHECK_FALSE(t.has(action::report_backoff));
  // From stopping (after a kill), the stop deadline must not outlive the run into the next one.
  CHECK(describe(next(state::stopping, event::group_gone, f)) ==
        "backoff: cancel_timers, report_exited, spawn");
}

TEST_CASE("lifecycle: a looped run that ends late starts the next run at once") {
  auto f = looped();
  f.until_next_cycle = milliseconds(-1500);
  auto t = next(state::running, event::exited, f);
  CHECK(t.next == state::waiting);
  CHECK(t.has(action::spawn));
  CHECK(t.has(action::report_cycle_succeeded));
  CHECK(t.has(action::cancel_timers));
  CHECK_FALSE(t.has(action::arm_cycle));
  f.until_next_cycle = milliseconds(0);
  CHECK(next(state::running, event::exited, f).has(action::spawn));
}

TEST_CASE("lifecycle: a looped run that ends on time waits for the next cycle") {
  auto f = looped();
  f.until_next_cycle = milliseconds(4000);
  CHECK(describe(next(state::running, event::exited, f)) ==
        "waiting: report_cycle_succeeded, arm_cycle");
  f.run_failed = true;
  CHECK(describe(next(state::running, event::exited, f)) ==
        "waiting: report_cycle_failed, arm_cycle");
  CHECK(describe(next(state::waiting, event::cycle_due, f)) == "waiting: spawn");
}

TEST_CASE("lifecycle: a looped task ignores the restart policy and the start limit") {
  auto f = looped();
  f.until_next_cycle = milliseconds(4000);
  f.run_failed = true;
  f.wants_restart = false;
  f.start_limit_hit = true;
  auto t = next(state::running, event::exited, f);
  CHECK(t.next == state::waiting);
  CHECK(t.has(action::report_cycle_failed));
  CHECK_FALSE(t.has(action::report_fatal));
  CHECK_FALSE(t.has(action::report_exited));
}

TEST_CASE("lifecycle: a spawned looped run reports cycle_started and arms its run timeout") {
  CHECK(describe(next(state::waiting, event::spawned, looped())) ==
        "running: report_cycle_started, arm_run_timeout");
  CHECK(describe(next(state::stopped, event::spawned, looped())) ==
        "running: report_cycle_started, arm_run_timeout");
}

TEST_CASE("lifecycle: a looped run that times out is stopped, then reported as a failed cycle") {
  auto f = looped();
  CHECK(describe(next(state::running, event::run_timeout, f)) == "stopping: signal_stop");
  f.run_failed = true;
  f.until_next_cycle = milliseconds(100);
  CHECK(describe(next(state::stopping, event::exited, f)) ==
        "waiting: report_cycle_failed, arm_cycle");
}

TEST_CASE("lifecycle: an exit after a requested stop ends in stopped whatever the policy says") {
  auto f = restarting();
  f.stop_requested = true;
  f.start_limit_hit = true;
  f.is_looped = true;
  for (auto e : {event::exited, event::group_gone}) {
    CAPTURE(to_string(e));
    CHECK(describe(next(state::stopping, e, f)) == "stopped: cancel_timers, report_stopped");
  }
  CHECK(describe(next(state::running, event::exited, f)) ==
        "stopped: cancel_timers, report_stopped");
}

TEST_CASE(
    "lifecycle: a main process that leaves processes behind has them stopped before any decision") {
  auto f = restarting();
  f.has_leftovers = true;
  for (auto s : {state::running, state::ready}) {
    CAPTURE(to_string(s));
    CHECK(describe(next(s, event::exited, f)) == "stopping: signal_stop");
  }
  // Already stopping: keep waiting for the group to be gone.
  CHECK(describe(next(state::stopping, event::exited, f)) == "stopping");
  f.has_leftovers = false;
  CHECK(describe(next(state::stopping, event::group_gone, f)) ==
        "backoff: report_exited, report_backoff, arm_backoff");
}

TEST_CASE(
    "lifecycle: a task that outlives stop_timeout gets SIGKILL to its group and a fault report") {
  auto t = next(state::stopping, event::stop_timeout, facts{});
  CHECK(t.next == state::stopping);
  CHECK(t.has(action::kill_group));
  CHECK(t.has(action::report_killed));
}

TEST_CASE("lifecycle: a failed health check or watchdog stops the instance with a fault report") {
  auto t = next(state::ready, event::health_failed, facts{});
  CHECK(t.next == state::stopping);
  CHECK(t.has(action::report_health_failed));
  CHECK(t.has(action::signal_stop));
  CHECK_FALSE(t.has(action::report_stopping));
  t = next(state::running, event::watchdog_expired, facts{});
  CHECK(t.next == state::stopping);
  CHECK(t.has(action::report_watchdog_expired));
  CHECK(t.has(action::signal_stop));
  // Then restart decides as for any failed exit.
  CHECK(next(state::stopping, event::exited, restarting()).next == state::backoff);
}

TEST_CASE("lifecycle: ready_passed counts only while running") {
  CHECK(describe(next(state::running, event::ready_passed, facts{})) == "ready: report_ready, arm_health_check");
  for (auto s : all_states)
    if (s != state::running) {
      CAPTURE(to_string(s));
      CHECK_FALSE(next(s, event::ready_passed, facts{}).applies);
    }
}

TEST_CASE("lifecycle: transition::has finds only the actions it carries") {
  auto t = next(state::running, event::stop, facts{});
  CHECK(t.has(action::report_stopping));
  CHECK(t.has(action::signal_stop));
  CHECK_FALSE(t.has(action::kill_group));
  CHECK(t.has(action::none));  // unused slots
}
