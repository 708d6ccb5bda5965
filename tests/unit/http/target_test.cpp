// Request targets: path and query, percent-decoding.
#include <doctest/doctest.h>

#include "http/target.hpp"

using namespace taskmux::http;

TEST_CASE("target: the path alone, and the query's parameters in order with repeats") {
  auto t = parse_target("/status?task=web&task=db&x");
  REQUIRE(t);
  CHECK(t->path == "/status");
  CHECK(t->all("task") == std::vector<std::string>{"web", "db"});
  CHECK(t->first("task") == "web");
  CHECK(t->first("x") == "");
  CHECK_FALSE(t->first("y").has_value());
  auto plain = parse_target("/metrics");
  REQUIRE(plain);
  CHECK(plain->path == "/metrics");
  CHECK(plain->query.empty());
}

TEST_CASE(
    "target: query parts are percent-decoded, '+' is a space; a malformed escape is refused") {
  auto t = parse_target("/?token=a%2Bb+c%3d");
  REQUIRE(t);
  CHECK(t->first("token") == "a+b c=");
  CHECK_FALSE(parse_target("/?token=%4").has_value());
  CHECK_FALSE(parse_target("/?token=%zz").has_value());
  CHECK_FALSE(parse_target("/?token=abc%").has_value());
  CHECK_FALSE(parse_target("http://host/x").has_value());
  CHECK_FALSE(parse_target("").has_value());
}
