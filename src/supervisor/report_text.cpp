#include "supervisor/report_text.hpp"

#include <cstring>

#include "config/duration.hpp"
#include "config/signal_names.hpp"

namespace taskmux::supervisor {
namespace {

using config::format_duration;

report_line line(report_event e, std::string message) { return {e, route_of(e, false), std::move(message), {}, {}}; }

std::string why_it_ended(const report_facts& f) {
  return f.current.spawn_error.empty() ? exit_text(f) : f.current.spawn_error;
}

report_line exited(const report_facts& f) {
  std::string msg = why_it_ended(f);
  std::optional<std::chrono::milliseconds> delay;
  if (f.now == state::backoff) {
    msg += f.delay.count() ? "; restarting in " + format_duration(f.delay) : "; restarting now";
    delay = f.delay;
  } else if (f.now == state::exited) {
    msg += "; not restarting (restart = " + std::string(config::to_string(f.task.restart)) + ")";
  }
  return {report_event::exited, route_of(report_event::exited, f.current.failed), msg, f.current.length, delay};
}

}  // namespace

std::string exit_text(const report_facts& f) {
  auto& r = f.current;
  std::string text = "exited";
  if (f.last_exit)
    text = f.last_exit->signal ? "killed by " + config::signal_name(f.last_exit->signal)
                               : "exited with code " + std::to_string(f.last_exit->code);
  text += " after " + format_duration(r.length);
  if (!r.failure_reason.empty()) text = r.failure_reason + "; " + text;
  if (r.reported_errno)
    text += " (ERRNO=" + std::to_string(*r.reported_errno) + ": " + std::strerror(*r.reported_errno) + ")";
  return text;
}

report_line report_for(action a, const report_facts& f) {
  auto& t = f.task;
  auto& r = f.current;
  switch (a) {
    case action::report_started: return line(report_event::started, "started (pid " + std::to_string(r.pid) + ")");
    case action::report_ready: return line(report_event::ready, "ready");
    case action::report_exited: return exited(f);
    case action::report_backoff: {
      auto l = line(report_event::backoff, "restarting in " + format_duration(f.delay));
      l.delay = f.delay;
      // The log's "exited" line says when it restarts, unless it was written before the
      // cleanup of what the run left, when that was not decided yet.
      l.console = r.exit_reported;
      return l;
    }
    case action::report_fatal:
      return line(report_event::fatal, "fatal: more than " + std::to_string(t.start_limit.burst) + " starts within " +
                                           format_duration(t.start_limit.interval) +
                                           "; not restarting until `taskmux start " + t.name + "`");
    case action::report_stopping:
      if (t.kill_mode == config::kill_mode::mixed && r.pid)
        return line(report_event::stopping, "stopping (" + config::signal_name(t.stop_signal) + " to main process " +
                                                std::to_string(r.pid) + ")");
      return line(report_event::stopping, "stopping (" + config::signal_name(t.stop_signal) + " to process group " +
                                              std::to_string(r.pgid) + ")");
    case action::report_leftovers:
      return line(report_event::stopping, "stopping what it left running (" + config::signal_name(t.stop_signal) +
                                              " to process group " + std::to_string(r.pgid) +
                                              " and the processes it started)");
    case action::report_daemonized:
      return line(report_event::fault,
                  "it put itself in the background: exited 0 after " + format_duration(r.length) +
                      " and left processes running, which taskmux does not supervise. Run the program in the "
                      "foreground (nginx: `daemon off;`; PostgreSQL: `postgres -D DIR`, not `pg_ctl start`; "
                      "others: an option such as --nodaemon, --foreground or -f)");
    case action::report_stopped: return line(report_event::stopped, "stopped");
    case action::report_cycle_started:
      return line(report_event::cycle_started,
                  "cycle started (pid " + std::to_string(r.pid) + ")" + (r.late ? ", late" : ""));
    case action::report_cycle_succeeded: {
      auto l = line(report_event::cycle_succeeded, "cycle succeeded in " + format_duration(r.length));
      l.run_time = r.length;
      return l;
    }
    case action::report_cycle_failed: {
      auto l = line(report_event::cycle_failed, "cycle failed: " + why_it_ended(f));
      l.run_time = r.length;
      return l;
    }
    case action::report_health_failed: return line(report_event::health_failed, r.failure_reason);
    case action::report_watchdog_expired: return line(report_event::watchdog_expired, r.failure_reason);
    case action::report_killed:
      if (!r.pid)  // the main process is gone: only what it left is being killed
        return line(report_event::fault, "what it left running did not stop within " +
                                             format_duration(t.stop_timeout) + " of " +
                                             config::signal_name(t.stop_signal) + "; sent SIGKILL to it");
      return line(report_event::fault, "did not stop within " + format_duration(t.stop_timeout) + " of " +
                                           config::signal_name(t.stop_signal) + "; sent SIGKILL to its process group");
    case action::report_blocked:
      return line(report_event::blocked, "blocked: dependency " + f.blocked_by + "; starts once it is ready again");
    case action::report_forced_kill:
      return line(report_event::fault, "did not stop before the shutdown ended (" + f.forced_by +
                                           "; its stop_timeout is " + format_duration(t.stop_timeout) +
                                           "); sent SIGKILL to its process group");
    default: break;
  }
  return line(report_event::fault, "no report for action " + std::string(to_string(a)));
}

}  // namespace taskmux::supervisor
