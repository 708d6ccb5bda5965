#include "process/spawn.hpp"

#include <charconv>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/v2.hpp>
#include <csignal>
#include <cstring>

#include "process/exec_setup.hpp"
#include "process/launcher.hpp"
#include "process/program_path.hpp"

namespace taskmux::process {
namespace bp = boost::process::v2;
namespace {

rlim_t saved_nofile = 0;
int saved_umask = -1;  // until restrict_umask(): children inherit taskmux's own

// Every child's stdin: one /dev/null opened once, close-on-exec in taskmux (Boost's nullptr
// would open one per spawn, without O_CLOEXEC, and the child would keep it open). -1 if none.
int dev_null() {
  static int fd = open_dev_null();
  return fd;
}

}  // namespace

int above_stdio(int fd) {
  if (fd < 0 || fd > STDERR_FILENO) return fd;
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  ::close(fd);
  return high;
}

int open_dev_null() { return above_stdio(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

std::optional<identity> lookup_user(const std::string& name) {
  struct passwd* pw = ::getpwnam(name.c_str());
  uid_t uid = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), uid);
  if (!pw && !name.empty() && ec == std::errc{} && end == name.data() + name.size()) pw = ::getpwuid(uid);
  if (!pw) return std::nullopt;
  identity id{pw->pw_uid, pw->pw_gid, {}, pw->pw_name, pw->pw_dir};
  int n = 64;
  id.groups.resize(n);
  if (::getgrouplist(pw->pw_name, pw->pw_gid, id.groups.data(), &n) == -1) {
    id.groups.resize(n);
    ::getgrouplist(pw->pw_name, pw->pw_gid, id.groups.data(), &n);
  }
  id.groups.resize(n);
  return id;
}

spawn_result spawn(const spawn_request& req) {
  if (req.argv.empty()) return {-1, "unable to execute an empty command"};
  std::string exe =
      find_program(req.argv[0], req.env, req.workdir, req.user ? &*req.user : nullptr);
  if (exe.empty()) return {-1, "unable to execute " + req.argv[0] + ": not found in PATH"};
  std::vector<std::string> args(req.argv.begin() + 1, req.argv.end());
  std::vector<bp::cstring_ref> env(req.env.begin(), req.env.end());
  int in = req.stdin_fd >= 0 ? req.stdin_fd : dev_null();
  bp::process_stdio stdio = in >= 0 ? bp::process_stdio{in, req.stdout_fd, req.stderr_fd}
                                    : bp::process_stdio{nullptr, req.stdout_fd, req.stderr_fd};
  child_result child;
  child_setup setup{saved_nofile ? saved_nofile : RLIM_INFINITY};
  setup.result = &child;
  setup.cgroup_fd = req.cgroup_fd;
  setup.umask = saved_umask;
  if (req.user) {
    setup.drop = true;
    setup.uid = req.user->uid;
    setup.gid = req.user->gid;
    setup.groups = req.user->groups.data();
    setup.group_count = req.user->groups.size();
  }
  // vfork: the child borrows taskmux's memory until exec, so a spawn costs no page-table copy
  // (fork's cost grows with taskmux's size). Signals stay blocked until the child reset them.
  std::string workdir = req.workdir.string();
  setup.workdir = workdir.empty() ? nullptr : workdir.c_str();
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  boost::system::error_code ec;
  vfork_pid_launcher launcher;
  pid_t pid = launcher(ec, exe, args, bp::process_environment(env), stdio, setup);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (ec) return {-1, "unable to execute " + exe + ": " + ec.message()};
  if (child.error) {
    // The child has already _exit'ed (vfork resumed us): reap it here, it was never registered.
    bool reaped = ::waitpid(pid, nullptr, 0) == pid;
    std::string step = child.step;
    return {-1,
            "unable to execute " + exe + (step == "exec" ? "" : " (" + step + ")") + ": " + std::strerror(child.error),
            0, reaped ? -1 : pid};
  }
  return {pid, {}, child.cgroup_error};
}

rlim_t raise_fd_limit() {
  struct rlimit lim;
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return RLIM_INFINITY;
  saved_nofile = lim.rlim_cur;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  return saved_nofile;
}

mode_t restrict_umask() {
  mode_t old = ::umask(077);
  saved_umask = static_cast<int>(old);
  return old;
}

}  // namespace taskmux::process
