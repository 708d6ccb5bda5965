// The only place that waits for children: SIGCHLD -> waitpid(-1, WNOHANG) until empty ->
// the exit status goes to whoever registered the pid; unknown pids (orphans) are counted.
// Spawns finish on another thread (spawner.hpp), so a child can be reaped before its pid
// reaches the loop: while spawns are under way, unknown exits are held for them to claim.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "process/spawn.hpp"

namespace taskmux::process {

class reaper {
 public:
  using on_exit = std::function<void(pid_t, int wait_status)>;

  /// Installs the SIGCHLD handler; construct before the first spawn so no exit is missed.
  /// Makes taskmux a child subreaper when it is not PID 1, so orphans come to it.
  explicit reaper(boost::asio::io_context& ctx);

  /// `handler` runs once, on the loop, when `pid` has been reaped (posted, if it already was).
  void watch(pid_t pid, on_exit handler);
  /// A spawn was handed to the spawner: until settle(), an unknown pid may be its child.
  void expect() { ++expected_; }
  /// That spawn is over (results arrive in submit order): `handler` gets its child's exit (or
  /// the child that failed before exec is claimed quietly). Exits nobody claimed since it
  /// began are orphans now.
  void settle(const spawn_result& r, on_exit handler);
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

  void count_orphans(uint64_t n);

  boost::asio::io_context& ctx_;
  boost::asio::signal_set sigchld_;
  std::unordered_map<pid_t, on_exit> watched_;
  /// Reaped, unknown, while spawns were under way: the status, and how many spawns had been
  /// expected by then (once that many have settled, nobody can claim it).
  struct unclaimed_exit {
    int status;
    uint64_t expected_by;
  };
  std::unordered_map<pid_t, unclaimed_exit> unclaimed_;
  uint64_t expected_ = 0;
  uint64_t settled_ = 0;
  uint64_t orphans_reaped_ = 0;
  std::function<void()> on_orphan_;
};

}  // namespace taskmux::process
