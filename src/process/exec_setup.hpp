// Child-side steps between fork and exec, as Boost.Process v2 initializers. They run in the
// forked child: raw syscalls only, no allocation, no logging.
#pragma once

#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/process/v2.hpp>
#include <cerrno>

namespace taskmux::process {

/// Own process group, parent-death signal, default signal state, original fd limit.
struct child_setup {
  rlim_t nofile_soft;  ///< taskmux raised its own limit; children get the usual one back

  template <class Launcher>
  boost::system::error_code on_exec_setup(Launcher&, const boost::process::v2::filesystem::path&,
                                          const char* const*) {
    // Why each step: setpgid so stopping can signal the whole group; PDEATHSIG so a task
    // cannot outlive a taskmux that was killed with SIGKILL; SIGPIPE is ignored in taskmux and
    // an ignored disposition survives exec; the signal mask survives exec as well.
    if (::setpgid(0, 0) == -1) return fail();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGPIPE, SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
      ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct rlimit lim;
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur > nofile_soft) {
      lim.rlim_cur = nofile_soft;
      ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    return {};
  }

  static boost::system::error_code fail() { return {errno, boost::system::system_category()}; }
};

/// Drops to uid/gid (supplementary groups: initgroups' list computed in the parent).
struct drop_privileges {
  uid_t uid;
  gid_t gid;
  const gid_t* groups;
  size_t group_count;

  template <class Launcher>
  boost::system::error_code on_exec_setup(Launcher&, const boost::process::v2::filesystem::path&,
                                          const char* const*) {
    // Order matters: groups and gid while still root, uid last (irreversible).
    if (::setgroups(group_count, groups) == -1 || ::setgid(gid) == -1 || ::setuid(uid) == -1)
      return {errno, boost::system::system_category()};
    return {};
  }
};

/// The last initializer: exec here so a failed exec ends with _exit, not the launcher's exit(),
/// which would run taskmux's atexit handlers inside the child.
struct exec_last {
  template <class Launcher>
  boost::system::error_code on_exec_setup(Launcher& launcher,
                                          const boost::process::v2::filesystem::path& exe,
                                          const char* const* argv) {
    ::execve(exe.c_str(), const_cast<char* const*>(argv), const_cast<char* const*>(launcher.env));
    int err = errno;
    // The launcher's error pipe is the last whitelisted fd; it reports errno to the parent.
    if (!launcher.fd_whitelist.empty())
      [[maybe_unused]] auto n = ::write(launcher.fd_whitelist.back(), &err, sizeof err);
    ::_exit(127);
  }
};

}  // namespace taskmux::process
