// The control command table: a request reaches its command's handler, and a request that names
// no command, or one not in the table, is answered without any handler running.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <stdexcept>
#include <string>

#include "control/commands.hpp"
#include "control/protocol.hpp"

namespace {

namespace json = boost::json;
using taskmux::control::commands;

/// A table with "status" and "ping" whose handlers count their calls and keep the last request.
struct recording_table {
  commands table;
  int calls = 0;
  json::object last_request;

  recording_table() {
    auto record = [this](std::string result) {
      return [this, result](const json::object& r) {
        ++calls;
        last_request = r;
        return taskmux::control::ok(json::string(result));
      };
    };
    table.add("status", record("status result"));
    table.add("ping", record("pong"));
  }
};

json::object request(std::string_view text) {
  return json::parse(text).as_object();
}

}  // namespace

TEST_CASE("control commands: a request reaches its command's handler, whole") {
  recording_table t;
  auto r = request(R"({"command": "status", "tasks": ["web", "db"]})");
  auto reply = t.table.dispatch(r);
  CHECK(t.calls == 1);
  CHECK(t.last_request == r);
  CHECK(reply.at("ok") == true);
  CHECK(reply.at("result") == "status result");
  CHECK(t.table.dispatch(request(R"({"command": "ping"})")).at("result") == "pong");
}

TEST_CASE("control commands: an unknown command is a usage error listing the supported ones") {
  recording_table t;
  auto reply = t.table.dispatch(request(R"({"command": "launch"})"));
  CHECK(t.calls == 0);
  CHECK(reply.at("ok") == false);
  CHECK(reply.at("exit") == 2);
  CHECK(reply.at("error") == "unknown command \"launch\" (this taskmux supports: status, ping)");
}

TEST_CASE("control commands: a request without a string \"command\" is a usage error") {
  recording_table t;
  for (auto text :
       {R"({})", R"({"tasks": ["web"]})", R"({"command": 1})", R"({"command": ["status"]})"}) {
    CAPTURE(text);
    auto reply = t.table.dispatch(request(text));
    CHECK(reply.at("ok") == false);
    CHECK(reply.at("exit") == 2);
    CHECK(reply.at("error") == "request has no \"command\"");
  }
  CHECK(t.calls == 0);
}

TEST_CASE(
    "control commands: the supported list grows with the table, in the order of registration") {
  recording_table t;
  t.table.add("stop", [](const json::object&) { return taskmux::control::ok(nullptr); });
  t.table.add("status", [](const json::object&) { return taskmux::control::ok("replaced"); });
  CHECK(t.table.names() == std::vector<std::string>{"status", "ping", "stop"});
  CHECK(t.table.dispatch(request(R"({"command": "status"})")).at("result") == "replaced");
  CHECK(t.table.dispatch(request(R"({"command": "nope"})")).at("error") ==
        "unknown command \"nope\" (this taskmux supports: status, ping, stop)");
}

TEST_CASE("control commands: a handler's exception is an error reply, not the supervisor's end") {
  commands table;
  table.add("status", [](const json::object&) -> json::object {
    throw std::invalid_argument("unknown task: nope");
  });
  table.add("reload",
            [](const json::object&) -> json::object { throw std::runtime_error("file vanished"); });
  auto usage = table.dispatch(request(R"({"command": "status", "tasks": ["nope"]})"));
  CHECK(usage.at("ok") == false);
  CHECK(usage.at("exit") == 2);
  CHECK(usage.at("error") == "unknown task: nope");
  auto failure = table.dispatch(request(R"({"command": "reload"})"));
  CHECK(failure.at("exit") == 1);
  CHECK(failure.at("error") == "unable to reload: file vanished");
}

TEST_CASE("control commands: task_names takes the string elements of \"tasks\", or none") {
  using taskmux::control::task_names;
  CHECK(task_names(request(R"({"command": "status"})")).empty());
  CHECK(task_names(request(R"({"command": "status", "tasks": "web"})")).empty());
  CHECK(task_names(request(R"({"command": "status", "tasks": ["web", 3, "db"]})")) ==
        std::vector<std::string>{"web", "db"});
}
