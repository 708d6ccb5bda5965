#include "supervisor/leftovers.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "process/process_group.hpp"

namespace taskmux::supervisor {

os_leftovers::os_leftovers(process::reaper& r, const std::unique_ptr<process::cgroup_tree>& cgroups, std::string leaf, std::string label,
                           log_fn log, std::function<void()> changed)
    : reaper_(r),
      cgroups_(cgroups),
      leaf_name_(std::move(leaf)),
      label_(std::move(label)),
      log_(std::move(log)),
      changed_(std::move(changed)) {}

os_leftovers::~os_leftovers() {
  if (pid_) reaper_.unwatch(pid_);
  for (pid_t p : children_) reaper_.unwatch(p);
  if (watch_ >= 0) cgroups_->unwatch(watch_);
}

process::unique_fd os_leftovers::open_join(int& error) {
  if (!leaf_tried_ && cgroups_) {
    leaf_tried_ = true;
    std::string why;
    leaf_ = cgroups_->make_leaf(leaf_name_, why);
    if (!leaf_) log_("warn", "cgroup tracking off for " + label_ + ": " + why);
  }
  if (!leaf_) return {};
  process::unique_fd fd(leaf_->open_join());
  if (!fd) error = errno;
  return fd;
}

void os_leftovers::begin(pid_t pid, const std::string& mark, int join_error) {
  pid_ = pgid_ = pid;
  mark_ = mark;
  tracked_ = leaf_ && join_error == 0;
  if (leaf_ && !tracked_) {
    log_("warn", "cgroup tracking off for " + label_ + ": unable to move it into " + leaf_->dir() + ": " +
                     std::strerror(join_error));
    forget_leaf();
  }
}

void os_leftovers::forget_leaf() {
  if (watch_ >= 0) cgroups_->unwatch(watch_);
  watch_ = -1;
  leaf_.reset();
}

bool os_leftovers::owns(const process::process_view& p) const {
  if (p.pid() == pid_ && pid_ != 0) return true;
  if (auto pgid = p.pgid(); pgid && pgid_ != 0 && *pgid == pgid_) return true;
  return !mark_.empty() && p.mark() == mark_;
}

bool os_leftovers::find(int sig) {
  if (tracked_) return find_in_cgroup(sig);
  for (pid_t child : process::list_children()) {
    if (reaper_.is_watched(child)) continue;
    process::process_view v(child);
    if (!v.pgid() || !owns(v)) continue;
    children_.insert(child);
    reaper_.watch(child, [this](pid_t p, int) {
      children_.erase(p);
      changed_();
    });
    if (sig) ::kill(child, sig);
  }
  return process::group_exists(pgid_) || !children_.empty();
}

// Everything the run started is in its cgroup, whatever its group, session or environment.
// A process leaves the cgroup when it exits, before it is reaped: zombies never count.
bool os_leftovers::find_in_cgroup(int sig) {
  if (leaf_->is_empty()) return false;
  if (watch_ < 0) {
    watch_ = cgroups_->watch(*leaf_, [this] { changed_(); });
    if (leaf_->is_empty()) return false;  // emptied before the watch was there
  }
  if (sig == SIGKILL) leaf_->kill_all();
  else if (sig) signal_outside_group(sig);
  return true;
}

void os_leftovers::signal_outside_group(int sig) {
  for (pid_t p : leaf_->procs()) {
    if (::getpgid(p) == pgid_) continue;
    ::kill(p, sig);
    ::kill(p, SIGCONT);
  }
}

void os_leftovers::signal(int sig) {
  process::signal_group(pgid_, sig);
  process::signal_group(pgid_, SIGCONT);
  for (pid_t p : children_) {
    ::kill(p, sig);
    ::kill(p, SIGCONT);
  }
  if (tracked_) signal_outside_group(sig);
}

void os_leftovers::signal_main(int sig) {
  if (pid_ == 0) return;
  ::kill(pid_, sig);
  ::kill(pid_, SIGCONT);
}

void os_leftovers::kill() {
  process::signal_group(pgid_, SIGKILL);
  for (pid_t p : children_) {
    ::kill(-p, SIGKILL);
    ::kill(p, SIGKILL);
  }
  if (tracked_) leaf_->kill_all();
}

}  // namespace taskmux::supervisor
