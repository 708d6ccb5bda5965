// "did you mean": the names other tools use, misspellings, prefixes, and when no guess is made.
#include <doctest/doctest.h>

#include <optional>
#include <set>
#include <string>

#include "config/key_suggestion.hpp"

namespace {

using taskmux::config::suggest_key;
using keys = std::set<std::string, std::less<>>;

/// The keys of a [[task]] table.
const keys task_keys{"name",        "command",   "workdir",      "env",        "inherit_env",
                     "user",        "instances", "restart",      "backoff",    "start_limit",
                     "stop_signal", "kill_mode", "stop_timeout", "depends_on", "ready",
                     "health",      "watchdog",  "critical",     "namespace",  "every",
                     "timeout",     "input",     "output"};

std::string meant(std::string_view unknown, const keys& known = task_keys) {
  return suggest_key(unknown, known).value_or("(none)");
}

}  // namespace

TEST_CASE("key suggestion: supervisord's names give the key that does the same") {
  CHECK(meant("autorestart") == "restart");
  CHECK(meant("stopsignal") == "stop_signal");
  CHECK(meant("stopwaitsecs") == "stop_timeout");
  CHECK(meant("directory") == "workdir");
  CHECK(meant("environment") == "env");
  CHECK(meant("numprocs") == "instances");
  CHECK(meant("startretries") == "start_limit");
  CHECK(meant("stopasgroup") == "kill_mode");
  CHECK(meant("killasgroup") == "kill_mode");
  CHECK(meant("priority") == "depends_on");
}

TEST_CASE("key suggestion: systemd's and docker-compose's names, in any case, give ours") {
  CHECK(meant("KillMode") == "kill_mode");
  CHECK(meant("TimeoutStopSec") == "stop_timeout");
  CHECK(meant("Restart") == "restart");
  CHECK(meant("WorkingDirectory") == "workdir");
  CHECK(meant("Environment") == "env");
  CHECK(meant("User") == "user");
  CHECK(meant("ExecStart") == "command");
  CHECK(meant("entrypoint") == "command");
  CHECK(meant("working_dir") == "workdir");
  CHECK(meant("depends-on") == "depends_on");
  CHECK(meant("dependsOn") == "depends_on");
  CHECK(meant("depends") == "depends_on");
}

TEST_CASE("key suggestion: another tool's name counts only in a table that has its key") {
  const keys supervisor_keys{"name", "state_dir", "report_interval", "shutdown_timeout",
                             "log_level"};
  CHECK(meant("autorestart", supervisor_keys) == "(none)");
  CHECK(meant("environment", supervisor_keys) == "(none)");
}

TEST_CASE("key suggestion: a misspelling within 2 edits gives the nearest key") {
  CHECK(meant("restarts") == "restart");
  CHECK(meant("restrat") == "restart");  // two letters swapped: one edit
  CHECK(meant("workdr") == "workdir");
  CHECK(meant("comand") == "command");
  CHECK(meant("stop-timout") == "stop_timeout");
  CHECK(meant("usr") == "user");
  CHECK(meant("loglevel", {"log_level", "log_format", "name"}) == "log_level");
}

TEST_CASE("key suggestion: a key the unknown one begins with, or the only one it begins") {
  CHECK(meant("health_check") == "health");
  CHECK(meant("ready_check") == "ready");
  CHECK(meant("restart_policy") == "restart");
  CHECK(meant("tasks", {"supervisor", "reports", "http", "sftp", "task"}) == "task");
  CHECK(meant("maximum", {"initial", "max"}) == "max");
  CHECK(meant("inherit") == "inherit_env");
  CHECK(meant("crit") == "critical");
}

TEST_CASE("key suggestion: no guess when nothing is close or two keys are as close") {
  CHECK(meant("bogus") == "(none)");
  CHECK(meant("metrics") == "(none)");
  CHECK(meant("stop") == "(none)");                          // stop_signal or stop_timeout
  CHECK(meant("tag", {"tcp", "http", "exec"}) == "(none)");  // 2 edits of 3 letters is a guess
  // begins with "log", and "log_timestamps" begins with it
  CHECK(meant("log_time", {"log", "log_timestamps"}) == "(none)");
  CHECK(meant("queue3", {"queue1", "queue2"}) == "(none)");
  CHECK(meant("anything", {}) == "(none)");
}
