#include "supervisor/lifecycle.hpp"

#include <initializer_list>

namespace taskmux::supervisor {
namespace {

transition go(state s, std::initializer_list<action> actions = {}) {
  transition t{s};
  int i = 0;
  for (auto a : actions) t.actions[i++] = a;
  return t;
}

transition ignore(state s) {
  transition t{s};
  t.applies = false;
  return t;
}

/// `t` without `a`.
transition without(transition t, action a) {
  int n = 0;
  for (auto x : t.actions)
    if (x != a) t.actions[n++] = x;
  while (n < transition::max_actions) t.actions[n++] = action::none;
  return t;
}

transition decide_after_run(const facts& f);

/// A run is over and nothing of it is left: what next. An exit reported when its leftovers
/// were found is not reported twice.
transition after_run(const facts& f) {
  auto t = decide_after_run(f);
  return f.exit_reported ? without(t, action::report_exited) : t;
}

transition decide_after_run(const facts& f) {
  // A run spawned at once drops the deadlines first: the stop_timeout or SIGKILL re-check of the
  // run that just ended must not fire into the new one (arm_backoff and arm_cycle re-arm anyway).
  if (f.stop_requested) return go(state::stopped, {action::cancel_timers, action::report_stopped});
  if (f.is_looped) {
    auto report = f.run_failed ? action::report_cycle_failed : action::report_cycle_succeeded;
    if (f.until_next_cycle.count() <= 0)
      return go(state::waiting, {action::cancel_timers, report, action::spawn});
    return go(state::waiting, {report, action::arm_cycle});
  }
  if (!f.wants_restart) return go(state::exited, {action::cancel_timers, action::report_exited});
  if (f.start_limit_hit) return go(state::fatal, {action::cancel_timers, action::report_exited, action::report_fatal});
  if (f.backoff_delay.count() == 0)
    return go(state::backoff, {action::cancel_timers, action::report_exited, action::spawn});
  return go(state::backoff, {action::report_exited, action::report_backoff, action::arm_backoff});
}

transition on_spawned(const facts& f) {
  if (f.is_looped) return go(state::running, {action::report_cycle_started, action::arm_run_timeout});
  return go(state::running, {action::report_started, action::arm_ready_check});
}

transition start_or_wait(state s, const facts& f) {
  if (f.deps_failed) return go(state::blocked, {action::report_blocked});
  if (!f.deps_ready) return go(state::starting);
  return go(s, {action::spawn});
}

transition stop_now(state) { return go(state::stopped, {action::cancel_timers, action::report_stopped}); }

transition from_idle(state s, event e, const facts& f) {
  if (e == event::start) return start_or_wait(s, f);
  return ignore(s);
}

transition from_up(state s, event e, const facts& f) {
  switch (e) {
    case event::ready_passed:
      return s == state::running ? go(state::ready, {action::report_ready, action::arm_health_check}) : ignore(s);
    case event::exited:
      // Said at once (a failure is a fault now, not after the cleanup), then the cleanup.
      if (f.has_leftovers && f.daemonized)
        return go(state::stopping,
                  {action::report_exited, action::report_daemonized, action::report_leftovers, action::signal_stop});
      if (f.has_leftovers)
        return go(state::stopping, {action::report_exited, action::report_leftovers, action::signal_stop});
      return after_run(f);
    case event::stop: return go(state::stopping, {action::report_stopping, action::signal_stop});
    case event::run_timeout: return go(state::stopping, {action::signal_stop});
    case event::health_failed: return go(state::stopping, {action::report_health_failed, action::signal_stop});
    case event::watchdog_expired:
      return go(state::stopping, {action::report_watchdog_expired, action::signal_stop});
    case event::kill: return go(state::stopping, {action::report_forced_kill, action::kill_group});
    default: return ignore(s);
  }
}

transition from_stopping(event e, const facts& f) {
  switch (e) {
    case event::stop_timeout: return go(state::stopping, {action::report_killed, action::kill_group});
    case event::exited: return f.has_leftovers ? go(state::stopping) : after_run(f);
    case event::group_gone: return after_run(f);
    case event::stop: return go(state::stopping);
    // stop_timeout's SIGKILL was reported already; the shutdown's only repeats it.
    case event::kill:
      return f.killing ? go(state::stopping, {action::kill_group})
                       : go(state::stopping, {action::report_forced_kill, action::kill_group});
    default: return ignore(state::stopping);
  }
}

}  // namespace

bool transition::has(action a) const {
  for (auto x : actions)
    if (x == a) return true;
  return false;
}

transition next(state s, event e, const facts& f) {
  // While a spawn is under way nothing can be signalled or timed: events wait for its news.
  if (f.spawning) {
    if (e == event::spawned) return on_spawned(f);
    if (e == event::spawn_failed) return after_run(f);
    return go(s, {action::hold});
  }
  if (e == event::spawned || e == event::spawn_failed) return ignore(s);
  switch (s) {
    case state::stopped:
    case state::exited:
    case state::fatal:
      return from_idle(s, e, f);
    case state::starting:
      if (e == event::deps_ready) return go(state::starting, {action::spawn});
      if (e == event::deps_failed) return go(state::blocked, {action::report_blocked});
      if (e == event::stop) return stop_now(s);
      return from_idle(s, e, f);
    case state::blocked:
      if (e == event::deps_ready) return go(state::starting, {action::spawn});
      if (e == event::stop) return stop_now(s);
      return from_idle(s, e, f);
    case state::backoff:
      if (e == event::backoff_elapsed) return go(state::backoff, {action::spawn});
      if (e == event::stop) return stop_now(s);
      if (e == event::start) return start_or_wait(s, f);
      return from_idle(s, e, f);
    case state::waiting:
      if (e == event::cycle_due) return go(state::waiting, {action::spawn});
      if (e == event::stop) return stop_now(s);
      if (e == event::start) return start_or_wait(s, f);
      return from_idle(s, e, f);
    case state::running:
    case state::ready:
      return from_up(s, e, f);
    case state::stopping:
      return from_stopping(e, f);
  }
  return ignore(s);
}

std::string_view to_string(state s) {
  switch (s) {
    case state::stopped: return "stopped";
    case state::starting: return "starting";
    case state::running: return "running";
    case state::ready: return "ready";
    case state::backoff: return "backoff";
    case state::waiting: return "waiting";
    case state::blocked: return "blocked";
    case state::stopping: return "stopping";
    case state::exited: return "exited";
    case state::fatal: return "fatal";
  }
  return "?";
}

std::string_view to_string(event e) {
  switch (e) {
    case event::start: return "start";
    case event::deps_ready: return "deps_ready";
    case event::deps_failed: return "deps_failed";
    case event::spawned: return "spawned";
    case event::spawn_failed: return "spawn_failed";
    case event::ready_passed: return "ready_passed";
    case event::exited: return "exited";
    case event::group_gone: return "group_gone";
    case event::backoff_elapsed: return "backoff_elapsed";
    case event::cycle_due: return "cycle_due";
    case event::stop: return "stop";
    case event::stop_timeout: return "stop_timeout";
    case event::run_timeout: return "run_timeout";
    case event::health_failed: return "health_failed";
    case event::watchdog_expired: return "watchdog_expired";
    case event::kill: return "kill";
  }
  return "?";
}

std::string_view to_string(action a) {
  switch (a) {
    case action::none: return "none";
    case action::spawn: return "spawn";
    case action::hold: return "hold";
    case action::arm_ready_check: return "arm_ready_check";
    case action::arm_health_check: return "arm_health_check";
    case action::arm_run_timeout: return "arm_run_timeout";
    case action::signal_stop: return "signal_stop";
    case action::kill_group: return "kill_group";
    case action::arm_backoff: return "arm_backoff";
    case action::arm_cycle: return "arm_cycle";
    case action::cancel_timers: return "cancel_timers";
    case action::report_started: return "report_started";
    case action::report_ready: return "report_ready";
    case action::report_exited: return "report_exited";
    case action::report_backoff: return "report_backoff";
    case action::report_fatal: return "report_fatal";
    case action::report_stopping: return "report_stopping";
    case action::report_stopped: return "report_stopped";
    case action::report_cycle_started: return "report_cycle_started";
    case action::report_cycle_succeeded: return "report_cycle_succeeded";
    case action::report_cycle_failed: return "report_cycle_failed";
    case action::report_health_failed: return "report_health_failed";
    case action::report_watchdog_expired: return "report_watchdog_expired";
    case action::report_killed: return "report_killed";
    case action::report_blocked: return "report_blocked";
    case action::report_forced_kill: return "report_forced_kill";
    case action::report_leftovers: return "report_leftovers";
    case action::report_daemonized: return "report_daemonized";
  }
  return "?";
}

}  // namespace taskmux::supervisor
