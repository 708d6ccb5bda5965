// The lifecycle transition function: every (state, event) pair against the tables of
// docs/lifecycle.md (read from the file, so the doc and the code cannot drift apart), every
// spelling against the lists there, then the transitions whose outcome depends on facts.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "supervisor/lifecycle.hpp"

namespace {

using namespace taskmux::supervisor;
using std::chrono::milliseconds;

constexpr state all_states[] = {state::stopped, state::starting, state::running,  state::ready,
                                state::backoff, state::waiting,  state::blocked,  state::stopping,
                                state::exited,  state::fatal};
constexpr event all_events[] = {event::start,         event::deps_ready,      event::deps_failed,
                                event::spawned,       event::spawn_failed,    event::ready_passed, event::exited,
                                event::group_gone,    event::backoff_elapsed, event::cycle_due,
                                event::stop,          event::stop_timeout,    event::run_timeout,
                                event::health_failed, event::watchdog_expired, event::kill};

/// A transition as docs/lifecycle.md writes it: "next: action, action", or "—" when ignored.
std::string describe(const transition& t) {
  if (!t.applies) return "—";
  std::string s(to_string(t.next));
  bool first = true;
  for (auto a : t.actions) {
    if (a == action::none) continue;
    s += first ? ": " : ", ";
    s += to_string(a);
    first = false;
  }
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '*' || s.back() == '`')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '*' || s[i] == '`')) ++i;
  return s.substr(i);
}

/// "next: actions (L)" -> "next: actions": the tags name facts, not actions.
std::string untagged(std::string cell) {
  for (auto tag : {" (A)", " (D)", " (E)", " (K)", " (L)"})
    if (auto at = cell.find(tag); at != std::string::npos) cell.erase(at);
  return cell;
}

/// The cells of a markdown table row ("| a | b |" -> {"a", "b"}).
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line.substr(1));
  std::string cell;
  while (std::getline(in, cell, '|')) out.push_back(trim(cell));
  return out;
}

/// The rows of the table whose header begins with `first_header`, in docs/lifecycle.md (or
/// `file`): each row's cells, the header first.
std::vector<std::vector<std::string>> doc_table(const std::string& first_header,
                                                const std::string& file = "docs/lifecycle.md") {
  std::ifstream doc(std::string(TASKMUX_SOURCE_DIR) + "/" + file);
  REQUIRE(doc);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  bool in = false;
  while (std::getline(doc, line)) {
    if (!in && line.starts_with("|") && cells(line).front() == trim(first_header)) in = true;
    if (!in) continue;
    if (!line.starts_with("|")) break;
    if (!line.starts_with("|---")) rows.push_back(cells(line));
  }
  REQUIRE_MESSAGE(!rows.empty(), "no table headed \"" << first_header << "\" in " << file);
  return rows;
}

}  // namespace

TEST_CASE("lifecycle: every (state, event) pair matches the state x event table of docs/lifecycle.md") {
  auto table = doc_table("state \\ event");
  auto& header = table.front();
  REQUIRE(header.size() == 1 + std::size(all_events));
  for (size_t ei = 0; ei < std::size(all_events); ++ei) CHECK(header[1 + ei] == to_string(all_events[ei]));
  REQUIRE(table.size() == 1 + std::size(all_states));
  int checked = 0;
  for (size_t si = 0; si < std::size(all_states); ++si) {
    auto& row = table[1 + si];
    REQUIRE(row.size() == header.size());
    CHECK(row[0] == to_string(all_states[si]));
    for (size_t ei = 0; ei < std::size(all_events); ++ei) {
      CAPTURE(to_string(all_states[si]));
      CAPTURE(to_string(all_events[ei]));
      CHECK(describe(next(all_states[si], all_events[ei], facts{})) == untagged(row[1 + ei]));
      ++checked;
    }
  }
  CHECK(checked == 10 * 16);
}

TEST_CASE("lifecycle: while a spawn is under way every state holds its events, as docs/lifecycle.md says") {
  auto table = doc_table("event while `spawning`");
  std::map<std::string, std::string> rule;
  for (size_t i = 1; i < table.size(); ++i) rule[table[i][0]] = untagged(table[i][1]);
  REQUIRE(rule.size() == 3);
  facts f;
  f.spawning = true;
  for (auto s : all_states)
    for (auto e : all_events) {
      CAPTURE(to_string(s));
      CAPTURE(to_string(e));
      auto found = rule.find(std::string(to_string(e)));
      std::string expected = found != rule.end() ? found->second : rule.at("any other");
      if (auto same = expected.find("(same)"); same != std::string::npos)
        expected.replace(same, 6, std::string(to_string(s)));
      CHECK(describe(next(s, e, f)) == expected);
    }
}

