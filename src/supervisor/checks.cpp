#include "supervisor/checks.hpp"

#include <variant>

#include "config/duration.hpp"

namespace taskmux::supervisor {
namespace {

using std::chrono::milliseconds;

/// tcp/http/exec ready probes: retried this often until one passes, each bounded by a timeout.
constexpr milliseconds ready_probe_interval{500};
constexpr milliseconds ready_probe_timeout{2000};

}  // namespace

checks::checks(host& h, const config::task& cfg, std::span<const char* const> env, pid_t main,
               done_fn done)
    : host_(h), cfg_(cfg), main_(main), done_(std::move(done)), probe_timer_(h.make_deadline()) {
  if (auto* t = std::get_if<config::ready_tcp>(&cfg.ready)) ready_target_ = t->address;
  else if (auto* u = std::get_if<config::ready_http>(&cfg.ready)) ready_target_ = u->url;
  else if (auto* e = std::get_if<config::ready_exec>(&cfg.ready))
    ready_target_ = probes::command{e->argv, env, cfg.workdir.string()};
}

void checks::arm_ready() {
  if (std::holds_alternative<config::ready_notify>(cfg_.ready)) return;  // READY=1 will say it
  if (ready_target_) return try_ready();
  // "started": up for 1 s means ready.
  probe_timer_->arm(std::chrono::seconds(1), [this] { on_ready_passed(); });
}

void checks::try_ready() {
  probe_ = host_.probe(*ready_target_, ready_probe_timeout, [this](bool ok, std::string) {
    if (ok) return on_ready_passed();
    probe_timer_->arm(ready_probe_interval, [this] { try_ready(); });
  });
}

void checks::on_ready_passed() {
  // Its exit is on the way (the reaper runs next on the loop) and ends these checks.
  if (host_.has_exited(main_)) return;
  done_(result::ready, {});
}

void checks::arm_health() {
  health_failures_ = 0;
  if (cfg_.health) probe_timer_->arm(cfg_.health->interval, [this] { try_health(); });
}

void checks::try_health() {
  probe_ = host_.probe(cfg_.health->url, cfg_.health->timeout, [this](bool ok, std::string detail) {
    health_failures_ = ok ? 0 : health_failures_ + 1;
    if (health_failures_ >= cfg_.health->failures)
      return done_(result::health_failed, "health check failed " + std::to_string(health_failures_) + " times in a row (" +
                               config::to_string(cfg_.health->url) + ": " + detail + ")");
    probe_timer_->arm(cfg_.health->interval, [this] { try_health(); });
  });
}

void checks::arm_watchdog() {
  if (!cfg_.watchdog) return;
  // Its clock starts at spawn and restarts at every WATCHDOG=1 (SPEC).
  if (!watchdog_timer_) watchdog_timer_ = host_.make_deadline();
  watchdog_timer_->arm(*cfg_.watchdog, [this] {
    done_(result::watchdog_expired, "watchdog: no WATCHDOG=1 within " + config::format_duration(*cfg_.watchdog));
  });
}

}  // namespace taskmux::supervisor
