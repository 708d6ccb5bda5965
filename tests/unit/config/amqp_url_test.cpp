// amqp:// URLs of the AMQP report backend: what parse_amqp_url accepts, its defaults and
// percent-decoding, the redacted spelling, and errors that never show the password.
#include <doctest/doctest.h>

#include <initializer_list>
#include <optional>
#include <string>

#include "config/amqp_url.hpp"

namespace {

using taskmux::config::amqp_target;
using taskmux::config::parse_amqp_url;

amqp_target parse_ok(const std::string& url) {
  std::string error;
  auto t = parse_amqp_url(url, error);
  INFO("url: ", url, " error: ", error);
  REQUIRE(t.has_value());
  CHECK(error.empty());
  return *t;
}

std::string parse_error(const std::string& url) {
  std::string error;
  auto t = parse_amqp_url(url, error);
  INFO("url: ", url);
  CHECK_FALSE(t.has_value());
  CHECK_FALSE(error.empty());
  return error;
}

}  // namespace

TEST_CASE("amqp url: a full URL gives host, port, user, password and vhost") {
  auto t = parse_ok("amqp://alice:s3cret@broker.example:5673/reports");
  CHECK(t.host == "broker.example");
  CHECK(t.port == 5673);
  CHECK(t.user == "alice");
  CHECK(t.password == "s3cret");
  CHECK(t.vhost == "reports");
}

TEST_CASE("amqp url: only a host means port 5672, guest/guest and vhost /") {
  for (auto url : {"amqp://localhost", "amqp://localhost/"}) {
    auto t = parse_ok(url);
    CHECK(t.host == "localhost");
    CHECK(t.port == 5672);
    CHECK(t.user == "guest");
    CHECK(t.password == "guest");
    CHECK(t.vhost == "/");
  }
}

TEST_CASE("amqp url: the scheme is case-insensitive") {
  CHECK(parse_ok("AMQP://h").host == "h");
}

TEST_CASE("amqp url: a user without a password keeps the default password") {
  auto t = parse_ok("amqp://bob@h");
  CHECK(t.user == "bob");
  CHECK(t.password == "guest");
}

TEST_CASE("amqp url: an empty password is allowed") {
  auto t = parse_ok("amqp://bob:@h");
  CHECK(t.user == "bob");
  CHECK(t.password == "");
}

TEST_CASE("amqp url: %2f in the vhost is /, and an escaped vhost round-trips") {
  CHECK(parse_ok("amqp://h/%2f").vhost == "/");
  CHECK(parse_ok("amqp://h/%2Fprod").vhost == "/prod");
  CHECK(parse_ok("amqp://h/a%20b").vhost == "a b");
}

TEST_CASE("amqp url: user and password are percent-decoded") {
  auto t = parse_ok("amqp://us%40er:p%3Aa%2Fs%25s@h");
  CHECK(t.user == "us@er");
  CHECK(t.password == "p:a/s%s");
}

TEST_CASE("amqp url: the password may hold ':' and '@' unescaped") {
  auto t = parse_ok("amqp://u:a:b@c@h:1234");
  CHECK(t.password == "a:b@c");
  CHECK(t.host == "h");
  CHECK(t.port == 1234);
}

TEST_CASE("amqp url: an IPv6 host is written in brackets") {
  auto t = parse_ok("amqp://[::1]:5673/v");
  CHECK(t.host == "::1");
  CHECK(t.port == 5673);
  CHECK(parse_ok("amqp://[fe80::1]").port == 5672);
}

TEST_CASE("amqp url: redacted() hides the password and escapes user and vhost") {
  auto t = parse_ok("amqp://alice:s3cret@127.0.0.1:5673/%2f");
  CHECK(t.redacted() == "amqp://alice:***@127.0.0.1:5673/%2f");
  CHECK(parse_ok("amqp://h").redacted() == "amqp://guest:***@h:5672/%2f");
  CHECK(parse_ok("amqp://a%40b:x@[::1]/prod").redacted() == "amqp://a%40b:***@[::1]:5672/prod");
}

