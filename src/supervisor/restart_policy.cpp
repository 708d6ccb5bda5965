#include "supervisor/restart_policy.hpp"

#include <algorithm>
#include <cmath>

namespace taskmux::supervisor {

bool wants_restart(config::restart_policy policy, bool run_failed) {
  switch (policy) {
    case config::restart_policy::always: return true;
    case config::restart_policy::on_failure: return run_failed;
    case config::restart_policy::never: return false;
  }
  return false;
}

std::chrono::milliseconds backoff_delay(const config::backoff& b, int attempt, double jitter) {
  if (b.initial.count() == 0 || attempt < 1) return std::chrono::milliseconds(0);
  double base = static_cast<double>(b.initial.count()) * std::pow(2.0, std::min(attempt - 1, 40));
  base = std::min(base, static_cast<double>(b.max.count()));
  jitter = std::clamp(jitter, -1.0, 1.0);
  // A config's max is at most 100 years; a larger one (not from a config) saturates rather than
  // overflowing llround into a negative delay.
  double delay = std::min(base * (1.0 + 0.2 * jitter), 0x1p62);
  return std::chrono::milliseconds(std::llround(delay));
}

bool start_history::would_exceed(const config::start_limit& limit, clock::time_point now) const {
  // Fewer than `burst` starts, or kept under another limit (a reload changed it): no refusal.
  if (limit.burst == 0 || starts_.size() != static_cast<size_t>(limit.burst)) return false;
  // Full: one more start makes burst + 1 unless the oldest of the last `burst` has aged out.
  return now - starts_[oldest_] < limit.interval;
}

void start_history::record(const config::start_limit& limit, clock::time_point now) {
  auto burst = static_cast<size_t>(limit.burst);
  if (starts_.size() > burst) clear();  // the limit shrank
  if (burst == 0) return;
  if (starts_.size() < burst) {
    starts_.push_back(now);
    return;
  }
  starts_[oldest_] = now;
  oldest_ = (oldest_ + 1) % burst;
}

void start_history::clear() {
  starts_.clear();
  oldest_ = 0;
}

}  // namespace taskmux::supervisor
