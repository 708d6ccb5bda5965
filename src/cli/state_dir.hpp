// state_dir before taskmux puts its control socket, notify sockets and queue store there: made
// private, or an existing one checked (owner) and repaired (mode). Not the files inside.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace taskmux::cli {

struct state_dir_result {
  std::string error;  ///< "unable to use state_dir DIR: reason"; empty when it is usable
  std::string note;   ///< a repair worth a log line ("state_dir DIR was mode 0777 ...; now 0700")
};

/// Makes `dir` with mode 0700, or 0711 when `traversable` (tasks running as another user reach
/// their notify sockets through it); missing parents get 0755 minus `umask`, the one taskmux
/// was started with. An existing `dir` must belong to taskmux's effective uid (its owner could
/// replace anything in it); when group or others may write to it, its mode is set as for a new
/// one, unless it is a shared sticky directory like /tmp, which is refused; when it must be
/// traversable, it gains --x for group and others. Call it under taskmux's umask of 077.
state_dir_result prepare_state_dir(const std::filesystem::path& dir, bool traversable,
                                   mode_t umask);

}  // namespace taskmux::cli