TEST_CASE("amqp url: a redacted URL parses back to the same place") {
  auto t = parse_ok("amqp://a%20b:pw@h:1/v%2fw");
  auto back = parse_ok(t.redacted());
  CHECK(back.user == t.user);
  CHECK(back.host == t.host);
  CHECK(back.port == t.port);
  CHECK(back.vhost == t.vhost);
}

TEST_CASE("amqp url: amqps is rejected with a clear reason") {
  CHECK(parse_error("amqps://u:pw@h/").find("amqps is not supported") != std::string::npos);
}

TEST_CASE("amqp url: other schemes and a missing scheme are rejected") {
  CHECK(parse_error("http://h").find("amqp://") != std::string::npos);
  CHECK(parse_error("h:5672").find("amqp://") != std::string::npos);
  CHECK(parse_error("").find("amqp://") != std::string::npos);
}

TEST_CASE("amqp url: a port that is not a number from 1 to 65535 is rejected") {
  for (auto url :
       {"amqp://h:0", "amqp://h:65536", "amqp://h:abc", "amqp://h:", "amqp://h:12x", "amqp://h:-1"})
    CHECK(parse_error(url).find("port") != std::string::npos);
}

TEST_CASE("amqp url: no host is an error") {
  CHECK(parse_error("amqp://").find("no host") != std::string::npos);
  CHECK(parse_error("amqp://u:p@:5672/").find("no host") != std::string::npos);
}

TEST_CASE("amqp url: a vhost of two segments, options and fragments are rejected") {
  CHECK(parse_error("amqp://h/a/b").find("%2f") != std::string::npos);
  CHECK(parse_error("amqp://h/v?heartbeat=10").find("'?'") != std::string::npos);
  CHECK(parse_error("amqp://h/v#x").find("'#'") != std::string::npos);
}

TEST_CASE("amqp url: an unbracketed IPv6 address and a broken bracket are rejected") {
  CHECK(parse_error("amqp://::1/").find("brackets") != std::string::npos);
  CHECK(parse_error("amqp://[::1/").find("']'") != std::string::npos);
  CHECK(parse_error("amqp://[::1]x/").find("IPv6") != std::string::npos);
}

TEST_CASE("amqp url: bad percent-escapes name the part, not its text") {
  CHECK(parse_error("amqp://u%zz:pw@h").find("user name") != std::string::npos);
  CHECK(parse_error("amqp://h/v%2").find("vhost") != std::string::npos);
  CHECK(parse_error("amqp://h/v%00").find("NUL") != std::string::npos);
}

TEST_CASE("amqp url: no error ever contains the password") {
  const std::string pw = "Hunter2pw";
  for (const std::string& url : std::initializer_list<std::string>{
           "amqps://u:" + pw + "@h/",
           "amqp://u:" + pw + "%zz@h/",
           "amqp://u:" + pw + "%00@h/",
           "amqp://u:" + pw + "@h:99999/",
           "amqp://u:" + pw + "@h:x/",
           "amqp://u:" + pw + "@/",
           "amqp://u:" + pw + "@h/a/b",
           "amqp://u:" + pw + "@h/v?x=1",
           "amqp://u:" + pw + "@[::1/",
           // Unescaped '/', '?' or '#' in the password move the host split into the password.
           "amqp://u:Hunter/2pw@h/",
           "amqp://u:Hunter?2pw@h/",
           "amqp://u:Hunter#2pw@h/",
           "amqp://u:12345/x@h/",
           "amqp://u:" + pw,
           "amqp://u:" + pw + "/",
           "ftp://u:" + pw + "@h",
           "u:" + pw + "@h",
       }) {
    std::string error;
    auto t = parse_amqp_url(url, error);
    INFO("url: ", url, " error: ", error);
    CHECK_FALSE(t.has_value());
    CHECK(error.find(pw) == std::string::npos);
    CHECK(error.find("Hunter") == std::string::npos);
    CHECK(error.find("12345") == std::string::npos);
  }
}
