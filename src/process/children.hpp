// What /proc says about taskmux's children: who they are, which group and session they are in,
// and which instance started them (the TASKMUX_INSTANCE mark in their initial environment).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskmux::process {

/// Direct children of this process (all threads), from /proc/self/task/*/children.
std::vector<pid_t> list_children();

struct process_info {
  pid_t pid = 0;
  pid_t pgid = 0;
  char state = '?';  ///< 'Z' for a zombie
};

std::optional<process_info> read_process(pid_t pid);

/// Whether the child `pid` has exited, whether or not it was reaped yet: its exit may still
/// wait for the reaper, which this leaves it to (waitid with WNOWAIT).
bool has_exited(pid_t pid);

/// Value of TASKMUX_INSTANCE in /proc/PID/environ (the environment the process was exec'ed
/// with; a process that exec'ed with a cleared environment has none).
std::optional<std::string> instance_mark(pid_t pid);

/// Every live process (not a zombie) on the system whose instance mark starts with `prefix`,
/// e.g. "5f0c2a/": the processes of one taskmux run. Reads /proc/*/environ.
std::vector<pid_t> marked_processes(std::string_view prefix);

/// One process, read from /proc only as far as a question needs (its group, then its mark),
/// and once for every question asked of it: a notify datagram asks each instance of a task.
class process_view {
 public:
  explicit process_view(pid_t pid) : pid_(pid) {}
  pid_t pid() const { return pid_; }
  /// Its process group; nothing when it is gone.
  std::optional<pid_t> pgid() const;
  /// Its TASKMUX_INSTANCE mark (instance_mark()).
  const std::optional<std::string>& mark() const;

 private:
  pid_t pid_;
  mutable std::optional<std::optional<pid_t>> pgid_;
  mutable std::optional<std::optional<std::string>> mark_;
};

/// The name of the environment variable that marks every process of an instance.
inline constexpr const char* instance_mark_name = "TASKMUX_INSTANCE";

}  // namespace taskmux::process
