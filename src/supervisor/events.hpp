// What happens to instances, as records that any number of sinks subscribe to: the console
// and the report queues (_status_/_fault_/_success_).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/exit_status.hpp"

namespace taskmux::supervisor {

/// Which report queue an event belongs to (SPEC "Queue reports").
enum class route { status, fault, success };

struct event_record {
  std::chrono::system_clock::time_point ts;
  std::string event;  ///< SPEC spelling: started, ready, exited, backoff, fatal, ...
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
};

class event_sink {
 public:
  virtual ~event_sink() = default;
  /// Called on the loop thread, in event order.
  virtual void on_event(const event_record&) = 0;
};

}  // namespace taskmux::supervisor
