// The ready, health and watchdog checks of one run. Made when its process is up and destroyed
// with the run, so nothing of them fires into the next one. Each result goes to a callback;
// whether it still matters in the instance's state is the lifecycle table's to decide.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "config/model.hpp"
#include "probes/probe.hpp"
#include "supervisor/host.hpp"

namespace taskmux::supervisor {

class checks {
 public:
  enum class result {
    ready,             ///< the ready check passed
    health_failed,     ///< `failures` health checks failed in a row
    watchdog_expired,  ///< no WATCHDOG=1 in time
  };
  /// `why`: for the failures, what failed ("health check failed 3 times in a row (...)").
  using done_fn = std::function<void(result, std::string why)>;
  /// `cfg` outlives it; `env` (for exec probes) stays valid for the run; `main` is the run's
  /// main process.
  checks(host& h, const config::task& cfg, std::span<const char* const> env, pid_t main,
         done_fn done);

  /// "started": ready after 1 s up; tcp, http, exec: tried every 500 ms until one passes;
  /// "notify": READY=1 says it, nothing to arm. A pass counts only while `main` has not
  /// exited: a port someone else listens on answers for a task that is already gone.
  void arm_ready();
  /// Once ready: the health check every `interval`; `failures` failed ones in a row fail it.
  void arm_health();
  /// At spawn, and again at every WATCHDOG=1; nothing without `watchdog`.
  void arm_watchdog();

 private:
  void try_ready();
  /// A ready check passed: ready, unless the main process exited before its exit was handled.
  void on_ready_passed();
  void try_health();

  host& host_;
  const config::task& cfg_;
  pid_t main_;
  done_fn done_;
  std::optional<probes::target> ready_target_;  ///< tcp, http or exec; none for started/notify
  /// The ready retries, then (once ready) the health interval: never both at once.
  std::unique_ptr<deadline> probe_timer_;
  std::unique_ptr<deadline> watchdog_timer_;  ///< made at the first arm_watchdog with `watchdog`
  std::unique_ptr<probes::attempt> probe_;  ///< the ready or health attempt in flight
  int health_failures_ = 0;                 ///< in a row
};

}  // namespace taskmux::supervisor
