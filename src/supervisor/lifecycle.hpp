// The lifecycle of one task instance as a pure transition function: (state, event, facts) ->
// (next state, actions). It reads no clock and does no I/O; instance.cpp carries actions out.
// The state x event table is in docs/lifecycle.md.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "supervisor/exit_status.hpp"

namespace taskmux::supervisor {

enum class state {
  stopped,   ///< not running and not scheduled (initial, or stopped on request)
  starting,  ///< asked to start, waiting for its depends_on to be ready
  running,   ///< process is up; not (yet) ready
  ready,     ///< process is up and passed its ready check
  backoff,   ///< exited; waiting out the backoff delay before the next start
  waiting,   ///< looped task between runs; next_run is known
  blocked,   ///< a depends_on task failed for good (or is blocked); starts once it is ready again
  stopping,  ///< stop signal sent to the process group; SIGKILL when stop_timeout passes
  exited,    ///< exited and will not be restarted (restart policy)
  fatal,     ///< start limit hit or failing for good; only `taskmux start` revives it
};

enum class event {
  start,             ///< start requested (at launch, by `taskmux start`, by a dependency)
  deps_ready,        ///< every depends_on task became ready
  deps_failed,       ///< a depends_on task went fatal, exited for good with a failure, or is blocked
  spawned,           ///< the spawn under way launched the process
  spawn_failed,      ///< the spawn under way could not (no pipe, no user, exec failed)
  ready_passed,      ///< the ready check passed ("started" after 1 s, READY=1, a probe)
  exited,            ///< the main process exited (facts: exit, has_leftovers)
  group_gone,        ///< after exited: the last process left behind is gone too
  backoff_elapsed,   ///< the backoff delay is over
  cycle_due,         ///< looped: the next run is due
  stop,              ///< stop requested (`taskmux stop`, shutdown, reload)
  stop_timeout,      ///< stop_timeout passed while stopping
  run_timeout,       ///< looped: the run lasted longer than `timeout`
  health_failed,     ///< the health check failed `failures` times in a row
  watchdog_expired,  ///< no WATCHDOG=1 within `watchdog`
  kill,              ///< the shutdown cannot wait (shutdown_timeout, a second signal): SIGKILL now
};

/// What the caller knows, computed before the call (restart_policy.hpp has the decisions).
struct facts {
  bool spawning = false;          ///< a spawn is under way: its pid is not known yet
  bool is_looped = false;
  bool deps_ready = true;
  bool deps_failed = false;       ///< a depends_on task failed for good (or is blocked)
  bool stop_requested = false;    ///< the stop in progress was asked for: end in `stopped`
  bool has_leftovers = false;     ///< processes of the instance outlived its main process
  bool exit_reported = false;     ///< the run's exit was reported when its leftovers were found
  bool daemonized = false;        ///< exited 0 within 1 s, leaving processes: it went to the background
  bool killing = false;           ///< SIGKILL went to the run already (stop_timeout passed)
  bool wants_restart = false;     ///< restart policy says yes for the last exit
  bool run_failed = false;        ///< the last run failed (exit, signal, timeout, health, spawn)
  bool start_limit_hit = false;   ///< one more start would exceed start_limit
  std::chrono::milliseconds backoff_delay{0};  ///< 0: restart at once
  std::chrono::milliseconds until_next_cycle{0};  ///< looped; <= 0: the next run is late
};

enum class action {
  none,
  spawn,             ///< hand a spawn over (spawned / spawn_failed come back later, never at once)
  hold,              ///< keep the event until the spawn under way comes back, then feed it
  arm_ready_check,   ///< start the ready check (timer for "started", probe, or READY=1)
  arm_health_check,  ///< ready: start the periodic health check (when the task has one)
  arm_run_timeout,   ///< looped with `timeout`: arm the run deadline
  signal_stop,       ///< stop_signal to the main process (kill_mode mixed) or all of it; arm stop_timeout
  kill_group,        ///< SIGKILL to the process group and leftovers
  arm_backoff,       ///< arm the backoff timer with facts.backoff_delay
  arm_cycle,         ///< arm the next-run timer with facts.until_next_cycle
  cancel_timers,     ///< drop every pending deadline of the instance
  report_started, report_ready, report_exited, report_backoff, report_fatal, report_stopping,
  report_stopped, report_cycle_started, report_cycle_succeeded, report_cycle_failed,
  report_health_failed, report_watchdog_expired, report_killed, report_blocked,
  report_forced_kill,  ///< the shutdown's SIGKILL, before stop_timeout had its turn
  report_leftovers,    ///< the main process exited by itself: what it left is being stopped
  report_daemonized,   ///< ... and it exited 0 at once: it put itself in the background
};

struct transition {
  state next;
  static constexpr int max_actions = 4;
  action actions[max_actions] = {};
  bool applies = true;  ///< false: the event does not matter in this state (ignored)

  bool has(action a) const;
};

transition next(state, event, const facts&);

std::string_view to_string(state);
std::string_view to_string(event);
std::string_view to_string(action);

/// Running or ready: a process exists and nobody asked it to stop.
inline bool is_up(state s) { return s == state::running || s == state::ready; }

}  // namespace taskmux::supervisor
