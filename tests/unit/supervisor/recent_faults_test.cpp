// The dashboard's recent faults: only what goes to _fault_, the newest `keep`, oldest first.
#include <doctest/doctest.h>

#include "supervisor/recent_faults.hpp"

using namespace taskmux::supervisor;

namespace {

event_record record(report_event e, bool failed, std::string message) {
  event_record r;
  r.event = e;
  r.to = route_of(e, failed);
  r.task = "web";
  r.message = std::move(message);
  r.output = {"Traceback", "boom"};
  return r;
}

}  // namespace

TEST_CASE("recent faults: only reports routed to _fault_ are kept") {
  recent_faults f;
  f.on_event(record(report_event::started, false, "started"));
  f.on_event(record(report_event::exited, false, "exited with code 0"));
  f.on_event(record(report_event::exited, true, "exited with code 1"));
  auto j = f.to_json();
  REQUIRE(j.size() == 1);
  CHECK(j[0].at("message") == "exited with code 1");
  CHECK(j[0].at("event") == "exited");
  CHECK(j[0].at("output").as_array().size() == 2);
}

TEST_CASE("recent faults: the newest `keep`, oldest first") {
  recent_faults f(3);
  for (int i = 0; i < 5; ++i) f.on_event(record(report_event::fatal, true, "fault " + std::to_string(i)));
  auto j = f.to_json();
  REQUIRE(j.size() == 3);
  CHECK(j[0].at("message") == "fault 2");
  CHECK(j[2].at("message") == "fault 4");
}