TEST_CASE("lifecycle: the states and events are spelled as the lists of docs/lifecycle.md") {
  auto states = doc_table("state");
  REQUIRE(states.size() == 1 + std::size(all_states));
  for (size_t i = 0; i < std::size(all_states); ++i) CHECK(states[1 + i][0] == to_string(all_states[i]));
  std::string listed;
  for (auto& row : doc_table("event")) listed += " " + row[0] + " ";
  for (auto& c : listed)
    if (c == '`' || c == '/') c = ' ';  // "`spawned` / `spawn_failed`"
  for (auto e : all_events) {
    CAPTURE(to_string(e));
    CHECK(listed.find(" " + std::string(to_string(e)) + " ") != std::string::npos);
  }
}

namespace {

facts looped() {
  facts f;
  f.is_looped = true;
  return f;
}

facts restarting(milliseconds delay = milliseconds(400)) {
  facts f;
  f.wants_restart = true;
  f.run_failed = true;
  f.backoff_delay = delay;
  return f;
}

}  // namespace

TEST_CASE("lifecycle: an ignored event leaves the state as it was and does nothing") {
  for (auto s : all_states)
    for (auto e : all_events) {
      auto t = next(s, e, facts{});
      if (t.applies) continue;
      CAPTURE(to_string(s));
      CAPTURE(to_string(e));
      CHECK(t.next == s);
      for (auto a : t.actions)
        CHECK(a == action::none);
    }
}

TEST_CASE("lifecycle: every action has a name") {
  for (int a = 0; a <= static_cast<int>(action::report_forced_kill); ++a)
    CHECK(to_string(static_cast<action>(a)) != "?");
}

TEST_CASE(
    "lifecycle: a start whose dependencies are not ready waits in starting, then spawns on "
    "deps_ready") {
  facts f;
  f.deps_ready = false;
  for (auto s : {state::stopped, state::exited, state::fatal, state::backoff, state::waiting,
                 state::starting}) {
    CAPTURE(to_string(s));
    CHECK(describe(next(s, event::start, f)) == "starting");
  }
  CHECK(describe(next(state::starting, event::deps_ready, f)) == "starting: spawn");
}

TEST_CASE("lifecycle: a start whose dependency failed for good is blocked, with a fault report") {
  facts f;
  f.deps_ready = false;
  f.deps_failed = true;
  for (auto s : {state::stopped, state::exited, state::fatal, state::backoff, state::waiting, state::starting,
                 state::blocked}) {
    CAPTURE(to_string(s));
    CHECK(describe(next(s, event::start, f)) == "blocked: report_blocked");
  }
  // Waiting in starting when the dependency fails.
  CHECK(describe(next(state::starting, event::deps_failed, f)) == "blocked: report_blocked");
  // Only a start that waits on its dependencies is blocked: what runs keeps running.
  for (auto s : {state::running, state::ready, state::backoff, state::waiting, state::stopping, state::exited})
    CHECK_FALSE(next(s, event::deps_failed, f).applies);
}

TEST_CASE("lifecycle: a blocked task starts once its dependencies are ready again, and stops on request") {
  facts f;
  CHECK(describe(next(state::blocked, event::deps_ready, f)) == "starting: spawn");
  CHECK(describe(next(state::blocked, event::stop, f)) == "stopped: cancel_timers, report_stopped");
  CHECK_FALSE(next(state::blocked, event::deps_failed, f).applies);
}

TEST_CASE("lifecycle: a task that exits 1 with restart=never stays exited") {
  facts f;
  f.run_failed = true;
  f.wants_restart = false;
  auto t = next(state::running, event::exited, f);
  CHECK(t.next == state::exited);
  CHECK(t.has(action::report_exited));
  CHECK(t.has(action::cancel_timers));
  CHECK_FALSE(t.has(action::spawn));
}

TEST_CASE("lifecycle: a task that exits 0 with restart=on-failure or never stays exited") {
  // restart_policy says no for a successful run under on-failure and never.
  facts f;
  f.run_failed = false;
  f.wants_restart = false;
  CHECK(describe(next(state::ready, event::exited, f)) == "exited: cancel_timers, report_exited");
}

TEST_CASE(
    "lifecycle: a task that exits with restart=always or on-failure backs off before restarting") {
  // always after success, on-failure after failure: both come in as wants_restart.
  for (bool failed : {false, true}) {
    auto f = restarting();
    f.run_failed = failed;
    auto t = next(state::ready, event::exited, f);
    CHECK(t.next == state::backoff);
    CHECK(describe(t) == "backoff: report_exited, report_backoff, arm_backoff");
    CHECK_FALSE(t.has(action::spawn));
  }
  CHECK(describe(next(state::backoff, event::backoff_elapsed, restarting())) == "backoff: spawn");
}

