#include "config/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace taskmux::config {
namespace {

constexpr std::string_view bare_ipv6 = "an IPv6 address must be written in brackets, as ";

bool fail(std::string& error, std::string text) {
  error = std::move(text);
  return false;
}

bool is_name_char(unsigned char c) {
  return std::isalnum(c) || c == '.' || c == '-' || c == '_';
}

std::optional<uint16_t> parse_port(std::string_view s) {
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), is_digit)) return std::nullopt;
  int port = 0;
  for (char c : s)
    port = port * 10 + (c - '0');
  if (port < 1 || port > 65535) return std::nullopt;
  return static_cast<uint16_t>(port);
}

bool is_ipv6(std::string_view host) {
  auto percent = host.find('%');
  auto address = std::string(host.substr(0, percent));
  in6_addr ignored;
  if (::inet_pton(AF_INET6, address.c_str(), &ignored) != 1) return false;
  if (percent == std::string_view::npos) return true;
  auto zone = host.substr(percent + 1);  // "fe80::1%eth0": the interface of a link-local address
  return !zone.empty() && std::all_of(zone.begin(), zone.end(), is_name_char);
}

}  // namespace

std::string to_string(const host_port& hp) {
  bool is_v6 = hp.host.find(':') != std::string::npos;
  return (is_v6 ? "[" + hp.host + "]" : hp.host) + ":" + std::to_string(hp.port);
}

std::string to_string(const http_url& url) {
  std::string where = to_string(url.where);
  if (url.where.port == 80) where.resize(where.size() - 3);  // ":80"
  return "http://" + where + url.target;
}

std::optional<authority> split_authority(std::string_view text, std::string& error) {
  authority a;
  std::string_view port;
  bool has_port = false;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      error = "the IPv6 address has no closing ']'";
      return std::nullopt;
    }
    a.host = text.substr(1, close - 1);
    a.bracketed = true;
    std::string_view after = text.substr(close + 1);
    if (!after.empty() && after[0] != ':') {
      error = "unexpected text after the IPv6 address (expected ':PORT')";
      return std::nullopt;
    }
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
  } else if (size_t colon = text.find(':'); colon != std::string_view::npos) {
    // "::1:8080" could be ::1 port 8080 or ::1:8080 with no port: brackets decide.
    if (text.find(':', colon + 1) != std::string_view::npos) {
      error = std::string(bare_ipv6) + "[::1]:8080";
      return std::nullopt;
    }
    a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    has_port = true;
  } else {
    a.host = text;
  }
  if (has_port) {
    // Not quoted: in "amqp://user:password" (host forgotten) the password is what sits there.
    a.port = parse_port(port);
    if (!a.port) {
      error = "the port after ':' must be a number from 1 to 65535";
      return std::nullopt;
    }
  }
  return a;
}

bool is_valid_host(std::string_view host, bool bracketed, std::string& error) {
  if (bracketed)
    return is_ipv6(host) || fail(error, "the brackets must hold an IPv6 address, as [::1]");
  if (host.empty()) return fail(error, "the host is missing");
  if (host.find(':') != std::string_view::npos)
    return fail(error, std::string(bare_ipv6) + "[::1]");
  if (host.size() > 253 || !std::all_of(host.begin(), host.end(), is_name_char))
    return fail(error,
                "the host must be a name or an IPv4 address (letters, digits, '.', '-' and '_'; "
                "an IPv6 address goes in brackets)");
  return true;
}

std::optional<host_port> parse_host_port(std::string_view text, std::string& error) {
  error.clear();
  auto a = split_authority(text, error);
  if (!a || !is_valid_host(a->host, a->bracketed, error)) return std::nullopt;
  if (!a->port) {
    error = "the port is missing";
    return std::nullopt;
  }
  return host_port{std::string(a->host), *a->port};
}

std::optional<http_url> parse_http_url(std::string_view text, std::string& error) {
  error.clear();
  constexpr std::string_view scheme = "http://";
  if (!text.starts_with(scheme)) {
    error = text.starts_with("https://") ? "https is not supported (probes speak plain HTTP)"
                                         : "the URL must start with http://";
    return std::nullopt;
  }
  std::string_view rest = text.substr(scheme.size());
  size_t end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, end), tail = rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    error = "a user name or password ('@') is not supported";
    return std::nullopt;
  }
  auto a = split_authority(authority, error);
  if (!a || !is_valid_host(a->host, a->bracketed, error)) return std::nullopt;
  http_url url;
  url.where = {std::string(a->host), a->port.value_or(80)};
  tail = tail.substr(0, tail.find('#'));
  if (std::any_of(tail.begin(), tail.end(), [](unsigned char c) { return c <= ' ' || c == 127; })) {
    error = "the path must not contain spaces or control characters (write a space as %20)";
    return std::nullopt;
  }
  if (!tail.empty())
    url.target = tail.starts_with('?') ? "/" + std::string(tail) : std::string(tail);
  return url;
}

std::optional<std::string> parse_host(std::string_view text, std::string& error) {
  error.clear();
  // "::1" alone is unambiguous, but one spelling of IPv6 for the whole file is easier to know.
  if (!text.starts_with('[') && std::count(text.begin(), text.end(), ':') > 1) {
    error = std::string(bare_ipv6) + "[::1]";
    return std::nullopt;
  }
  auto a = split_authority(text, error);
  if (!a || !is_valid_host(a->host, a->bracketed, error)) return std::nullopt;
  if (a->port) {
    error = "the port goes in its own key, not after the host";
    return std::nullopt;
  }
  return std::string(a->host);
}

}  // namespace taskmux::config
