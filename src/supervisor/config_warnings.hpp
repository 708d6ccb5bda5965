// What `taskmux check`, `run` and `reload` warn about in a valid config: load's own warnings,
// and each task whose program is not there, looked up as the task's spawn will look it up
// (task_launch::find), so the warning and the spawn cannot disagree. Not errors: the system
// may change before the task starts.
#pragma once

#include <string>
#include <string_view>

#include "config/diagnostics.hpp"
#include "config/model.hpp"

namespace taskmux::supervisor {

/// load's `from_load` and missing_programs(), in file order.
config::diagnostics warnings_about(const config::config& c, const std::string& shown,
                                   config::diagnostics from_load);

/// One warning per task whose program (argv[0], or shell_program() of a string command) is
/// not an executable file for it, placed at its command in the file shown as `shown`; each
/// names the program and where it was looked for (the PATH and where it came from, or the
/// path under the workdir).
config::diagnostics missing_programs(const config::config& c, const std::string& shown);

/// The program that /bin/sh -c `script` runs first when its first word is a plain program
/// name or path; "" when it is a shell keyword, a builtin, an assignment, or holds anything
/// the shell would expand or treat specially ($, quotes, globs, ~, redirections...).
std::string shell_program(std::string_view script);

}  // namespace taskmux::supervisor