TEST_CASE(
    "lifecycle: a restart that would exceed the start limit makes the task fatal with a fault "
    "report") {
  auto f = restarting();
  f.start_limit_hit = true;
  auto t = next(state::running, event::exited, f);
  CHECK(t.next == state::fatal);
  CHECK(t.has(action::report_fatal));
  CHECK(t.has(action::report_exited));
  CHECK(t.has(action::cancel_timers));
  CHECK_FALSE(t.has(action::spawn));
  CHECK_FALSE(t.has(action::arm_backoff));
  // Fatal stays fatal until a start.
  CHECK_FALSE(next(state::fatal, event::backoff_elapsed, f).applies);
  CHECK_FALSE(next(state::fatal, event::cycle_due, f).applies);
  CHECK(next(state::fatal, event::start, f).has(action::spawn));
}

TEST_CASE("lifecycle: a failed spawn goes through the same restart decision as an exit") {
  auto f = restarting();
  f.spawning = true;
  CHECK(describe(next(state::stopped, event::spawn_failed, f)) ==
        "backoff: report_exited, report_backoff, arm_backoff");
  f.start_limit_hit = true;
  CHECK(next(state::backoff, event::spawn_failed, f).next == state::fatal);
}

TEST_CASE("lifecycle: a zero backoff restarts at once and drops the deadlines of the last run") {
  auto f = restarting(milliseconds(0));
  auto t = next(state::running, event::exited, f);
  CHECK(t.next == state::backoff);
  CHECK(t.has(action::spawn));
  CHECK(t.has(action::report_exited));
  CHECK(t.has(action::cancel_timers));
  CHECK_FALSE(t.has(action::arm_backoff));
  CHECK_FALSE(t.has(action::report_backoff));
  // From stopping (after a kill), the stop deadline must not outlive the run into the next one.
  CHECK(describe(next(state::stopping, event::group_gone, f)) ==
        "backoff: cancel_timers, report_exited, spawn");
}

TEST_CASE("lifecycle: a looped run that ends late starts the next run at once") {
  auto f = looped();
  f.until_next_cycle = milliseconds(-1500);
  auto t = next(state::running, event::exited, f);
  CHECK(t.next == state::waiting);
  CHECK(t.has(action::spawn));
  CHECK(t.has(action::report_cycle_succeeded));
  CHECK(t.has(action::cancel_timers));
  CHECK_FALSE(t.has(action::arm_cycle));
  f.until_next_cycle = milliseconds(0);
  CHECK(next(state::running, event::exited, f).has(action::spawn));
}

TEST_CASE("lifecycle: a looped run that ends on time waits for the next cycle") {
  auto f = looped();
  f.until_next_cycle = milliseconds(4000);
  CHECK(describe(next(state::running, event::exited, f)) ==
        "waiting: report_cycle_succeeded, arm_cycle");
  f.run_failed = true;
  CHECK(describe(next(state::running, event::exited, f)) ==
        "waiting: report_cycle_failed, arm_cycle");
  CHECK(describe(next(state::waiting, event::cycle_due, f)) == "waiting: spawn");
}

TEST_CASE("lifecycle: a looped task ignores the restart policy and the start limit") {
  auto f = looped();
  f.until_next_cycle = milliseconds(4000);
  f.run_failed = true;
  f.wants_restart = false;
  f.start_limit_hit = true;
  auto t = next(state::running, event::exited, f);
  CHECK(t.next == state::waiting);
  CHECK(t.has(action::report_cycle_failed));
  CHECK_FALSE(t.has(action::report_fatal));
  CHECK_FALSE(t.has(action::report_exited));
}

TEST_CASE("lifecycle: a spawned looped run reports cycle_started and arms its run timeout") {
  auto f = looped();
  f.spawning = true;
  CHECK(describe(next(state::waiting, event::spawned, f)) == "running: report_cycle_started, arm_run_timeout");
  CHECK(describe(next(state::stopped, event::spawned, f)) == "running: report_cycle_started, arm_run_timeout");
}

TEST_CASE("lifecycle: a stop during a spawn waits for it; without a spawn, its news is ignored") {
  facts f;
  f.spawning = true;
  CHECK(describe(next(state::backoff, event::stop, f)) == "backoff: hold");
  CHECK(describe(next(state::stopped, event::exited, f)) == "stopped: hold");
  f.spawning = false;
  CHECK_FALSE(next(state::backoff, event::spawned, f).applies);
  CHECK_FALSE(next(state::stopped, event::spawn_failed, f).applies);
}

