// How a process ended: an exit code or a signal, decoded once from waitpid's status.
#pragma once

#include <sys/wait.h>

namespace taskmux::supervisor {

struct exit_status {
  int code = -1;   ///< exit code, or -1 when killed by a signal
  int signal = 0;  ///< terminating signal, or 0

  static exit_status from_wait(int status) {
    if (WIFSIGNALED(status)) return {-1, WTERMSIG(status)};
    return {WEXITSTATUS(status), 0};
  }
  bool is_success() const { return signal == 0 && code == 0; }
};

}  // namespace taskmux::supervisor
