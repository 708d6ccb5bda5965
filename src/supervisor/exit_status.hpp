// How a process ended: an exit code or a signal, decoded once from waitpid's status.
#pragma once

#include <sys/wait.h>

#include <cstdint>
#include <vector>

namespace taskmux::supervisor {

struct exit_status {
  int code = -1;   ///< exit code, or -1 when killed by a signal
  int signal = 0;  ///< terminating signal, or 0

  static exit_status from_wait(int status) {
    if (WIFSIGNALED(status)) return {-1, WTERMSIG(status)};
    return {WEXITSTATUS(status), 0};
  }
  bool is_success() const { return signal == 0 && code == 0; }
  bool operator==(const exit_status&) const = default;
};

/// How often a process ended each way: one entry per distinct exit code or signal, in the
/// order first seen. Empty (no allocation) until the first exit.
class exit_tally {
 public:
  struct entry {
    exit_status how;
    uint64_t count = 0;
  };

  void add(exit_status e) {
    for (auto& x : entries_)
      if (x.how == e) {
        ++x.count;
        return;
      }
    entries_.push_back({e, 1});
  }
  const std::vector<entry>& entries() const { return entries_; }

 private:
  std::vector<entry> entries_;
};

}  // namespace taskmux::supervisor
