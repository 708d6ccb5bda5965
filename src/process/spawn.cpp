#include "process/spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/v2.hpp>
#include <boost/process/v2/posix/vfork_launcher.hpp>
#include <csignal>
#include <cstring>

#include "process/exec_setup.hpp"

namespace taskmux::process {
namespace bp = boost::process::v2;
namespace {

rlim_t saved_nofile = 0;

// Every child's stdin: one /dev/null opened once, close-on-exec in taskmux (Boost's nullptr
// would open one per spawn, without O_CLOEXEC, and the child would keep it open). -1 if none.
int dev_null() {
  static int fd = [] {
    int f = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (f >= 0 && f <= STDERR_FILENO) {  // stdin closed: keep 0..2 for the child's dup2 targets
      int high = ::fcntl(f, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
      ::close(f);
      f = high;
    }
    return f;
  }();
  return fd;
}

}  // namespace

std::string find_program(const std::string& name, std::span<const char* const> env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (std::string_view kv : env)
    if (kv.starts_with("PATH=")) path = kv.substr(5);
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(begin, end - begin);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    begin = end + 1;
  }
  return {};
}

std::optional<identity> lookup_user(const std::string& name) {
  struct passwd* pw = ::getpwnam(name.c_str());
  if (!pw && !name.empty() && name.find_first_not_of("0123456789") == std::string::npos)
    pw = ::getpwuid(static_cast<uid_t>(std::stoul(name)));
  if (!pw) return std::nullopt;
  identity id{pw->pw_uid, pw->pw_gid, {}};
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
  std::string exe = find_program(req.argv[0], req.env);
  if (exe.empty()) return {-1, "unable to execute " + req.argv[0] + ": not found in PATH"};
  std::vector<std::string> args(req.argv.begin() + 1, req.argv.end());
  std::vector<bp::cstring_ref> env(req.env.begin(), req.env.end());
  bp::process_stdio stdio = dev_null() >= 0 ? bp::process_stdio{dev_null(), req.stdout_fd, req.stderr_fd}
                                            : bp::process_stdio{nullptr, req.stdout_fd, req.stderr_fd};
  child_result child;
  child_setup setup{saved_nofile ? saved_nofile : RLIM_INFINITY};
  setup.result = &child;
  setup.cgroup_fd = req.cgroup_fd;
  if (req.user) {
    setup.drop = true;
    setup.uid = req.user->uid;
    setup.gid = req.user->gid;
    setup.groups = req.user->groups.data();
    setup.group_count = req.user->groups.size();
  }
  // vfork: the child borrows taskmux's memory until exec, so a spawn costs no page-table copy
  // (fork's cost grows with taskmux's size). The launcher calls notify_fork(fork_child) on the
  // context of the executor it gets, inside the child: that must be a context of our own with
  // no reactor yet, never the event loop's. Signals stay blocked until the child reset them.
  boost::asio::io_context launch_ctx;
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  boost::system::error_code ec;
  bp::posix::vfork_launcher launcher;
  auto proc = launcher(launch_ctx.get_executor(), ec, exe, args, bp::process_environment(env),
                       bp::process_start_dir(req.workdir.string()), stdio, setup);
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (ec) return {-1, "unable to execute " + exe + ": " + ec.message()};
  pid_t pid = proc.id();
  proc.detach();
  if (child.error) {
    // The child has already _exit'ed (vfork resumed us): reap it here, it was never registered.
    ::waitpid(pid, nullptr, 0);
    std::string step = child.step;
    return {-1, "unable to execute " + exe + (step == "exec" ? "" : " (" + step + ")") + ": " +
                    std::strerror(child.error)};
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

}  // namespace taskmux::process
