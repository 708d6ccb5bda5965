// The words of /readyz and the shape of /actuator/health.
#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

#include "http/readiness.hpp"

using namespace taskmux::http;
using taskmux::supervisor::state;

TEST_CASE("readiness: every instance ready and no shutdown is ok, and UP") {
  readiness r;
  CHECK(r.is_ready());
  CHECK(readiness_text(r) == "ok\n");
  CHECK(boost::json::serialize(actuator_health(r)) == R"({"status":"UP"})");
}

TEST_CASE("readiness: the instances that are not ready are named with their state, in order") {
  readiness r{false, {{"web[1]", state::backoff}, {"db[0]", state::starting}}};
  CHECK_FALSE(r.is_ready());
  CHECK(readiness_text(r) == "not ready: web[1] (backoff), db[0] (starting)\n");
  CHECK(
      boost::json::serialize(actuator_health(r)) ==
      R"({"status":"DOWN","details":{"shutting_down":false,"not_ready":{"web[1]":"backoff","db[0]":"starting"}}})");
}

TEST_CASE("readiness: a shutdown is not ready even when every instance still is") {
  readiness r{true, {}};
  CHECK_FALSE(r.is_ready());
  CHECK(readiness_text(r) == "not ready: shutting down\n");
  r.waiting_for.push_back({"web[0]", state::stopping});
  CHECK(readiness_text(r) == "not ready: shutting down, web[0] (stopping)\n");
  CHECK(boost::json::serialize(actuator_health(r)) ==
        R"({"status":"DOWN","details":{"shutting_down":true,"not_ready":{"web[0]":"stopping"}}})");
}
