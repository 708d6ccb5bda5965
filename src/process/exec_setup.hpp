// The child side of a spawn, between vfork and exec, as one Boost.Process v2 initializer. It
// runs in a vfork child that shares taskmux's memory: raw syscalls only, no allocation, no
// logging, never return (the launcher's own error path would call exit() in shared memory).
#pragma once

#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/process/v2.hpp>
#include <cerrno>

namespace taskmux::process {

struct child_result {
  int error = 0;             ///< errno of the failed step, 0 when exec succeeded
  const char* step = "";     ///< which step failed
  int cgroup_error = 0;      ///< errno of joining the cgroup (not fatal: the run is untracked)
};

struct child_setup {
  rlim_t nofile_soft;        ///< taskmux raised its own limit; children get the usual one back
  int umask = -1;            ///< children get the umask taskmux had before its 077 (-1: as is)
  bool drop = false;         ///< switch to uid/gid/groups
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;
  size_t group_count = 0;
  int cgroup_fd = -1;        ///< cgroup.procs of the leaf to join, open for writing, or -1
  const char* workdir = nullptr;  ///< chdir here (before privileges drop, like Boost's start dir)
  child_result* result;      ///< in the parent's memory: vfork shares it

  template <class Launcher>
  boost::system::error_code on_exec_setup(Launcher& launcher, const boost::process::v2::filesystem::path& exe,
                                          const char* const* argv) {
    // The cgroup first, before privileges drop (kernels before 5.16 check the writer, not the
    // opener); "0" = this process. Not fatal: the run then goes untracked, and the parent
    // falls back to the process group and the instance mark.
    if (cgroup_fd >= 0 && ::write(cgroup_fd, "0", 1) != 1) result->cgroup_error = errno ? errno : EIO;
    if (workdir && ::chdir(workdir) == -1) fail("chdir");
    // setpgid: stopping signals the whole group. PDEATHSIG: a task cannot outlive a taskmux
    // killed with SIGKILL. Handlers back to default before unblocking (the parent blocked all
    // signals around vfork, so no taskmux handler can run here), SIGPIPE un-ignored.
    if (::setpgid(0, 0) == -1) fail("setpgid");
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
      if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    if (umask >= 0) ::umask(static_cast<mode_t>(umask));
    struct rlimit lim;
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur > nofile_soft) {
      lim.rlim_cur = nofile_soft;
      ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    // Raw syscalls: glibc's set*id would try to reach taskmux's other threads from here.
    if (drop) {
      if (::syscall(SYS_setgroups, group_count, groups) == -1) fail("setgroups");
      if (::syscall(SYS_setgid, gid) == -1) fail("setgid");
      if (::syscall(SYS_setuid, uid) == -1) fail("setuid");
    }
    // Only stdin/stdout/stderr go along (Boost's stdio initializer ran before this one): no
    // descriptor of taskmux (control socket, probe connections, the store) and none taskmux
    // itself inherited leaks into a task, whether or not it was close-on-exec. Marked, not
    // closed: exec closes them after it has let taskmux go on (vfork), so taskmux does not
    // wait for a thousand closes per spawn. Linux < 5.11 has no flag: close them here.
    if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) ::syscall(SYS_close_range, 3U, ~0U, 0U);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(exe.c_str(), const_cast<char* const*>(argv), const_cast<char* const*>(launcher.env));
    fail("exec");
    return {};
  }

  /// An initializer before this one failed (Boost's stdio: dup2).
  template <class Launcher>
  void on_exec_error(Launcher&, const boost::process::v2::filesystem::path&, const char* const*,
                     const boost::system::error_code& ec) {
    if (result->error) return;
    result->error = ec.value();
    result->step = "stdio";
  }

  [[noreturn]] void fail(const char* step) {
    result->error = errno;
    result->step = step;
    ::_exit(127);
  }
};

}  // namespace taskmux::process