TEST_CASE("lifecycle: a looped run that times out is stopped, then reported as a failed cycle") {
  auto f = looped();
  CHECK(describe(next(state::running, event::run_timeout, f)) == "stopping: signal_stop");
  f.run_failed = true;
  f.until_next_cycle = milliseconds(100);
  CHECK(describe(next(state::stopping, event::exited, f)) ==
        "waiting: report_cycle_failed, arm_cycle");
}

TEST_CASE("lifecycle: an exit after a requested stop ends in stopped whatever the policy says") {
  auto f = restarting();
  f.stop_requested = true;
  f.start_limit_hit = true;
  f.is_looped = true;
  for (auto e : {event::exited, event::group_gone}) {
    CAPTURE(to_string(e));
    CHECK(describe(next(state::stopping, e, f)) == "stopped: cancel_timers, report_stopped");
  }
  CHECK(describe(next(state::running, event::exited, f)) ==
        "stopped: cancel_timers, report_stopped");
}

TEST_CASE(
    "lifecycle: a main process that leaves processes behind has them stopped before any decision") {
  auto f = restarting();
  f.has_leftovers = true;
  for (auto s : {state::running, state::ready}) {
    CAPTURE(to_string(s));
    // The exit is told at once, then the cleanup of what it left, as such.
    CHECK(describe(next(s, event::exited, f)) == "stopping: report_exited, report_leftovers, signal_stop");
    f.daemonized = true;
    CHECK(describe(next(s, event::exited, f)) ==
          "stopping: report_exited, report_daemonized, report_leftovers, signal_stop");
    f.daemonized = false;
  }
  // Already stopping: keep waiting for the group to be gone.
  CHECK(describe(next(state::stopping, event::exited, f)) == "stopping");
  f.has_leftovers = false;
  CHECK(describe(next(state::stopping, event::group_gone, f)) ==
        "backoff: report_exited, report_backoff, arm_backoff");
  // Once the leftovers are gone the decision is made, without telling the exit twice.
  f.exit_reported = true;
  CHECK(describe(next(state::stopping, event::group_gone, f)) == "backoff: report_backoff, arm_backoff");
  f.wants_restart = false;
  CHECK(describe(next(state::stopping, event::group_gone, f)) == "exited: cancel_timers");
}

TEST_CASE("lifecycle: the shutdown's SIGKILL is reported once: not again after stop_timeout's") {
  facts f;
  CHECK(describe(next(state::ready, event::kill, f)) == "stopping: report_forced_kill, kill_group");
  CHECK(describe(next(state::stopping, event::kill, f)) == "stopping: report_forced_kill, kill_group");
  f.killing = true;
  CHECK(describe(next(state::stopping, event::kill, f)) == "stopping: kill_group");
  CHECK_FALSE(next(state::backoff, event::kill, f).applies);  // nothing runs to kill
}

TEST_CASE(
    "lifecycle: a task that outlives stop_timeout gets SIGKILL to its group and a fault report") {
  auto t = next(state::stopping, event::stop_timeout, facts{});
  CHECK(t.next == state::stopping);
  CHECK(t.has(action::kill_group));
  CHECK(t.has(action::report_killed));
}

TEST_CASE("lifecycle: a failed health check or watchdog stops the instance with a fault report") {
  auto t = next(state::ready, event::health_failed, facts{});
  CHECK(t.next == state::stopping);
  CHECK(t.has(action::report_health_failed));
  CHECK(t.has(action::signal_stop));
  CHECK_FALSE(t.has(action::report_stopping));
  t = next(state::running, event::watchdog_expired, facts{});
  CHECK(t.next == state::stopping);
  CHECK(t.has(action::report_watchdog_expired));
  CHECK(t.has(action::signal_stop));
  // Then restart decides as for any failed exit.
  CHECK(next(state::stopping, event::exited, restarting()).next == state::backoff);
}

TEST_CASE("lifecycle: ready_passed counts only while running") {
  CHECK(describe(next(state::running, event::ready_passed, facts{})) == "ready: report_ready, arm_health_check");
  for (auto s : all_states)
    if (s != state::running) {
      CAPTURE(to_string(s));
      CHECK_FALSE(next(s, event::ready_passed, facts{}).applies);
    }
}

TEST_CASE("lifecycle: transition::has finds only the actions it carries") {
  auto t = next(state::running, event::stop, facts{});
  CHECK(t.has(action::report_stopping));
  CHECK(t.has(action::signal_stop));
  CHECK_FALSE(t.has(action::kill_group));
  CHECK(t.has(action::none));  // unused slots
}
