// The token rule: Bearer header, the dashboard's cookie, constant-time comparison.
#include <doctest/doctest.h>

#include "http/auth.hpp"

using namespace taskmux::http;

TEST_CASE("auth: token_equals is equality, lengths included") {
  CHECK(token_equals("s3cret", "s3cret"));
  CHECK_FALSE(token_equals("s3cret", "s3creT"));
  CHECK_FALSE(token_equals("s3cret", "s3cre"));
  CHECK_FALSE(token_equals("s3cret", "s3cret!"));
  CHECK_FALSE(token_equals("s3cret", ""));
  CHECK_FALSE(token_equals("a", std::string_view("a\0", 2)));
  CHECK(token_equals("", ""));
}

TEST_CASE(
    "auth: a Bearer header gives its token; the scheme is case-insensitive; others are none") {
  CHECK(bearer_token("Bearer abc") == "abc");
  CHECK(bearer_token("bearer  abc ") == "abc");
  CHECK(bearer_token("BEARER abc") == "abc");
  CHECK_FALSE(bearer_token("Basic YWJjOmRlZg==").has_value());
  CHECK_FALSE(bearer_token("Bearer").has_value());
  CHECK_FALSE(bearer_token("Bearerabc").has_value());
  CHECK_FALSE(bearer_token("").has_value());
}

TEST_CASE("auth: cookies are found by name among others and percent-decoded") {
  CHECK(cookie_value("a=1; taskmux_token=x%3By; b=2", "taskmux_token") == "x;y");
  CHECK(cookie_value("taskmux_token=\"q\"", "taskmux_token") == "q");
  CHECK_FALSE(cookie_value("a=1; b=2", "taskmux_token").has_value());
  CHECK_FALSE(cookie_value("", "taskmux_token").has_value());
  CHECK_FALSE(cookie_value("xtaskmux_token=1", "taskmux_token").has_value());
}

TEST_CASE("auth: the cookie set keeps any token, and reads back as it") {
  std::string token = "a b;c,d\"e%f\\g=h";
  auto set = token_cookie(token);
  CHECK(set.find("; Path=/; HttpOnly; SameSite=Strict") != std::string::npos);
  auto pair = set.substr(0, set.find(';'));
  CHECK(pair.find_first_of(" ;,\"\\") == std::string::npos);
  CHECK(cookie_value(pair, token_cookie_name) == token);
}

TEST_CASE(
    "auth: with no token everything is granted; with one, the header or the cookie must hold it") {
  CHECK(check_token("", {}) == verdict::granted);
  CHECK(check_token("", {"Bearer nonsense", ""}) == verdict::granted);
  CHECK(check_token("t0k", {}) == verdict::missing);
  CHECK(check_token("t0k", {"Bearer t0k", ""}) == verdict::granted);
  CHECK(check_token("t0k", {"Bearer t0K", ""}) == verdict::wrong);
  CHECK(check_token("t0k", {"Basic dDBrOg==", ""}) == verdict::wrong);
  CHECK(check_token("t0k", {"", "taskmux_token=t0k"}) == verdict::granted);
  CHECK(check_token("t0k", {"", "taskmux_token=nope"}) == verdict::wrong);
  CHECK(check_token("t0k", {"", "other=t0k"}) == verdict::missing);
  CHECK(check_token("t0k", {"Bearer nope", "taskmux_token=t0k"}) == verdict::granted);
}
