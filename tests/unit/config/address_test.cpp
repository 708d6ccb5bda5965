// The one host:port rule of config.toml: HOST:PORT, http:// URLs and a host on its own, with
// IPv6 always in brackets.
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "config/address.hpp"

namespace {

namespace cfg = taskmux::config;

cfg::host_port host_port_ok(const std::string& text) {
  std::string error;
  auto hp = cfg::parse_host_port(text, error);
  INFO("text: ", text, " error: ", error);
  REQUIRE(hp.has_value());
  CHECK(error.empty());
  return *hp;
}

std::string host_port_error(const std::string& text) {
  std::string error;
  auto hp = cfg::parse_host_port(text, error);
  INFO("text: ", text);
  CHECK_FALSE(hp.has_value());
  CHECK_FALSE(error.empty());
  return error;
}

cfg::http_url url_ok(const std::string& text) {
  std::string error;
  auto url = cfg::parse_http_url(text, error);
  INFO("text: ", text, " error: ", error);
  REQUIRE(url.has_value());
  return *url;
}

std::string url_error(const std::string& text) {
  std::string error;
  auto url = cfg::parse_http_url(text, error);
  INFO("text: ", text);
  CHECK_FALSE(url.has_value());
  CHECK_FALSE(error.empty());
  return error;
}

std::string host_error(const std::string& text) {
  std::string error;
  auto host = cfg::parse_host(text, error);
  INFO("text: ", text);
  CHECK_FALSE(host.has_value());
  return error;
}

const std::string brackets = "an IPv6 address must be written in brackets, as [::1]:8080";

}  // namespace

TEST_CASE("address: HOST:PORT with a name, an IPv4 address or a bracketed IPv6 address") {
  auto hp = host_port_ok("127.0.0.1:8000");
  CHECK(hp.host == "127.0.0.1");
  CHECK(hp.port == 8000);
  CHECK(host_port_ok("localhost:1").port == 1);
  CHECK(host_port_ok("my_service.internal:65535").host == "my_service.internal");
  hp = host_port_ok("[::1]:8080");
  CHECK(hp.host == "::1");
  CHECK(hp.port == 8080);
  CHECK(host_port_ok("[::]:80").host == "::");
  CHECK(host_port_ok("[fe80::1%eth0]:80").host == "fe80::1%eth0");
}

TEST_CASE("address: an IPv6 address without brackets is refused, with the spelling to use") {
  for (auto text : {"::1:8080", "::1", "fe80::1:80", "a:b:c"})
    CHECK(host_port_error(text) == brackets);
}

TEST_CASE("address: HOST:PORT needs both, and a port from 1 to 65535") {
  CHECK(host_port_error("nohostport") == "the port is missing");
  CHECK(host_port_error("[::1]") == "the port is missing");
  CHECK(host_port_error(":8080") == "the host is missing");
  CHECK(host_port_error("") == "the host is missing");
  for (auto text : {"h:0", "h:65536", "h:", "h:8o", "h:-1", "h:+80", "h:123456", "[::1]:"})
    CHECK(host_port_error(text) == "the port after ':' must be a number from 1 to 65535");
}

TEST_CASE("address: a host is letters, digits, '.', '-' and '_'; brackets hold an IPv6 address") {
  for (auto text : {"a b:80", "h/x:80", "h@x:80", "caf\xc3\xa9:80"})
    CHECK(host_port_error(text).find("name or an IPv4 address") != std::string::npos);
  CHECK(host_port_error(std::string(254, 'a') + ":80").find("IPv4") != std::string::npos);
  CHECK(host_port_ok(std::string(253, 'a') + ":80").port == 80);
  for (auto text : {"[localhost]:80", "[]:80", "[1.2.3.4]:80", "[::1%]:80", "[::1%a b]:80"})
    CHECK(host_port_error(text) == "the brackets must hold an IPv6 address, as [::1]");
  CHECK(host_port_error("[::1:80") == "the IPv6 address has no closing ']'");
  CHECK(host_port_error("[::1]80").find("expected ':PORT'") != std::string::npos);
}

TEST_CASE("address: to_string writes IPv6 in brackets and parses back to the same place") {
  for (auto text : {"127.0.0.1:8000", "[::1]:8080", "web:80"}) {
    auto hp = host_port_ok(text);
    CHECK(cfg::to_string(hp) == text);
  }
}

TEST_CASE("address: an http URL gives host, port (80 unless written) and request target") {
  auto url = url_ok("http://127.0.0.1:8000/health");
  CHECK(url.where.host == "127.0.0.1");
  CHECK(url.where.port == 8000);
  CHECK(url.target == "/health");
  url = url_ok("http://web");
  CHECK(url.where.port == 80);
  CHECK(url.target == "/");
  CHECK(url_ok("http://[::1]/x").where.host == "::1");
  CHECK(url_ok("http://[::1]:81/x").where.port == 81);
  CHECK(url_ok("http://h/a?b=1").target == "/a?b=1");
  CHECK(url_ok("http://h?b=1").target == "/?b=1");
  CHECK(url_ok("http://h/a#top").target == "/a");
  CHECK(url_ok("http://h#top").target == "/");
}

TEST_CASE("address: an http URL follows the same host:port rule") {
  CHECK(url_error("http://::1:8080/health") == brackets);
  CHECK(url_error("http://h:0/") == "the port after ':' must be a number from 1 to 65535");
  CHECK(url_error("http://h:/") == "the port after ':' must be a number from 1 to 65535");
  CHECK(url_error("http:///x") == "the host is missing");
  CHECK(url_error("http://a b/").find("IPv4") != std::string::npos);
}

TEST_CASE("address: only plain http, without user info or spaces in the path") {
  CHECK(url_error("https://127.0.0.1/health").find("https is not supported") != std::string::npos);
  CHECK(url_error("HTTP://h/") == "the URL must start with http://");
  CHECK(url_error("127.0.0.1:80/health") == "the URL must start with http://");
  CHECK(url_error("http://u:pw@h/").find("'@'") != std::string::npos);
  CHECK(url_error("http://h/a b").find("%20") != std::string::npos);
}

TEST_CASE("address: an http URL is written back with :80 left out") {
  CHECK(cfg::to_string(url_ok("http://h:80/x")) == "http://h/x");
  CHECK(cfg::to_string(url_ok("http://[::1]:8000/health?x=1")) == "http://[::1]:8000/health?x=1");
  CHECK(cfg::to_string(url_ok("http://[::1]")) == "http://[::1]/");
}

TEST_CASE("address: a host on its own: a name, an IPv4 address, or IPv6 in brackets") {
  std::string error;
  CHECK(cfg::parse_host("sftp-srv", error) == std::optional<std::string>("sftp-srv"));
  CHECK(cfg::parse_host("10.0.0.5", error) == std::optional<std::string>("10.0.0.5"));
  CHECK(cfg::parse_host("[::1]", error) == std::optional<std::string>("::1"));
  CHECK(host_error("::1") == "an IPv6 address must be written in brackets, as [::1]");
  CHECK(host_error("h:22") == "the port goes in its own key, not after the host");
  CHECK(host_error("") == "the host is missing");
}
