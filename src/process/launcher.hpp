// Boost.Process v2's vfork launcher, returning the pid instead of a process handle. That handle
// opens a pidfd and registers it with an io_context, so each spawn paid for a reactor of its
// own (one shared reactor cannot be used: the vfork child would rebuild it in taskmux's
// memory), and taskmux already has its one waiter, the reaper. Same initializer protocol as
// Boost's launchers, so Boost's stdio and environment initializers work unchanged.
#pragma once

#include <unistd.h>

#include <boost/process/v2/posix/default_launcher.hpp>
#include <cerrno>
#include <utility>

namespace taskmux::process {

struct vfork_pid_launcher : boost::process::v2::posix::default_launcher {
  /// The child's pid, or -1 with `ec` set when an initializer's on_setup or vfork failed.
  /// Failures between vfork and exec go to the initializers' on_exec_error, and the child
  /// ends with _exit: exit() would run taskmux's atexit handlers in the memory it borrows.
  template <class Args, class... Inits>
  pid_t operator()(boost::system::error_code& ec, const boost::process::v2::filesystem::path& exe,
                   Args&& args, Inits&&... inits) {
    namespace detail = boost::process::v2::posix::detail;
    auto argv = this->build_argv_(exe, std::forward<Args>(args));
    ec = detail::on_setup(*this, exe, argv, inits...);
    if (ec) {
      detail::on_error(*this, exe, argv, ec, inits...);
      return -1;
    }
    pid = ::vfork();
    if (pid == 0) {
      ec = detail::on_exec_setup(*this, exe, argv, inits...);  // the last one execs
      detail::on_exec_error(*this, exe, argv, ec, inits...);
      ::_exit(127);
    }
    if (pid == -1) {
      ec.assign(errno, boost::system::system_category());
      detail::on_error(*this, exe, argv, ec, inits...);
      return -1;
    }
    detail::on_success(*this, exe, argv, ec, inits...);
    return pid;
  }
};

}  // namespace taskmux::process
