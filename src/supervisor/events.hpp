// What happens to instances, as records that any number of sinks subscribe to: the console
// and the report queues (_status_/_fault_/_success_).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/exit_status.hpp"

namespace taskmux::supervisor {

/// Which report queue an event belongs to (SPEC "Queue reports").
enum class route { status, fault, success };

/// Every `event` of SPEC's report messages, spelled by to_string as SPEC spells it.
enum class report_event {
  started,           ///< a service's process was launched
  ready,             ///< it passed its ready check
  progress,          ///< STATUS= from the task
  exited,            ///< its main process exited (or could not be started)
  backoff,           ///< a restart waits out its delay
  fatal,             ///< the start limit was hit: no more restarts
  stopping,          ///< the stop signal was sent
  stopped,           ///< stopped on request
  cycle_started,     ///< a looped task's run began
  cycle_succeeded,   ///< ... and exited 0
  cycle_failed,      ///< ... and failed
  health_failed,     ///< the health check failed `failures` times in a row
  watchdog_expired,  ///< no WATCHDOG=1 in time (or WATCHDOG=trigger)
  blocked,           ///< a dependency failed for good
  fault,             ///< FAULT= from the task, or a stop that needed SIGKILL
  success,           ///< SUCCESS= from the task
  transfer_failed,   ///< an SFTP transfer failed
  message_failed,    ///< a queue-fed message failed all its attempts
  config_error,      ///< a reload met an invalid config
  snapshot,          ///< the aggregated status of every instance
};

std::string_view to_string(report_event);
/// The queue of `e` (SPEC's lists); `failed` only matters for `exited` (non-zero code or a
/// signal goes to _fault_, exit 0 to _status_).
route route_of(report_event e, bool failed);

struct event_record {
  std::chrono::system_clock::time_point ts;
  report_event event = report_event::started;
  route to = route::status;
  std::string task;
  std::string ns;     ///< the task's namespace
  int instance = 0;
  pid_t pid = 0;
  std::string state;  ///< state after the event
  std::optional<exit_status> exit;
  int restarts = 0;
  std::string message;  ///< one readable sentence: "exited with code 1 after 0.4s; restarting in 400ms"
  std::vector<std::string> output;  ///< faults: the last lines the instance wrote to stderr
  std::optional<std::chrono::milliseconds> run_time;  ///< exits and cycles: how long the run lasted
  std::optional<std::chrono::milliseconds> delay;     ///< backoff: until the next start
  bool console = true;  ///< false: the log line of an earlier report said it already
};

class event_sink {
 public:
  virtual ~event_sink() = default;
  /// Called on the loop thread, in event order.
  virtual void on_event(const event_record&) = 0;
};

}  // namespace taskmux::supervisor
