// Where a probe connects: "host:port" and "http://host[:port]/path", parsed without I/O (the
// config validator uses these too).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taskmux::probes {

struct host_port {
  std::string host;
  std::string port;
};
/// "127.0.0.1:8000", "[::1]:8000", "localhost:80".
std::optional<host_port> parse_host_port(std::string_view s);

struct http_url {
  host_port where;
  std::string target = "/";  ///< path and query
};
/// "http://host[:port][/path]" (no https).
std::optional<http_url> parse_http_url(std::string_view s);

}  // namespace taskmux::probes
