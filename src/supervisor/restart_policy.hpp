// Pure restart decisions: should an exit restart, how long to back off, is the start limit hit.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "config/model.hpp"
#include "supervisor/exit_status.hpp"

namespace taskmux::supervisor {

using clock = std::chrono::steady_clock;

/// "always": any exit; "on-failure": non-zero exit or death by signal; "never": no.
bool wants_restart(config::restart_policy, bool run_failed);

/// Backoff before restart number `attempt` (1 = first restart): initial * 2^(attempt-1), capped
/// at max, then scaled by (1 + 0.2 * jitter) with jitter in [-1, 1]; never above max * 1.2 nor
/// 2^62 ms.
std::chrono::milliseconds backoff_delay(const config::backoff&, int attempt, double jitter);

/// The last `burst` start times (no more: a task restarting forever under burst = 0 keeps none),
/// for the start limit. Allocates nothing until the first start: 500 idle instances pay nothing.
class start_history {
 public:
  /// True when a start at `now` would make more than `burst` starts within `interval`.
  bool would_exceed(const config::start_limit&, clock::time_point now) const;
  void record(const config::start_limit&, clock::time_point now);
  void clear();
  /// How many starts it keeps.
  size_t size() const { return starts_.size(); }

 private:
  std::vector<clock::time_point> starts_;  ///< a ring once full: oldest_ is the oldest start
  size_t oldest_ = 0;
};

}  // namespace taskmux::supervisor
