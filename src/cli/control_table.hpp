// What the control socket of a running supervisor answers: the command table of `taskmux run`.
#pragma once

#include "control/commands.hpp"
#include "supervisor/supervisor.hpp"

namespace taskmux::cli {

/// status, ping, start, stop, restart, logs; every handler acts on `s`, which outlives the table.
control::commands control_table(supervisor::supervisor& s);

}  // namespace taskmux::cli
