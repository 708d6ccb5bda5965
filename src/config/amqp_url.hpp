// amqp:// URLs of the AMQP report backend: parsing, and a spelling that is safe to log.
// Not a general URL parser: only what RabbitMQ's URI spec needs for a plain TCP connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace taskmux::config {

/// Where the AMQP publisher connects, and as whom.
struct amqp_target {
  std::string host;
  uint16_t port = 5672;
  std::string user = "guest", password = "guest", vhost = "/";
  bool operator==(const amqp_target&) const = default;

  /// `amqp://user:***@host:port/vhost`, user and vhost percent-encoded ("/" is "%2f");
  /// never the password. For log lines and status output.
  std::string redacted() const;
};

/// Parses `amqp://[user[:password]@]host[:port][/vhost]`. User, password, host and vhost are
/// percent-decoded; no password keeps "guest"; no port is 5672; no vhost or an empty one is "/".
/// The host and port follow the host:port rule of the whole file (config/address.hpp): an IPv6
/// host in brackets.
/// amqps://, options after '?' and '#' fragments are rejected. On failure returns nothing and
/// sets `error` to one sentence that never contains the password (nor any part of the URL that
/// might be one).
std::optional<amqp_target> parse_amqp_url(std::string_view url, std::string& error);

}  // namespace taskmux::config
