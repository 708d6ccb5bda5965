// The Prometheus text (exposition format 0.0.4) of /metrics, rendered from plain samples into
// one string: no supervisor, no JSON. What gathers the samples is supervisor_view.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "supervisor/exit_status.hpp"
#include "supervisor/lifecycle.hpp"

namespace taskmux::http {

/// One instance as /metrics shows it. Borrows `task` and `exits` for the call.
struct instance_sample {
  std::string_view task;
  int index = 0;
  supervisor::state state = supervisor::state::stopped;
  bool up = false;      ///< its main process runs
  int restarts = 0;     ///< as `restarts` in `status --json`
  double uptime_s = 0;  ///< since its process started; 0 when none runs
  std::span<const supervisor::exit_tally::entry> exits;
};

/// The supervisor-wide counters.
struct supervisor_sample {
  uint64_t reports_committed = 0;
  std::optional<uint64_t> reports_published;  ///< amqp only; no samples without it
  uint64_t reports_waiting = 0;
  uint64_t reports_dropped = 0;
  uint64_t orphans_reaped = 0;
  uint64_t stdout_lines_dropped = 0;
  uint64_t stderr_lines_dropped = 0;
  uint64_t notify_accepted = 0;
  uint64_t notify_refused = 0;
};

/// The Content-Type of what render_metrics writes.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// Appends the whole exposition to `out`: every family with `# HELP` and `# TYPE`, names
/// prefixed `taskmux_`, instances in the order given. docs/http.md lists the families.
void render_metrics(std::string& out, const supervisor_sample& s,
                    std::span<const instance_sample> instances);

/// Appends `v` as the inside of a quoted label value: `\`, `"` and newline escaped.
void append_label_value(std::string& out, std::string_view v);

/// "KILL" for SIGKILL: the name without "SIG" (the number for a signal without a name).
std::string signal_label(int signo);

}  // namespace taskmux::http
