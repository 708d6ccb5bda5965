// Launches one task process with Boost.Process v2 and lets go of it at once: the reaper is the
// only waiter and process_group.hpp the only killer.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace taskmux::process {

struct identity {
  uid_t uid;
  gid_t gid;
  std::vector<gid_t> groups;
};

/// `name` itself when it holds a '/', else the first executable `name` in the PATH of `env`
/// (a default PATH without one); empty when there is none.
std::string find_program(const std::string& name, std::span<const char* const> env);

/// Looks a user up (name or numeric uid); nothing if unknown.
std::optional<identity> lookup_user(const std::string& name);

/// Borrows argv and env from the caller for the duration of spawn() (no copy per spawn).
struct spawn_request {
  std::span<const std::string> argv;  ///< argv[0] is searched in PATH of `env` when it has no '/'
  std::span<const char* const> env;   ///< "K=V", the whole environment (no terminating nullptr)
  std::filesystem::path workdir;
  std::optional<identity> user;
  int stdout_fd = -1;  ///< write ends handed to the child as fd 1 and 2
  int stderr_fd = -1;
  int cgroup_fd = -1;  ///< cgroup.procs (open for writing) of the leaf the child joins before exec
};

struct spawn_result {
  pid_t pid = -1;     ///< > 0 on success; the child leads its own process group
  std::string error;  ///< "unable to execute /x/y: No such file or directory" on failure
  int cgroup_error = 0;  ///< errno when the child could not join req.cgroup_fd (it runs anyway)
};

/// Must run on the loop thread (the reaper handles SIGCHLD there). Never waits for the child.
spawn_result spawn(const spawn_request&);

/// Raises the soft RLIMIT_NOFILE to the hard limit (two pipes per instance add up) and
/// returns the previous soft limit, which children get back.
rlim_t raise_fd_limit();

}  // namespace taskmux::process
