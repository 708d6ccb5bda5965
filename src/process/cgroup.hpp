// cgroup v2 tracking of task processes: one directory per taskmux run under taskmux's own
// cgroup, one leaf per instance, and a watch on the leaves' cgroup.events. Tracking only: no
// controller is ever enabled, and taskmux itself never moves.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace taskmux::process {

/// What a new taskmux found in the cgroup directory of a dead run (one killed with SIGKILL).
struct stale_run {
  std::string dir;
  size_t stopped = 0;        ///< processes it held, sent SIGTERM
  bool needed_kill = false;  ///< some were still there after the grace: SIGKILL
  std::string left;          ///< "" when removed, else "dir: reason" for what stays
};

/// One instance's leaf cgroup. Its main process joins it in the child before exec
/// (exec_setup.hpp); everything that process starts is born in it and cannot leave it
/// without write access to the cgroup tree. Holds no descriptor between uses: every open
/// descriptor of taskmux is copied into each vfork child and closed again at its exec, so a
/// descriptor kept per instance would make every spawn slower by the number of instances.
class cgroup_leaf {
 public:
  /// `name` is the leaf's directory under the run's directory, open as `parent_fd`.
  cgroup_leaf(int parent_fd, std::string dir, std::string name);

  const std::string& dir() const { return dir_; }
  /// cgroup.procs opened for writing (O_CLOEXEC), for one spawn: the child writes "0" into it
  /// to join, the caller closes it after the spawn. -1 with errno set when it cannot.
  int open_join() const;
  /// The live processes in it (a process leaves it when it exits, before it is reaped).
  std::vector<pid_t> procs() const;
  /// No live process in it ("populated 0" in cgroup.events), for the exit path.
  bool is_empty() const;
  /// SIGKILL to everything in it: cgroup.kill (Linux 5.14+), else each pid of procs().
  void kill_all() const;

 private:
  std::string file(const char* name) const { return name_ + "/" + name; }

  int parent_fd_;  ///< the run's directory, owned by cgroup_tree, which outlives its leaves
  std::string dir_;
  std::string name_;
};

/// The run's directory `<taskmux's cgroup>/taskmux-<run>`, flock'ed while taskmux lives, so
/// the next taskmux in the same cgroup can tell a dead run's directory from a live one's.
/// Loop thread only.
class cgroup_tree {
 public:
  /// Creates the run's directory on the cgroup2 mount, after stopping what dead runs left in
  /// theirs and removing them (a taskmux killed with SIGKILL cannot do either: that waits up
  /// to a few seconds, before any task starts); nullptr, with `why` set
  /// ("unable to create /sys/fs/cgroup/taskmux-5f0c2a: Read-only file system"), when it cannot.
  static std::unique_ptr<cgroup_tree> create(boost::asio::io_context& loop,
                                             const std::string& run_id, std::string& why);
  ~cgroup_tree();
  cgroup_tree(const cgroup_tree&) = delete;
  cgroup_tree& operator=(const cgroup_tree&) = delete;

  const std::string& dir() const { return dir_; }
  /// Dead runs whose processes create() stopped, or whose directory it could not remove.
  const std::vector<stale_run>& stale_runs() const { return stale_runs_; }
  /// The leaf `name` (made the first time, then reused); none, with `why`, when mkdir fails.
  std::optional<cgroup_leaf> make_leaf(const std::string& name, std::string& why);
  /// Calls `changed` on the loop whenever `leaf`'s cgroup.events changes (populated turned 0
  /// or 1; the kernel batches changes to one per 10 ms), until unwatch(). -1 when refused.
  int watch(const cgroup_leaf& leaf, std::function<void()> changed);
  void unwatch(int id);
  /// rmdir every leaf, then the run's directory (only empty cgroups can go); "dir: reason"
  /// for each one that stays.
  std::vector<std::string> remove();

 private:
  cgroup_tree(boost::asio::io_context& loop, std::string dir, int lock_fd, int inotify_fd);
  void arm();
  void on_events();

  std::string dir_;
  int lock_fd_;  ///< dir_ itself, flock'ed: "this run is alive"
  std::vector<stale_run> stale_runs_;
  std::vector<std::string> leaves_;
  bool removed_ = false;
  boost::asio::posix::stream_descriptor events_;  ///< inotify
  std::unordered_map<int, std::function<void()>> watches_;
};

}  // namespace taskmux::process
