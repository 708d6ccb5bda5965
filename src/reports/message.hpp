// Report messages of SPEC "Queue reports": one JSON object per event, and which queue it goes to.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "supervisor/events.hpp"

namespace taskmux::reports {

/// Who is reporting: the same for every message of one supervisor run.
struct origin {
  std::string supervisor;  ///< [supervisor] name
  std::string run;         ///< run id chosen at start-up
};

/// `_status_<ns>`, `_fault_<ns>` or `_success_<ns>`.
std::string queue_name(supervisor::route to, const std::string& ns);

/// The event as SPEC's JSON object (ts, supervisor, run, task, instance, pid, event, state,
/// exit_code, signal, restarts, seq, message; plus `stderr` on faults (maybe empty),
/// `run_time_s` on exits and cycle ends, `delay_s` on backoff).
std::string event_message(const supervisor::event_record& r, const origin& o, uint64_t seq);

/// The aggregated snapshot: ts, supervisor, run, event, seq, and `rows_json` (status_rows_json())
/// as its tasks.
std::string snapshot_message(const origin& o, std::string_view rows_json, uint64_t seq,
                             std::chrono::system_clock::time_point ts);

}  // namespace taskmux::reports
