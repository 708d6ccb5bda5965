#include "process/reaper.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include "process/children.hpp"

namespace taskmux::process {

reaper::reaper(boost::asio::io_context& ctx) : ctx_(ctx), sigchld_(ctx, SIGCHLD) {
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

void reaper::watch(pid_t pid, on_exit handler) {
  if (auto it = unclaimed_.find(pid); it != unclaimed_.end()) {
    // Posted: the caller finishes registering the start before it learns of the exit.
    boost::asio::post(ctx_, [handler = std::move(handler), pid, status = it->second.status] { handler(pid, status); });
    unclaimed_.erase(it);
    return;
  }
  watched_[pid] = std::move(handler);
}

void reaper::settle(const spawn_result& r, on_exit handler) {
  if (r.pid > 0) watch(r.pid, std::move(handler));
  else if (r.failed_pid > 0) watch(r.failed_pid, [](pid_t, int) {});
  ++settled_;
  uint64_t orphans = std::erase_if(unclaimed_, [this](auto& e) { return e.second.expected_by <= settled_; });
  count_orphans(orphans);
}

void reaper::count_orphans(uint64_t n) {
  orphans_reaped_ += n;
  if (n && on_orphan_) on_orphan_();
}

void reaper::reap_now() {
  uint64_t orphans = 0;
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;  // 0: the rest still run; -1 (ECHILD): no children at all
    auto it = watched_.find(pid);
    if (it == watched_.end()) {
      if (settled_ < expected_) unclaimed_[pid] = {status, expected_};
      else ++orphans;
      continue;
    }
    auto handler = std::move(it->second);
    watched_.erase(it);
    handler(pid, status);
  }
  count_orphans(orphans);
}

bool reaper::has_unwatched_children() const {
  for (pid_t child : list_children())
    if (!watched_.count(child)) return true;
  return false;
}

}  // namespace taskmux::process
