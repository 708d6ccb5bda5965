#include "process/reaper.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process/children.hpp"

namespace taskmux::process {

reaper::reaper(boost::asio::io_context& ctx) : sigchld_(ctx, SIGCHLD) {
  if (::getpid() != 1) ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  arm();
}

void reaper::arm() {
  sigchld_.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    reap_now();
    arm();
  });
}

void reaper::watch(pid_t pid, on_exit handler) { watched_[pid] = std::move(handler); }

void reaper::reap_now() {
  bool saw_orphan = false;
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;  // 0: the rest still run; -1 (ECHILD): no children at all
    auto it = watched_.find(pid);
    if (it == watched_.end()) {
      ++orphans_reaped_;
      saw_orphan = true;
      continue;
    }
    auto handler = std::move(it->second);
    watched_.erase(it);
    handler(pid, status);
  }
  if (saw_orphan && on_orphan_) on_orphan_();
}

bool reaper::has_unwatched_children() const {
  for (pid_t child : list_children())
    if (!watched_.count(child)) return true;
  return false;
}

}  // namespace taskmux::process
