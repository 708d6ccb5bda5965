// Launches one task process with Boost.Process v2 and lets go of it at once: the reaper is the
// only waiter and process_group.hpp the only killer.
#pragma once

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace taskmux::process {

/// A user as a spawn switches to it, and what its environment says of it.
struct identity {
  uid_t uid;
  gid_t gid;
  std::vector<gid_t> groups;
  std::string name;  ///< from its passwd entry: USER and LOGNAME
  std::string home;  ///< HOME
};

/// Looks a user up (name or numeric uid) in its passwd entry; nothing if unknown.
std::optional<identity> lookup_user(const std::string& name);

/// Borrows argv and env from the caller for the duration of spawn() (no copy per spawn).
struct spawn_request {
  std::span<const std::string> argv;  ///< argv[0] as find_program() finds it (program_path.hpp)
  std::span<const char* const> env;   ///< "K=V", the whole environment (no terminating nullptr)
  std::filesystem::path workdir;
  std::optional<identity> user;
  int stdin_fd = -1;   ///< the child's fd 0; -1: /dev/null, opened once by spawn()
  int stdout_fd = -1;  ///< write ends handed to the child as fd 1 and 2
  int stderr_fd = -1;
  int cgroup_fd = -1;  ///< cgroup.procs (open for writing) of the leaf the child joins before exec
};

struct spawn_result {
  pid_t pid = -1;     ///< > 0 on success; the child leads its own process group
  std::string error;  ///< "unable to execute /x/y: No such file or directory" on failure
  int cgroup_error = 0;  ///< errno when the child could not join req.cgroup_fd (it runs anyway)
  /// A child that failed before exec and was reaped by someone else (the loop's reaper, when
  /// spawn() ran on the spawner thread): the caller claims its pid from the reaper.
  pid_t failed_pid = -1;
};

/// Any thread. Returns once the child has exec'd (vfork); never waits for it to exit, the
/// reaper does. Called on the spawner thread (spawner.hpp), so the event loop never waits for
/// an exec.
spawn_result spawn(const spawn_request&);

/// `fd` itself when it is above 2, else a close-on-exec copy above 2 (the original closed): a
/// descriptor the child gets as 0, 1 or 2 must not sit where dup2 puts another one.
int above_stdio(int fd);
/// /dev/null for reading, close-on-exec, above 2; -1 when it cannot be opened.
int open_dev_null();

/// Raises the soft RLIMIT_NOFILE to the hard limit (two pipes per instance add up) and
/// returns the previous soft limit, which children get back.
rlim_t raise_fd_limit();

/// Sets taskmux's umask to 077, so what it creates is its user's alone whatever umask it was
/// started with, and returns that one, which children get back.
mode_t restrict_umask();

}  // namespace taskmux::process
