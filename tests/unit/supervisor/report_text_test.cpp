// Report events and their sentences: the routing of every SPEC event against the table of
// docs/reports.md, and the words of each report the lifecycle asks for.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <string>

#include "supervisor/report_text.hpp"

namespace {

using namespace taskmux::supervisor;
namespace config = taskmux::config;
using std::chrono::milliseconds;

constexpr report_event all_report_events[] = {
    report_event::started,         report_event::ready,           report_event::progress,
    report_event::exited,          report_event::backoff,         report_event::fatal,
    report_event::stopping,        report_event::stopped,         report_event::cycle_started,
    report_event::cycle_succeeded, report_event::cycle_failed,    report_event::health_failed,
    report_event::watchdog_expired, report_event::blocked,        report_event::fault,
    report_event::success,         report_event::transfer_failed, report_event::message_failed,
    report_event::config_error,    report_event::snapshot};

/// docs/reports.md's "queue | events" table: which queue row names each event (`name`).
std::multimap<std::string, route> documented_routes() {
  std::ifstream doc(std::string(TASKMUX_SOURCE_DIR) + "/docs/reports.md");
  REQUIRE(doc);
  std::multimap<std::string, route> out;
  std::string line;
  while (std::getline(doc, line)) {
    route to;
    if (line.starts_with("| `_status_")) to = route::status;
    else if (line.starts_with("| `_fault_")) to = route::fault;
    else if (line.starts_with("| `_success_")) to = route::success;
    else continue;
    auto events = line.substr(line.find('|', 1));
    for (size_t at = events.find('`'); at != std::string::npos; at = events.find('`', at)) {
      auto end = events.find('`', at + 1);
      out.emplace(events.substr(at + 1, end - at - 1), to);
      at = end + 1;
    }
  }
  return out;
}

config::task web() {
  config::task t;
  t.name = "web";
  t.start_limit = {2, milliseconds(60'000)};
  return t;
}

}  // namespace

TEST_CASE("report events: every SPEC event is routed as the table of docs/reports.md says") {
  auto routes = documented_routes();
  for (auto e : all_report_events) {
    auto name = std::string(to_string(e));
    CAPTURE(name);
    auto [first, last] = routes.equal_range(name);
    REQUIRE(first != last);
    if (e == report_event::exited) {
      CHECK(route_of(e, false) == route::status);
      CHECK(route_of(e, true) == route::fault);
      continue;
    }
    CHECK(std::distance(first, last) == 1);
    CHECK(route_of(e, false) == first->second);
    CHECK(route_of(e, true) == first->second);
  }
}

TEST_CASE("report text: an exit that restarts says how and when") {
  auto t = web();
  run r;
  r.failed = true;
  r.length = milliseconds(400);
  report_facts f{t, r, state::backoff, exit_status{1, 0}, milliseconds(800), {}};
  auto l = report_for(action::report_exited, f);
  CHECK(l.event == report_event::exited);
  CHECK(l.to == route::fault);
  CHECK(l.message == "exited with code 1 after 400ms; restarting in 800ms");
  CHECK(l.run_time == milliseconds(400));
  CHECK(l.delay == milliseconds(800));
}

TEST_CASE("report text: a clean exit that stays exited goes to the status queue and names the policy") {
  auto t = web();
  t.restart = config::restart_policy::on_failure;
  run r;
  r.length = milliseconds(2000);
  auto l = report_for(action::report_exited, {t, r, state::exited, exit_status{0, 0}, {}, {}});
  CHECK(l.to == route::status);
  CHECK(l.message == "exited with code 0 after 2s; not restarting (restart = on-failure)");
  CHECK_FALSE(l.delay);
}

TEST_CASE("report text: a failed spawn, a signal, a reason and ERRNO= each show in the sentence") {
  auto t = web();
  run r;
  r.failed = true;
  r.spawn_error = "unable to execute /x: No such file or directory";
  CHECK(report_for(action::report_exited, {t, r, state::exited, {}, {}, {}}).message ==
        "unable to execute /x: No such file or directory; not restarting (restart = on-failure)");
  run killed;
  killed.failure_reason = "timed out after 10s";
  killed.length = milliseconds(10'000);
  killed.reported_errno = 2;
  CHECK(exit_text({t, killed, state::waiting, exit_status{-1, 15}, {}, {}}) ==
        "timed out after 10s; killed by SIGTERM after 10s (ERRNO=2: No such file or directory)");
}

TEST_CASE("report text: fatal, blocked, killed and stopping name what the config and the run say") {
  auto t = web();
  run r;
  r.pid = 0;
  r.pgid = 4242;
  CHECK(report_for(action::report_fatal, {t, r, state::fatal, {}, {}, {}}).message ==
        "fatal: more than 2 starts within 1m; not restarting until `taskmux start web`");
  auto blocked = report_for(action::report_blocked, {t, r, state::blocked, {}, {}, "db[0] is fatal"});
  CHECK(blocked.to == route::fault);
  CHECK(blocked.message == "blocked: dependency db[0] is fatal; starts once it is ready again");
  // The main process is gone: only what it left is being stopped, and the words say so.
  auto killed = report_for(action::report_killed, {t, r, state::stopping, {}, {}, {}});
  CHECK(killed.event == report_event::fault);
  CHECK(killed.message == "what it left running did not stop within 10s of SIGTERM; sent SIGKILL to it");
  CHECK(report_for(action::report_stopping, {t, r, state::stopping, {}, {}, {}}).message ==
        "stopping (SIGTERM to process group 4242)");
  auto left = report_for(action::report_leftovers, {t, r, state::stopping, {}, {}, {}});
  CHECK(left.event == report_event::stopping);
  CHECK(left.message == "stopping what it left running (SIGTERM to process group 4242 and the processes it started)");
  r.length = milliseconds(40);
  auto daemon = report_for(action::report_daemonized, {t, r, state::stopping, {}, {}, {}});
  CHECK(daemon.to == route::fault);
  CHECK(daemon.message.starts_with("it put itself in the background: exited 0 after 40ms and left processes running"));
  // The main process is up: kill_mode decides who gets the stop signal.
  r.pid = 4242;
  CHECK(report_for(action::report_killed, {t, r, state::stopping, {}, {}, {}}).message ==
        "did not stop within 10s of SIGTERM; sent SIGKILL to its process group");
  CHECK(report_for(action::report_stopping, {t, r, state::stopping, {}, {}, {}}).message ==
        "stopping (SIGTERM to main process 4242)");
  t.kill_mode = config::kill_mode::group;
  CHECK(report_for(action::report_stopping, {t, r, state::stopping, {}, {}, {}}).message ==
        "stopping (SIGTERM to process group 4242)");
}

TEST_CASE("report text: a looped run's start and end") {
  auto t = web();
  run r;
  r.pid = 7;
  r.late = true;
  r.length = milliseconds(1500);
  CHECK(report_for(action::report_cycle_started, {t, r, state::running, {}, {}, {}}).message ==
        "cycle started (pid 7), late");
  auto ok = report_for(action::report_cycle_succeeded, {t, r, state::waiting, exit_status{0, 0}, {}, {}});
  CHECK(ok.to == route::success);
  CHECK(ok.message == "cycle succeeded in 1.5s");
  CHECK(ok.run_time == milliseconds(1500));
  auto failed = report_for(action::report_cycle_failed, {t, r, state::waiting, exit_status{3, 0}, {}, {}});
  CHECK(failed.to == route::fault);
  CHECK(failed.message == "cycle failed: exited with code 3 after 1.5s");
}
