#include "http/metrics.hpp"

#include <charconv>
#include <cmath>

#include "config/signal_names.hpp"

namespace taskmux::http {
namespace {

using supervisor::state;

// Every state, for the enum pattern (one sample per state, 1 for the current one). fatal is
// the last enumerator: a state added after it fails here until it is listed.
constexpr state all_states[] = {state::stopped, state::starting, state::running, state::ready,
                                state::backoff, state::waiting,  state::blocked, state::stopping,
                                state::exited,  state::fatal};
static_assert(static_cast<int>(state::fatal) + 1 == std::size(all_states));

// Enough for the longest line of an instance family with short names and values.
constexpr size_t bytes_per_instance = 1100;

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_number(std::string& out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

/// `name{task="web",instance="0"` (no closing brace: the caller may add labels).
void open_instance(std::string& out, std::string_view name, const instance_sample& i) {
  out += name;
  out += "{task=\"";
  append_label_value(out, i.task);
  out += "\",instance=\"";
  append_number(out, static_cast<uint64_t>(i.index));
  out += '"';
}

template <typename Value>
void instance_line(std::string& out, std::string_view name, const instance_sample& i, Value v) {
  open_instance(out, name, i);
  out += "} ";
  append_number(out, v);
  out += '\n';
}

void plain_line(std::string& out, std::string_view name, uint64_t v) {
  out += name;
  out += ' ';
  append_number(out, v);
  out += '\n';
}

void instance_families(std::string& out, std::span<const instance_sample> instances) {
  family(out, "taskmux_instance_state", "gauge",
         "Lifecycle state of each task instance: 1 for the state it is in, 0 for the others.");
  for (auto& i : instances)
    for (auto s : all_states) {
      open_instance(out, "taskmux_instance_state", i);
      out += ",state=\"";
      out += to_string(s);
      out += s == i.state ? "\"} 1\n" : "\"} 0\n";
    }
  family(out, "taskmux_instance_up", "gauge",
         "1 while the main process of the instance runs, else 0.");
  for (auto& i : instances)
    instance_line(out, "taskmux_instance_up", i, uint64_t{i.up});
  family(out, "taskmux_instance_restarts_total", "counter",
         "Restarts of the instance since taskmux started (restarts in status --json).");
  for (auto& i : instances)
    instance_line(out, "taskmux_instance_restarts_total", i,
                  static_cast<uint64_t>(std::max(i.restarts, 0)));
  family(out, "taskmux_instance_exits_total", "counter",
         "Exits of the main process of the instance, by exit code or by the signal that ended it.");
  for (auto& i : instances)
    for (auto& e : i.exits) {
      open_instance(out, "taskmux_instance_exits_total", i);
      if (e.how.signal) {
        out += ",signal=\"";
        append_label_value(out, signal_label(e.how.signal));
      } else {
        out += ",code=\"";
        append_number(out, static_cast<uint64_t>(e.how.code));
      }
      out += "\"} ";
      append_number(out, e.count);
      out += '\n';
    }
  family(out, "taskmux_instance_uptime_seconds", "gauge",
         "Seconds since the current process of the instance started; 0 while none runs.");
  for (auto& i : instances)
    instance_line(out, "taskmux_instance_uptime_seconds", i, std::round(i.uptime_s * 1000) / 1000);
}

void supervisor_families(std::string& out, const supervisor_sample& s) {
  family(out, "taskmux_reports_committed_total", "counter",
         "Reports written to the embedded store (the queues, or the AMQP outbox).");
  plain_line(out, "taskmux_reports_committed_total", s.reports_committed);
  if (s.reports_published) {
    family(out, "taskmux_reports_published_total", "counter", "Reports the AMQP broker confirmed.");
    plain_line(out, "taskmux_reports_published_total", *s.reports_published);
  }
  family(out, "taskmux_reports_waiting", "gauge",
         "Reports not written to the store yet, plus AMQP outbox rows the broker has not confirmed "
         "yet.");
  plain_line(out, "taskmux_reports_waiting", s.reports_waiting);
  family(out, "taskmux_reports_dropped_total", "counter",
         "Reports lost because the store could not be written and the memory bound was full.");
  plain_line(out, "taskmux_reports_dropped_total", s.reports_dropped);
  family(out, "taskmux_orphans_reaped_total", "counter",
         "Children that belonged to no instance (orphans), reaped by taskmux.");
  plain_line(out, "taskmux_orphans_reaped_total", s.orphans_reaped);
  family(out, "taskmux_log_lines_dropped_total", "counter",
         "Lines not written to taskmux's stdout or stderr because its reader stalled.");
  out += "taskmux_log_lines_dropped_total{stream=\"stdout\"} ";
  append_number(out, s.stdout_lines_dropped);
  out += "\ntaskmux_log_lines_dropped_total{stream=\"stderr\"} ";
  append_number(out, s.stderr_lines_dropped);
  out += '\n';
  family(out, "taskmux_notify_datagrams_total", "counter",
         "Datagrams received on the notify sockets: accepted, or refused (malformed, or from no "
         "instance).");
  out += "taskmux_notify_datagrams_total{result=\"accepted\"} ";
  append_number(out, s.notify_accepted);
  out += "\ntaskmux_notify_datagrams_total{result=\"refused\"} ";
  append_number(out, s.notify_refused);
  out += '\n';
  family(out, "taskmux_build_info", "gauge", "Always 1; the version of taskmux as a label.");
  out += "taskmux_build_info{version=\"";
  append_label_value(out, TASKMUX_VERSION);
  out += "\"} 1\n";
}

}  // namespace

void render_metrics(std::string& out, const supervisor_sample& s,
                    std::span<const instance_sample> instances) {
  out.reserve(out.size() + 4096 + instances.size() * bytes_per_instance);
  instance_families(out, instances);
  supervisor_families(out, s);
}

void append_label_value(std::string& out, std::string_view v) {
  if (v.find_first_of("\\\"\n") == std::string_view::npos) {
    out += v;
    return;
  }
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

std::string signal_label(int signo) {
  auto name = config::signal_name(signo);
  if (name.starts_with("SIG")) return name.substr(3);
  return std::to_string(signo);
}

}  // namespace taskmux::http
