// SPEC's exit codes, used by every command.
#pragma once

namespace taskmux::cli {

enum class exit_code : int {
  success = 0,      ///< done
  failure = 1,      ///< runtime failure (a critical task went fatal, a request failed)
  usage = 2,        ///< bad command line or invalid config
  unreachable = 3,  ///< no supervisor answers on the control socket
};

inline int to_int(exit_code c) { return static_cast<int>(c); }

}  // namespace taskmux::cli
