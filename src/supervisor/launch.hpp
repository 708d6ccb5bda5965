// From a task's config to a spawn request: the environment every instance of the task shares,
// argv with its program found in PATH, the user, and per run the output pipes, TASK_INSTANCE,
// the run's mark and the cgroup to join. Loop thread only.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "config/model.hpp"
#include "process/spawn.hpp"
#include "process/unique_fd.hpp"

namespace taskmux::supervisor {

/// What every instance of a task starts from, made once per task: 500 instances share one
/// environment and one PATH search.
class task_launch {
 public:
  /// `secret_vars`: taskmux's own secrets' variables, passed on only when `env` names them.
  /// Both must outlive it.
  task_launch(const config::task& t, const std::set<std::string>& secret_vars);
  /// NOTIFY_SOCKET for the task's processes; set before the first spawn ("" : none).
  void set_notify_socket(std::string path) { notify_socket_ = std::move(path); }

  /// "K=V" for all but TASK_INSTANCE and the mark: inherited (inherit_env), PYTHONUNBUFFERED,
  /// with `user` its HOME, USER and LOGNAME (replacing inherited ones), the config's env,
  /// TASK_NAME, NAMESPACE, NOTIFY_SOCKET, WATCHDOG_USEC, FREQUENCY_SEC.
  const std::shared_ptr<const std::vector<std::string>>& env();
  /// `name` as the task's spawn finds it (process::find_program): in the PATH of env(),
  /// relative to its workdir, executable by its user; a name with a '/' as it is. "" when
  /// there is no such executable file.
  std::string find(const std::string& name);
  /// find(argv[0]), kept once found; "" while there is none (looked up again next time; a
  /// spawn then runs argv[0] as written, and its exec says what is wrong).
  const std::string& program();
  /// The task's `user`, looked up once; nothing when the task has none or it is unknown.
  const std::optional<process::identity>& user();

 private:
  const config::task& task_;
  const std::set<std::string>& secret_vars_;
  std::string notify_socket_;
  std::shared_ptr<const std::vector<std::string>> env_;
  std::string program_;
  std::optional<process::identity> user_;
  bool user_looked_up_ = false;
};

/// One instance's spawns.
class launch {
 public:
  /// Both must outlive the launch.
  launch(task_launch& t, const config::task& cfg, int index);

  /// One run's spawn: `request` borrows from this launch and from the descriptors here, so
  /// keep both as they are until the spawn is over.
  struct prepared {
    process::spawn_request request;
    process::unique_fd out_read, err_read;  ///< for the log pumps
    process::unique_fd out_write, err_write, cgroup_join;  ///< the child's; close after the spawn
    std::string warning;  ///< something that did not stop the spawn but should be said
  };

  /// The spawn of the run marked `mark`, joining `cgroup_join` (empty: no cgroup); or why it
  /// cannot start ("unable to start web[0]: user \"x\" does not exist").
  std::variant<prepared, std::string> prepare(const std::string& label, const std::string& mark,
                                              process::unique_fd cgroup_join);
  /// The whole environment of the last prepare(), for exec probes that run beside it.
  std::span<const char* const> env() const { return env_; }

 private:
  void build();

  task_launch& task_;
  const config::task& cfg_;
  int index_;
  std::vector<std::string> argv_;  ///< argv[0] resolved once found
  std::shared_ptr<const std::vector<std::string>> shared_env_;
  std::string instance_var_;  ///< TASK_INSTANCE=i
  std::string mark_var_;      ///< TASKMUX_INSTANCE=<mark of this run>
  std::vector<const char*> env_;  ///< shared_env_, then the two above
};

}  // namespace taskmux::supervisor
