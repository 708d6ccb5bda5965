// The /metrics text of hand-built samples: families, the state enum, exits by code and signal,
// label escaping; and the time it takes for 500 instances.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "http/metrics.hpp"

namespace {

using namespace taskmux::http;
using taskmux::supervisor::exit_status;
using taskmux::supervisor::exit_tally;
using taskmux::supervisor::state;

size_t count(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.starts_with(line + "\n") || text.find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("metrics: label values escape backslash, quote and newline, nothing else") {
  std::string out;
  append_label_value(out, "a\\b\"c\nd");
  CHECK(out == "a\\\\b\\\"c\\nd");
  out.clear();
  append_label_value(out, "web-1.x_y");
  CHECK(out == "web-1.x_y");
}

TEST_CASE("metrics: signals are labelled by name without SIG, or by number") {
  CHECK(signal_label(SIGKILL) == "KILL");
  CHECK(signal_label(SIGTERM) == "TERM");
  CHECK(signal_label(SIGRTMIN + 3) == std::to_string(SIGRTMIN + 3));
}

TEST_CASE(
    "metrics: every family has HELP and TYPE once, and an instance has one sample per state") {
  exit_tally exits;
  exits.add({1, 0});
  exits.add({1, 0});
  exits.add({-1, SIGKILL});
  std::vector<instance_sample> instances = {
      {"web", 0, state::ready, true, 3, 12.5, exits.entries()},
      {"db", 1, state::backoff, false, 0, 0, {}},
  };
  supervisor_sample s;
  s.reports_committed = 42;
  s.reports_waiting = 2;
  s.reports_dropped = 1;
  s.orphans_reaped = 7;
  s.stdout_lines_dropped = 5;
  s.stderr_lines_dropped = 6;
  s.notify_accepted = 9;
  s.notify_refused = 4;
  std::string text;
  render_metrics(text, s, instances);

  for (auto name : {"taskmux_instance_state", "taskmux_instance_up",
                    "taskmux_instance_restarts_total", "taskmux_instance_exits_total",
                    "taskmux_instance_uptime_seconds", "taskmux_reports_committed_total",
                    "taskmux_reports_waiting", "taskmux_reports_dropped_total",
                    "taskmux_orphans_reaped_total", "taskmux_log_lines_dropped_total",
                    "taskmux_notify_datagrams_total", "taskmux_build_info"}) {
    CAPTURE(name);
    CHECK(count(text, std::string("# HELP ") + name + " ") == 1);
    CHECK(count(text, std::string("# TYPE ") + name + " ") == 1);
  }
  CHECK(text.find("taskmux_reports_published_total") == std::string::npos);  // embedded: none
  CHECK(text.ends_with("\n"));

  CHECK(count(text, "taskmux_instance_state{task=\"web\",instance=\"0\",") == 10);
  CHECK(has_line(text, R"(taskmux_instance_state{task="web",instance="0",state="ready"} 1)"));
  CHECK(has_line(text, R"(taskmux_instance_state{task="web",instance="0",state="running"} 0)"));
  CHECK(has_line(text, R"(taskmux_instance_state{task="db",instance="1",state="backoff"} 1)"));
  CHECK(count(text, "\"} 1\n") >= 2);
  CHECK(has_line(text, R"(taskmux_instance_up{task="web",instance="0"} 1)"));
  CHECK(has_line(text, R"(taskmux_instance_up{task="db",instance="1"} 0)"));
  CHECK(has_line(text, R"(taskmux_instance_restarts_total{task="web",instance="0"} 3)"));
  CHECK(has_line(text, R"(taskmux_instance_exits_total{task="web",instance="0",code="1"} 2)"));
  CHECK(has_line(text, R"(taskmux_instance_exits_total{task="web",instance="0",signal="KILL"} 1)"));
  CHECK(count(text, "taskmux_instance_exits_total{task=\"db\"") == 0);
  CHECK(has_line(text, R"(taskmux_instance_uptime_seconds{task="web",instance="0"} 12.5)"));
  CHECK(has_line(text, R"(taskmux_instance_uptime_seconds{task="db",instance="1"} 0)"));
  CHECK(has_line(text, "taskmux_reports_committed_total 42"));
  CHECK(has_line(text, "taskmux_reports_waiting 2"));
  CHECK(has_line(text, "taskmux_reports_dropped_total 1"));
  CHECK(has_line(text, "taskmux_orphans_reaped_total 7"));
  CHECK(has_line(text, R"(taskmux_log_lines_dropped_total{stream="stdout"} 5)"));
  CHECK(has_line(text, R"(taskmux_log_lines_dropped_total{stream="stderr"} 6)"));
  CHECK(has_line(text, R"(taskmux_notify_datagrams_total{result="accepted"} 9)"));
  CHECK(has_line(text, R"(taskmux_notify_datagrams_total{result="refused"} 4)"));
  CHECK(has_line(text, std::string("taskmux_build_info{version=\"") + TASKMUX_VERSION + "\"} 1"));
}

TEST_CASE("metrics: a family's samples follow its own HELP and TYPE, no other family's") {
  std::vector<instance_sample> instances = {{"a", 0, state::running, true, 0, 1, {}},
                                            {"b", 0, state::stopped, false, 0, 0, {}}};
  std::string text;
  render_metrics(text, {}, instances);
  std::string current;
  size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    auto line = text.substr(start, end - start);
    start = end + 1;
    if (line.starts_with("# TYPE ")) {
      current = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    if (line.starts_with("#")) continue;
    CAPTURE(line);
    auto name = line.substr(0, line.find_first_of("{ "));
    CHECK(name == current);
  }
}

TEST_CASE("metrics: AMQP's published count appears with the amqp backend only") {
  supervisor_sample s;
  s.reports_published = 17;
  std::string text;
  render_metrics(text, s, {});
  CHECK(has_line(text, "taskmux_reports_published_total 17"));
  CHECK(count(text, "# TYPE taskmux_reports_published_total counter") == 1);
}

TEST_CASE("metrics: a task name that needs escaping is escaped in every family") {
  exit_tally exits;
  exits.add({2, 0});
  std::vector<instance_sample> instances = {
      {"we\"b", 0, state::ready, true, 0, 0, exits.entries()}};
  std::string text;
  render_metrics(text, {}, instances);
  CHECK(count(text, "task=\"we\\\"b\"") == 10 + 4);
  CHECK(count(text, "task=\"we\"b\"") == 0);
}

TEST_CASE("metrics: 500 instances render in 2 ms at most") {
  std::vector<std::string> names;
  for (int t = 0; t < 50; ++t)
    names.push_back("task-" + std::to_string(t));
  exit_tally exits;
  exits.add({1, 0});
  exits.add({-1, SIGTERM});
  std::vector<instance_sample> instances;
  for (int t = 0; t < 50; ++t)
    for (int i = 0; i < 10; ++i)
      instances.push_back({names[t], i, state::ready, true, 17, 12345.678, exits.entries()});
  // The best of a few: the machine is shared, a single run measures its neighbours too.
  double best_ms = 1e9;
  size_t bytes = 0;
  for (int round = 0; round < 20; ++round) {
    std::string text;
    auto began = std::chrono::steady_clock::now();
    render_metrics(text, {}, instances);
    best_ms = std::min(
        best_ms, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began)
                     .count());
    bytes = text.size();
  }
  MESSAGE("500 instances: " << bytes << " bytes in " << best_ms << " ms");
  // The bound is for an optimized build; a sanitized or unoptimized one only says its time.
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  CHECK(best_ms <= 2.0);
#endif
}
