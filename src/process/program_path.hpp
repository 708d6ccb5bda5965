// Where a task's program is found, the one way both a spawn and `taskmux check` look: in the
// PATH of its environment, relative to its workdir, executable by its user.
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "process/spawn.hpp"

namespace taskmux::process {

/// The PATH the lookup searches: the one in `env` ("K=V" strings), else a default
/// ("/usr/local/bin:/usr/bin:/bin").
std::string search_path(std::span<const char* const> env);

/// Whether `path` (relative: to `workdir`, as the child's exec sees it after its chdir) is a
/// regular file that `user` may execute, searching every directory on the way to it; by mode
/// bits for another user than taskmux's (no ACLs), by access(2) for taskmux's own (no `user`).
bool is_executable(const std::string& path, const std::filesystem::path& workdir,
                   const identity* user = nullptr);

/// `name` itself when it holds a '/' (exec then resolves it against the workdir); else the
/// first entry of search_path(env) holding an is_executable() `name`; empty when there is none.
std::string find_program(const std::string& name, std::span<const char* const> env,
                         const std::filesystem::path& workdir = {}, const identity* user = nullptr);

}  // namespace taskmux::process
