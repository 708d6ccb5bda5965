// Which signals taskmux takes on its loop, and what it does with the rest: outside PID 1 the
// kernel's default for most signals is to terminate, and a supervisor must not die of a stray
// `kill -USR1`.
#pragma once

#include <vector>

namespace taskmux::process {

/// Every catchable asynchronous signal (HUP, INT, TERM, QUIT, USR1, ..., the real-time ones),
/// for the loop's signal_set. Not CHLD (the reaper's), PIPE (ignored), or the fault signals.
std::vector<int> loop_signals();

/// SEGV, BUS, ILL, FPE, TRAP, SYS and ABRT sent by another process (kill, sigqueue) are
/// ignored; a real fault still ends taskmux with the default action. Call once, before any
/// thread starts. A no-op under the sanitizers, whose own handlers report faults.
void ignore_fault_signals_from_others();

}  // namespace taskmux::process
