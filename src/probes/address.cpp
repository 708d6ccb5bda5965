#include "probes/address.hpp"

namespace taskmux::probes {

std::optional<host_port> parse_host_port(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return std::nullopt;
  auto host = s.substr(0, colon), port = s.substr(colon + 1);
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // an IPv6 address needs its brackets
  }
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  int n = std::stoi(std::string(port));
  if (n < 1 || n > 65535) return std::nullopt;
  return host_port{std::string(host), std::string(port)};
}

std::optional<http_url> parse_http_url(std::string_view s) {
  constexpr std::string_view scheme = "http://";
  if (!s.starts_with(scheme)) return std::nullopt;
  s.remove_prefix(scheme.size());
  auto slash = s.find('/');
  auto authority = s.substr(0, slash);
  http_url url;
  if (slash != std::string_view::npos) url.target = std::string(s.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  auto hp = parse_host_port(authority);
  if (!hp) {
    if (authority.find(':') != std::string_view::npos && authority.front() != '[') return std::nullopt;
    hp = host_port{std::string(authority), "80"};
    if (authority.front() == '[') return std::nullopt;
  }
  url.where = *hp;
  return url;
}

}  // namespace taskmux::probes
