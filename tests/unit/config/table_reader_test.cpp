// What the table reader adds to a problem, seen through load: the key an unknown one most
// likely means, in every kind of table, and the hint on a ${VAR} that only a task's env sets.
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>

#include "config/diagnostics.hpp"
#include "config/load.hpp"

namespace {

namespace cfg = taskmux::config;

/// APP_PORT=8000 is set for taskmux; nothing else is.
std::optional<std::string> fake_env(const std::string& name) {
  if (name == "APP_PORT") return "8000";
  return std::nullopt;
}

cfg::load_result load(std::string_view text) {
  return cfg::load_string(text, "/srv/app/config.toml", fake_env);
}

/// Every problem of `text`, as "LINE:COL: message" lines.
std::string problems(std::string_view text) {
  std::string out;
  for (auto& d : load(text).problems)
    out += std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.message + "\n";
  return out;
}

const std::string web = "[[task]]\nname = \"web\"\ncommand = [\"serve\"]\n";

}  // namespace

TEST_CASE("table reader: an unknown key names the key it most likely means, in every table") {
  CHECK(problems("[supervisor]\nloglevel = \"debug\"\n") ==
        "2:1: unknown key 'loglevel' (did you mean 'log_level'?)\n");
  CHECK(problems("[reports]\nuri = \"amqp://h\"\n") ==
        "2:1: unknown key 'uri' (did you mean 'url'?)\n");
  CHECK(problems("[http]\nbind = \"127.0.0.1:8080\"\n") ==
        "2:1: unknown key 'bind' (did you mean 'listen'?)\n");
  CHECK(problems("[sftp.f]\nhost = \"h\"\nuser = \"u\"\npasword = \"p\"\n") ==
        "1:1: sftp.f: set 'password' or 'identity'\n"
        "4:1: unknown key 'pasword' (did you mean 'password'?)\n");
  CHECK(problems("[[tasks]]\nname = \"web\"\n") ==
        "1:3: unknown key 'tasks' (did you mean 'task'?)\n");
  CHECK(problems(web + "autorestart = true\n") ==
        "4:1: unknown key 'autorestart' (did you mean 'restart'?)\n");
  CHECK(problems(web + "backoff = { initial = \"1s\", maximum = \"9s\" }\n") ==
        "4:29: unknown key 'maximum' (did you mean 'max'?)\n");
  CHECK(problems(web + "health = { http = \"http://h/\", retries = 3 }\n") ==
        "4:32: unknown key 'retries' (did you mean 'failures'?)\n");
  CHECK(problems(web + "ready = { tpc = \"127.0.0.1:80\" }\n") ==
        "4:11: unknown key 'tpc' (did you mean 'tcp'?)\n");
  CHECK(problems(web + "input = { queue = \"q\", max_atempts = 2 }\n") ==
        "4:24: unknown key 'max_atempts' (did you mean 'max_attempts'?)\n");
}

TEST_CASE(
    "table reader: ${VAR} that only the task's env sets gets the hint the command calls for") {
  const std::string env = "env = { PORT = \"9000\" }\n";
  auto shell = problems("[[task]]\nname = \"web\"\ncommand = \"serve --port ${PORT}\"\n" + env);
  CHECK(shell ==
        "3:25: command: environment variable PORT is not set (use ${PORT:-default} for a "
        "default); PORT is set in this task's env, but env does not expand the config "
        "(taskmux's own environment does): write $${PORT} to leave it to the task's shell, or "
        "write the value itself\n");
  auto argv = problems("[[task]]\nname = \"web\"\ncommand = [\"serve\", \"${PORT}\"]\n" + env);
  CHECK(argv.find("3:22: command element: environment variable PORT is not set") == 0);
  CHECK(argv.find("write the value itself, or make command a string (run by /bin/sh -c) with "
                  "$${PORT} for the shell to expand\n") != std::string::npos);
  auto other = problems(web + env + "ready = { tcp = \"127.0.0.1:${PORT}\" }\n");
  CHECK(other.find("PORT is set in this task's env") != std::string::npos);
  CHECK(other.ends_with(": write the value itself\n"));
  // Within env itself: a value does not see the others either.
  auto in_env = problems(web + "env = { PORT = \"9000\", URL = \"http://h:${PORT}\" }\n");
  CHECK(in_env.find("env.URL: environment variable PORT is not set") != std::string::npos);
  CHECK(in_env.ends_with("(taskmux's own environment does): write the value itself\n"));
}

TEST_CASE("table reader: without the variable in the task's env, the error has no hint") {
  CHECK(problems("[[task]]\nname = \"web\"\ncommand = \"serve ${PORT}\"\n") ==
        "3:18: command: environment variable PORT is not set (use ${PORT:-default} for a "
        "default)\n");
  // Another task's env does not count.
  CHECK(problems("[[task]]\nname = \"a\"\ncommand = \"x\"\nenv = { PORT = \"1\" }\n"
                 "[[task]]\nname = \"b\"\ncommand = \"serve ${PORT}\"\n")
            .find("PORT is set") == std::string::npos);
}

TEST_CASE(
    "table reader: ${VAR:-default} taking its default while the task's env sets VAR is a warning") {
  auto r = load(
      "[[task]]\nname = \"web\"\ncommand = \"serve --port ${PORT:-8000}\"\n"
      "env = { PORT = \"9000\" }\n");
  REQUIRE(r.value);  // valid: the default is what was written
  CHECK(r.value->tasks[0].cmd.argv.back() == "serve --port 8000");
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].is_warning);
  CHECK(cfg::format(r.warnings[0]) ==
        "/srv/app/config.toml:3:25: warning: command: ${PORT:-...} takes its default, as PORT is "
        "not set for taskmux; PORT is set in this task's env, but env does not expand the config "
        "(taskmux's own environment does): write $${PORT} to leave it to the task's shell, or "
        "write the value itself");
  // Set for taskmux, or not in the task's env: nothing to say.
  CHECK(load("[[task]]\nname = \"web\"\ncommand = \"serve ${APP_PORT:-1}\"\nenv = { APP_PORT = "
             "\"2\" }\n")
            .warnings.empty());
  CHECK(load("[[task]]\nname = \"web\"\ncommand = \"serve ${PORT:-1}\"\n").warnings.empty());
}
