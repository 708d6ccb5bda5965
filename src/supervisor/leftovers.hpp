// Every process of an instance's run: its main process, its process group, whatever carries
// the run's mark, and its cgroup leaf where tracking is on. One membership rule serves both
// the notify socket (who may speak for the instance) and the stop (what it must end).
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "process/cgroup.hpp"
#include "process/children.hpp"
#include "process/reaper.hpp"
#include "process/unique_fd.hpp"

namespace taskmux::supervisor {

class leftovers {
 public:
  virtual ~leftovers() = default;
  /// For the next spawn: cgroup.procs of the instance's leaf, to join before exec. Empty when
  /// tracking is off, with `error` (an errno) when the leaf cannot be opened.
  virtual process::unique_fd open_join(int& error) = 0;
  /// The run's main process `pid` is up, leading group `pid`, its processes marked `mark`;
  /// `join_error`: why it could not join the leaf (0: it did, or there is none).
  virtual void begin(pid_t pid, const std::string& mark, int join_error) = 0;
  /// `p` is one of the current run's processes: its main process, in its group, or marked by it.
  virtual bool owns(const process::process_view& p) const = 0;
  /// After the main process exited: whether anything of the run still lives. What is found
  /// now gets `sig` (0: nothing). While the answer is true, the `changed` callback given at
  /// construction says when some of it went: ask again.
  virtual bool find(int sig) = 0;
  /// `sig`, then SIGCONT (a stopped process must wake to act on it), to everything of the
  /// run; its group gets it once.
  virtual void signal(int sig) = 0;
  /// `sig`, then SIGCONT, to the main process alone (kill_mode = "mixed": it stops its own).
  virtual void signal_main(int sig) = 0;
  /// SIGKILL to everything of the run.
  virtual void kill() = 0;
};

/// The real one: process group + mark, or the instance's cgroup leaf under `cgroups`.
class os_leftovers final : public leftovers {
 public:
  using log_fn = std::function<void(std::string_view level, std::string text)>;
  /// `cgroups` may be empty (tracking off) and outlives it; `leaf` names the instance's leaf ("web.0").
  os_leftovers(process::reaper& r, const std::unique_ptr<process::cgroup_tree>& cgroups, std::string leaf, std::string label, log_fn log,
               std::function<void()> changed);
  ~os_leftovers() override;

  process::unique_fd open_join(int& error) override;
  void begin(pid_t pid, const std::string& mark, int join_error) override;
  bool owns(const process::process_view& p) const override;
  bool find(int sig) override;
  void signal(int sig) override;
  void signal_main(int sig) override;
  void kill() override;

 private:
  bool find_in_cgroup(int sig);
  /// The group got `sig` already: only members that left it get it here, so the group does
  /// not see a second stop signal (which can mean "now" to a program).
  void signal_outside_group(int sig);
  void forget_leaf();

  process::reaper& reaper_;
  const std::unique_ptr<process::cgroup_tree>& cgroups_;  ///< made once the supervisor runs; may stay empty
  std::string leaf_name_;
  std::string label_;
  log_fn log_;
  std::function<void()> changed_;
  std::optional<process::cgroup_leaf> leaf_;  ///< made at the first spawn when tracking is on
  bool leaf_tried_ = false;
  bool tracked_ = false;  ///< this run's main process joined leaf_: its processes = its members
  int watch_ = -1;
  pid_t pid_ = 0;
  pid_t pgid_ = 0;
  std::string mark_;
  std::set<pid_t> children_;  ///< reparented to taskmux and found to be the run's
};

}  // namespace taskmux::supervisor
