// Report messages: SPEC's fields and types, routing to queues, and valid UTF-8 whatever a task wrote.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "reports/message.hpp"

namespace {

using namespace taskmux;
namespace json = boost::json;

supervisor::event_record crash() {
  supervisor::event_record r;
  r.ts = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'795'000'000'123));
  r.event = supervisor::report_event::exited;
  r.to = supervisor::route::fault;
  r.task = "web";
  r.ns = "webns";
  r.instance = 1;
  r.pid = 1234;
  r.state = "backoff";
  r.exit = supervisor::exit_status{1, 0};
  r.restarts = 3;
  r.message = "exited with code 1 after 0.4s; restarting in 400ms";
  return r;
}

}  // namespace

TEST_CASE("queue names follow the route and the namespace") {
  CHECK(reports::queue_name(supervisor::route::status, "web") == "_status_web");
  CHECK(reports::queue_name(supervisor::route::fault, "web") == "_fault_web");
  CHECK(reports::queue_name(supervisor::route::success, "web") == "_success_web");
}

TEST_CASE("an event message has SPEC's fields") {
  auto m = json::parse(reports::event_message(crash(), {"demo", "5f0c2a"}, 42)).as_object();
  CHECK(m.at("ts") == "2026-11-18T11:06:40.123Z");
  CHECK(m.at("supervisor") == "demo");
  CHECK(m.at("run") == "5f0c2a");
  CHECK(m.at("task") == "web");
  CHECK(m.at("instance") == 1);
  CHECK(m.at("pid") == 1234);
  CHECK(m.at("event") == "exited");
  CHECK(m.at("state") == "backoff");
  CHECK(m.at("exit_code") == 1);
  CHECK(m.at("signal").is_null());
  CHECK(m.at("restarts") == 3);
  CHECK(m.at("seq") == 42);
  CHECK(m.at("message") == "exited with code 1 after 0.4s; restarting in 400ms");
  CHECK(m.at("stderr").as_array().empty());  // a fault always has it
  CHECK_FALSE(m.contains("run_time_s"));
}

TEST_CASE("exits carry their run time and backoffs their delay, in seconds") {
  auto r = crash();
  r.run_time = std::chrono::milliseconds(400);
  r.delay = std::chrono::milliseconds(1500);
  auto m = json::parse(reports::event_message(r, {"demo", "x"}, 1)).as_object();
  CHECK(m.at("run_time_s") == 0.4);
  CHECK(m.at("delay_s") == 1.5);
}

TEST_CASE("numbers are written plainly, never as 4E0") {
  auto r = crash();
  r.run_time = std::chrono::milliseconds(4000);
  r.delay = std::chrono::milliseconds(250);
  auto text = reports::event_message(r, {"demo", "x"}, 1);
  CHECK(text.find(R"("run_time_s":4,)") != std::string::npos);
  CHECK(text.find(R"("delay_s":0.25,)") != std::string::npos);
  CHECK(text.find('E') == std::string::npos);  // no exponent anywhere: the rest is lower case
}

TEST_CASE("status events have no stderr") {
  auto r = crash();
  r.to = supervisor::route::status;
  CHECK_FALSE(json::parse(reports::event_message(r, {"demo", "x"}, 1)).as_object().contains("stderr"));
}

TEST_CASE("death by signal has a signal and no exit code; no pid is null") {
  auto r = crash();
  r.exit = supervisor::exit_status{-1, 9};
  r.pid = 0;
  auto m = json::parse(reports::event_message(r, {"demo", "x"}, 1)).as_object();
  CHECK(m.at("exit_code").is_null());
  CHECK(m.at("signal") == 9);
  CHECK(m.at("pid").is_null());
}

TEST_CASE("a fault carries the task's last stderr lines, made valid UTF-8") {
  auto r = crash();
  r.output = {"Traceback (most recent call last):", "bad byte \xff here"};
  auto text = reports::event_message(r, {"demo", "x"}, 1);
  auto m = json::parse(text).as_object();  // Boost.JSON refuses invalid UTF-8
  auto& lines = m.at("stderr").as_array();
  REQUIRE(lines.size() == 2);
  CHECK(lines[1] == "bad byte \xef\xbf\xbd here");
}

TEST_CASE("a snapshot is the status document with event, seq and ts") {
  auto m = json::parse(reports::snapshot_message({"demo", "abc"}, R"([{"task":"web"}])", 7,
                                                 std::chrono::system_clock::now()))
               .as_object();
  CHECK(m.at("event") == "snapshot");
  CHECK(m.at("seq") == 7);
  CHECK(m.at("supervisor") == "demo");
  CHECK(m.at("run") == "abc");
  CHECK(m.at("tasks").as_array().size() == 1);
}
