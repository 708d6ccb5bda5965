// The report of each lifecycle report action: which SPEC event, which queue, and the one
// readable sentence people see in the log and in the queues. Pure: no clock, no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "config/model.hpp"
#include "supervisor/events.hpp"
#include "supervisor/exit_status.hpp"
#include "supervisor/lifecycle.hpp"
#include "supervisor/run.hpp"

namespace taskmux::supervisor {

/// What a report is made of, as the instance knows it right after the transition.
struct report_facts {
  const config::task& task;
  const run& current;                       ///< the run the report is about
  state now;                                ///< the state after the transition
  std::optional<exit_status> last_exit;     ///< of the run that ended, if it did
  std::chrono::milliseconds delay{0};       ///< backoff: until the next start
  std::string blocked_by;                   ///< blocked: "db[0] is fatal"
  std::string forced_by;                    ///< forced kill: "shutdown_timeout (30s) passed"
};

struct report_line {
  report_event event;
  route to;
  std::string message;
  std::optional<std::chrono::milliseconds> run_time;  ///< ends of runs: how long it lasted
  std::optional<std::chrono::milliseconds> delay;     ///< restarts: how long they wait
  bool console = true;  ///< false: taskmux's log has it in an earlier line (the queues get it)
};

/// The report of `a`, one of the report_* actions.
report_line report_for(action a, const report_facts& f);

/// How the run ended, for the log and for `exited`/`cycle_failed`: "exited with code 1 after
/// 0.4s", "timed out after 10s; killed by SIGTERM after 10s", with ERRNO= when the task sent one.
std::string exit_text(const report_facts& f);

}  // namespace taskmux::supervisor
