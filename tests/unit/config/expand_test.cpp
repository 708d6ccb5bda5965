// ${VAR} and ${VAR:-default} in config strings, with a fake environment: what is replaced,
// what is kept literally, and where an error is placed.
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/expand.hpp"

namespace {

using taskmux::config::env_lookup;
using taskmux::config::expand;
using taskmux::config::expand_error;

/// An environment with HOME=/home/app, PORT=8000, EMPTY= (set but empty), NESTED=${PORT};
/// every other name is unset. Remembers the names it was asked for.
struct fake_env {
  std::map<std::string, std::string> vars{
      {"HOME", "/home/app"}, {"PORT", "8000"}, {"EMPTY", ""}, {"NESTED", "${PORT}"}};
  std::vector<std::string> asked;

  env_lookup lookup() {
    return [this](const std::string& name) -> std::optional<std::string> {
      asked.push_back(name);
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

std::string expanded(std::string_view text) {
  fake_env env;
  auto r = expand(text, env.lookup());
  REQUIRE_MESSAGE(std::holds_alternative<std::string>(r),
                  "unexpected error: " << std::get<expand_error>(r).message);
  return std::get<std::string>(r);
}

expand_error failure(std::string_view text) {
  fake_env env;
  auto r = expand(text, env.lookup());
  REQUIRE_MESSAGE(std::holds_alternative<expand_error>(r),
                  "expanded to: " << std::get<std::string>(r));
  return std::get<expand_error>(r);
}

}  // namespace

TEST_CASE("expand: a string without a reference is returned unchanged") {
  CHECK(expanded("") == "");
  CHECK(expanded("python3 app.py --port 8000") == "python3 app.py --port 8000");
}

TEST_CASE("expand: ${NAME} is replaced by the variable's value") {
  CHECK(expanded("${HOME}") == "/home/app");
  CHECK(expanded("cd ${HOME} && serve :${PORT}") == "cd /home/app && serve :8000");
}

TEST_CASE("expand: ${NAME:-default} uses the value when the variable is set") {
  CHECK(expanded("${PORT:-9000}") == "8000");
}

TEST_CASE("expand: ${NAME:-default} uses the default when the variable is unset") {
  CHECK(expanded("${UNSET:-9000}") == "9000");
  CHECK(expanded("http://localhost:${UNSET:-9000}/") == "http://localhost:9000/");
}

TEST_CASE(
    "expand: ${NAME:-default} uses the default when the variable is set but empty, as sh does") {
  CHECK(expanded("${EMPTY:-fallback}") == "fallback");
}

TEST_CASE(
    "expand: ${NAME} of a variable set to the empty string is the empty string, not an error") {
  CHECK(expanded("[${EMPTY}]") == "[]");
}

TEST_CASE("expand: an empty default is allowed: ${NAME:-} of an unset variable is empty") {
  CHECK(expanded("${UNSET:-}") == "");
}

TEST_CASE("expand: a default keeps its colons, slashes, spaces and percent signs") {
  CHECK(expanded("${RABBIT_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}") ==
        "amqp://guest:guest@127.0.0.1:5672/%2f");
  CHECK(expanded("${GREETING:-hello world}") == "hello world");
}

TEST_CASE("expand: \"$$\" is a literal \"$\", so \"$${NAME}\" is not a reference") {
  CHECK(expanded("cost: 5$$") == "cost: 5$");
  CHECK(expanded("$${HOME}") == "${HOME}");
  CHECK(expanded("$$$${HOME}") == "$${HOME}");
}

TEST_CASE("expand: \"$\" not followed by \"{\" is kept as it is, for the shell to see") {
  CHECK(expanded("echo $HOME") == "echo $HOME");
  CHECK(expanded("price $5") == "price $5");
  CHECK(expanded("ends with $") == "ends with $");
}

TEST_CASE("expand: a value is inserted literally, never expanded again") {
  CHECK(expanded("${NESTED}") == "${PORT}");
}

TEST_CASE("expand: the lookup is asked for exactly the names referenced") {
  fake_env env;
  auto r = expand("${HOME} $$ ${UNSET:-x} $PORT", env.lookup());
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(env.asked == std::vector<std::string>{"HOME", "UNSET"});
}

TEST_CASE("expand: an unset variable without a default is an error naming it and the fix") {
  auto e = failure("postgres://${DB_HOST}/app");
  CHECK(e.offset == 11);
  CHECK(e.message.find("DB_HOST is not set") != std::string::npos);
  CHECK(e.message.find("${DB_HOST:-default}") != std::string::npos);
}

TEST_CASE("expand: the error offset is that of the failing reference, not of an earlier good one") {
  auto e = failure("${HOME}/${PORT}/${MISSING}");
  CHECK(e.offset == 16);
}

TEST_CASE("expand: ${} is an error: the variable name is empty") {
  auto e = failure("x${}");
  CHECK(e.offset == 1);
  CHECK(e.message.find("empty variable name") != std::string::npos);
}

TEST_CASE("expand: ${ without a closing brace is an error at the ${") {
  auto e = failure("--root ${ROOT");
  CHECK(e.offset == 7);
  CHECK(e.message.find("unterminated") != std::string::npos);
}

TEST_CASE(
    "expand: ${NAME-default} (no colon) is malformed and the message shows the right spelling") {
  auto e = failure("--port ${PORT-8000}");
  CHECK(e.offset == 7);
  CHECK(e.message.find("${PORT-8000}") != std::string::npos);
  CHECK(e.message.find("${NAME:-default}") != std::string::npos);
}

TEST_CASE("expand: a name with characters outside [A-Za-z0-9_] is malformed") {
  CHECK(failure("${MY-VAR}").message.find("malformed") != std::string::npos);
  CHECK(failure("${MY.VAR}").message.find("malformed") != std::string::npos);
  CHECK(failure("${ HOME}").offset == 0);
}

TEST_CASE("expand: an unset variable's error names it; other errors name none") {
  CHECK(failure("a ${DB_HOST} b").unset_name == "DB_HOST");
  CHECK(failure("x${}").unset_name.empty());
  CHECK(failure("${A").unset_name.empty());
}

TEST_CASE("expand: a default taken because the variable is unset is told, with its offset") {
  fake_env env;
  std::vector<std::pair<std::string, size_t>> told;
  auto r = taskmux::config::expand(
      "${UNSET:-a} ${EMPTY:-b} ${PORT:-c} ${OTHER:-}", env.lookup(),
      [&](const std::string& name, size_t at) { told.emplace_back(name, at); });
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(std::get<std::string>(r) == "a b 8000 ");
  // EMPTY is set (to nothing): its default is taken, but it is not unset.
  CHECK(told == std::vector<std::pair<std::string, size_t>>{{"UNSET", 0}, {"OTHER", 35}});
}

TEST_CASE("expand: the hint for a variable only the task's env sets fits where it is written") {
  using taskmux::config::env_only_hint;
  using taskmux::config::expansion_site;
  const std::string why =
      "PORT is set in this task's env, but env does not expand the config (taskmux's own "
      "environment does): ";
  CHECK(env_only_hint("PORT", expansion_site::shell_command) ==
        why + "write $${PORT} to leave it to the task's shell, or write the value itself");
  CHECK(env_only_hint("PORT", expansion_site::argv_command) ==
        why +
            "write the value itself, or make command a string (run by /bin/sh -c) with "
            "$${PORT} for the shell to expand");
  CHECK(env_only_hint("PORT", expansion_site::other) == why + "write the value itself");
}
