#include "supervisor/launch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "process/children.hpp"
#include "process/program_path.hpp"

extern char** environ;

namespace taskmux::supervisor {

task_launch::task_launch(const config::task& t, const std::set<std::string>& secret_vars)
    : task_(t), secret_vars_(secret_vars) {}

const std::shared_ptr<const std::vector<std::string>>& task_launch::env() {
  // Made again while the task's user is unknown (its spawns fail): HOME once it exists.
  if (env_ && (!task_.user || user_)) return env_;
  auto& t = task_;
  std::map<std::string, std::string> env;
  if (t.inherit_env)
    for (char** e = environ; *e; ++e) {
      std::string_view kv(*e);
      auto eq = kv.find('=');
      if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
  // taskmux's own, from a service manager above it
  for (auto* own : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "TASK_INSTANCE", process::instance_mark_name})
    env.erase(own);
  // taskmux's secrets (a broker password...) reach a task only when its own `env` names them.
  for (auto& secret : secret_vars_) env.erase(secret);
  env.emplace("PYTHONUNBUFFERED", "1");
  // As Docker's USER and systemd's User=: who the task runs as, not who taskmux runs as.
  if (auto& u = user()) {
    env["HOME"] = u->home;
    env["USER"] = env["LOGNAME"] = u->name;
  }
  for (auto& [k, v] : t.env) env[k] = v;
  env["TASK_NAME"] = t.name;
  env["NAMESPACE"] = t.namespace_;
  if (!notify_socket_.empty()) env["NOTIFY_SOCKET"] = notify_socket_;
  if (t.watchdog) env["WATCHDOG_USEC"] = std::to_string(t.watchdog->count() * 1000);
  if (t.every) env["FREQUENCY_SEC"] = std::to_string(std::max<long long>(1, t.every->count() / 1000));
  auto vars = std::make_shared<std::vector<std::string>>();
  for (auto& [k, v] : env) vars->push_back(k + "=" + v);
  env_ = std::move(vars);
  return env_;
}

std::string task_launch::find(const std::string& name) {
  auto& u = user();
  const process::identity* as = u ? &*u : nullptr;
  if (name.find('/') != std::string::npos)
    return process::is_executable(name, task_.workdir, as) ? name : std::string();
  std::vector<const char*> vars;
  for (auto& kv : *env()) vars.push_back(kv.c_str());
  return process::find_program(name, vars, task_.workdir, as);
}

const std::string& task_launch::program() {
  if (!program_.empty() || task_.cmd.argv.empty()) return program_;
  program_ = find(task_.cmd.argv[0]);
  return program_;
}

const std::optional<process::identity>& task_launch::user() {
  if (!user_looked_up_ && task_.user) {
    user_ = process::lookup_user(*task_.user);
    // Unknown now: asked again at the next spawn (the user may be created meanwhile).
    user_looked_up_ = user_.has_value();
  }
  return user_;
}

launch::launch(task_launch& t, const config::task& cfg, int index) : task_(t), cfg_(cfg), index_(index) {}

void launch::build() {
  shared_env_ = task_.env();
  instance_var_ = "TASK_INSTANCE=" + std::to_string(index_);
  env_.clear();
  for (auto& kv : *shared_env_) env_.push_back(kv.c_str());
  env_.push_back(instance_var_.c_str());
  env_.push_back(mark_var_.c_str());
  argv_ = cfg_.cmd.argv;
  // A program that is not there (yet) is looked up again at the next spawn.
  if (auto& path = task_.program(); !path.empty()) argv_[0] = path;
}

namespace {

std::optional<process::pipe_ends> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  return process::pipe_ends{process::unique_fd(fds[0]), process::unique_fd(fds[1])};
}

}  // namespace

std::variant<launch::prepared, std::string> launch::prepare(const std::string& label, const std::string& mark,
                                                            process::unique_fd cgroup_join) {
  if (argv_.empty() || argv_[0].find('/') == std::string::npos) build();
  auto& user = task_.user();
  // Never fall back to running as root.
  if (cfg_.user && !user) return "unable to start " + label + ": user \"" + *cfg_.user + "\" does not exist";
  auto out = make_pipe();
  auto err = out ? make_pipe() : std::nullopt;
  if (!out || !err) return "unable to start " + label + ": pipe: " + std::strerror(errno);
  prepared p;
  if (user) {
    // A pipe belongs to its creator with mode 0600: without this, a task that reopens its
    // output (nginx's `access_log /dev/stdout`) as another user gets EACCES. runc does the same.
    for (auto* end : {&out->write, &err->write})
      if (::fchown(end->get(), user->uid, user->gid) != 0)
        p.warning = "unable to hand the output pipe of " + label + " to its user: " + std::strerror(errno);
  }
  mark_var_ = std::string(process::instance_mark_name) + "=" + mark;
  env_.back() = mark_var_.c_str();
  p.request.argv = argv_;
  p.request.env = env_;
  p.request.workdir = cfg_.workdir;
  p.request.user = user;
  p.request.stdout_fd = out->write.get();
  p.request.stderr_fd = err->write.get();
  p.request.cgroup_fd = cgroup_join.get();
  p.out_read = std::move(out->read);
  p.err_read = std::move(err->read);
  p.out_write = std::move(out->write);
  p.err_write = std::move(err->write);
  p.cgroup_join = std::move(cgroup_join);
  return p;
}

}  // namespace taskmux::supervisor
