// Network addresses of config.toml (HOST:PORT, http:// URLs, a host on its own), parsed once
// while loading. One rule for every address in the file: a host is a name or an IPv4 address,
// or an IPv6 address in brackets ("[::1]:8080"); a port is a number from 1 to 65535.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace taskmux::config {

/// Where to connect or listen. `host` has no brackets ("::1"); `port` is 1-65535.
struct host_port {
  std::string host;
  uint16_t port = 0;
  bool operator==(const host_port&) const = default;
};

/// "HOST:PORT", an IPv6 host in brackets ("[::1]:8080").
std::string to_string(const host_port&);

/// An http:// URL: where to connect, and what to ask for there.
struct http_url {
  host_port where;           ///< port 80 unless the URL names one
  std::string target = "/";  ///< path and query, as sent in the request line
  bool operator==(const http_url&) const = default;
};

/// "http://HOST[:PORT]TARGET", ":80" left out.
std::string to_string(const http_url&);

// Every parser below returns nothing on failure and sets `error` to one sentence that never
// quotes the text (an amqp:// URL holds a password): the caller names the key and, when it is
// not a secret, the value.

/// "HOST:PORT": "127.0.0.1:8000", "localhost:80", "[::1]:8000"; never "::1:8000".
std::optional<host_port> parse_host_port(std::string_view text, std::string& error);

/// "http://HOST[:PORT][/PATH][?QUERY]". No https, no user info; a "#fragment" is dropped
/// (a client never sends it).
std::optional<http_url> parse_http_url(std::string_view text, std::string& error);

/// A host on its own (a key next to a separate port key): "sftp-srv", "10.0.0.5", "[::1]".
/// Returns it without brackets.
std::optional<std::string> parse_host(std::string_view text, std::string& error);

/// The building blocks of the parsers above, for the amqp:// parser, which percent-decodes the
/// host between them.
/// "HOST", "HOST:PORT", "[IPV6]" or "[IPV6]:PORT" taken apart; the host is not judged yet.
struct authority {
  std::string_view host;  ///< without brackets
  bool bracketed = false;
  std::optional<uint16_t> port;
};
std::optional<authority> split_authority(std::string_view text, std::string& error);
/// The host rule: in brackets, an IPv6 address (with an optional %zone); else a name or an
/// IPv4 address: letters, digits, '.', '-' and '_', at most 253 of them.
bool is_valid_host(std::string_view host, bool bracketed, std::string& error);

}  // namespace taskmux::config
