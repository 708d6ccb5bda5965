// The only place that waits for children: SIGCHLD -> waitpid(-1, WNOHANG) until empty ->
// the exit status goes to whoever registered the pid; unknown pids (orphans) are counted.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdint>
#include <functional>
#include <unordered_map>

namespace taskmux::process {

class reaper {
 public:
  using on_exit = std::function<void(pid_t, int wait_status)>;

  /// Installs the SIGCHLD handler; construct before the first spawn so no exit is missed.
  /// Makes taskmux a child subreaper when it is not PID 1, so orphans come to it.
  explicit reaper(boost::asio::io_context& ctx);

  /// `handler` runs once, on the loop, when `pid` has been reaped.
  void watch(pid_t pid, on_exit handler);
  void unwatch(pid_t pid) { watched_.erase(pid); }
  bool is_watched(pid_t pid) const { return watched_.count(pid) != 0; }

  /// Reaps whatever is ready now (also called after sending signals in tests and shutdown).
  void reap_now();

  uint64_t orphans_reaped() const { return orphans_reaped_; }
  /// Called after a batch of reaping that included unknown pids.
  void set_orphan_handler(std::function<void()> h) { on_orphan_ = std::move(h); }
  /// Children of taskmux that are not watched and not reaped yet (orphans still alive).
  bool has_unwatched_children() const;

 private:
  void arm();

  boost::asio::signal_set sigchld_;
  std::unordered_map<pid_t, on_exit> watched_;
  uint64_t orphans_reaped_ = 0;
  std::function<void()> on_orphan_;
};

}  // namespace taskmux::process
