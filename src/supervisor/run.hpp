// Everything of one run of an instance: from the spawn that began it to the end of whatever
// it left behind. A spawn replaces it whole, so nothing of a run leaks into the next.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace taskmux::supervisor {

using clock = std::chrono::steady_clock;

struct run {
  uint64_t number = 0;  ///< 1 for the instance's first spawn
  std::string mark;     ///< TASKMUX_INSTANCE of its processes: "<run id>/<label>/<number>"
  pid_t pid = 0;        ///< main process; 0 while the spawn is under way and after its exit
  pid_t pgid = 0;       ///< the main process's group (it leads it), kept after the exit
  clock::time_point started{};
  std::optional<std::chrono::system_clock::time_point> started_wall;  ///< once the process is up
  std::chrono::milliseconds length{0};  ///< once the main process exited
  bool late = false;    ///< looped: began after its planned time
  bool failed = false;  ///< exit code, signal, timeout, health, watchdog or spawn failure
  std::string failure_reason;  ///< why it was stopped as a failure: "timed out after 10s", ...
  std::string spawn_error;     ///< the spawn failed: "unable to execute ...: No such file or directory"
  std::optional<std::string> status;  ///< last STATUS= of this run
  std::optional<int> reported_errno;  ///< last ERRNO= of this run
  bool stop_requested = false;  ///< `taskmux stop` or the shutdown asked it to end
  bool killing = false;         ///< SIGKILL phase: what is found of it now gets SIGKILL too
  bool needed_kill = false;     ///< the shutdown had to SIGKILL something of it
  bool has_leftovers = false;   ///< the main process exited, something it started did not
  bool all_signalled = false;   ///< every process of the run got stop_signal (not only the main one)
  bool exit_reported = false;   ///< its exit was reported when what it left was found, before the cleanup
  uint64_t err_lines_before = 0;  ///< stderr lines of the instance before this run
};

}  // namespace taskmux::supervisor
