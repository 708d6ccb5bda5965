// Signals to a whole process group, and whether anything of a group is still alive.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace taskmux::process {

/// kill(-pgid, sig); false when the group has no member left (ESRCH).
inline bool signal_group(pid_t pgid, int sig) { return pgid > 1 && ::kill(-pgid, sig) == 0; }

/// True while a process (zombies included) is in the group.
inline bool group_exists(pid_t pgid) { return pgid > 1 && ::kill(-pgid, 0) == 0; }

}  // namespace taskmux::process
