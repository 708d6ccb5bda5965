#include "config/amqp_url.hpp"

#include "config/address.hpp"

#include <algorithm>
#include <cctype>

namespace taskmux::config {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Decodes %XX; names `what` (never the text itself: it may be the password) in the error.
std::optional<std::string> percent_decode(std::string_view s, const char* what,
                                          std::string& error) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      error = std::string("the ") + what + " has a '%' that is not followed by two hex digits";
      return std::nullopt;
    }
    // rabbitmq-c takes C strings: a NUL would silently cut the value short.
    if (hi == 0 && lo == 0) {
      error = std::string("the ") + what + " contains %00 (a NUL byte)";
      return std::nullopt;
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string percent_encode(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_scheme(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '+' || c == '-' || c == '.';
  });
}

bool reject(std::string& error, std::string text) {
  error = std::move(text);
  return false;
}

/// `[user[:password]@]` → target.user / target.password.
bool read_userinfo(std::string_view info, amqp_target& t, std::string& error) {
  size_t colon = info.find(':');
  auto user = percent_decode(info.substr(0, colon), "user name", error);
  if (!user) return false;
  t.user = std::move(*user);
  if (colon == std::string_view::npos) return true;
  auto password = percent_decode(info.substr(colon + 1), "password", error);
  if (!password) return false;
  t.password = std::move(*password);
  return true;
}

/// `host[:port]` or `[v6 address][:port]` → target.host / target.port, by the host:port rule of
/// the whole file (config/address.hpp); the host is percent-decoded before it is judged.
bool read_host_port(std::string_view hp, amqp_target& t, std::string& error) {
  auto a = split_authority(hp, error);
  if (!a) return false;
  if (a->port) t.port = *a->port;
  auto decoded = percent_decode(a->host, "host", error);
  if (!decoded) return false;
  if (decoded->empty()) return reject(error, "the URL names no host (amqp://HOST[:PORT]/VHOST)");
  if (!is_valid_host(*decoded, a->bracketed, error)) return false;
  t.host = std::move(*decoded);
  return true;
}

/// Everything after the authority: nothing, "/", or "/vhost".
bool read_vhost(std::string_view tail, amqp_target& t, std::string& error) {
  if (size_t q = tail.find('?'); q != std::string_view::npos)
    return reject(error, "URL options after '?' are not supported");
  if (tail.find('#') != std::string_view::npos)
    return reject(error, "a '#' fragment is not allowed in the URL");
  if (tail.empty()) return true;
  std::string_view path = tail.substr(1);  // tail starts with '/'
  if (path.find('/') != std::string_view::npos)
    return reject(error, "the vhost must be a single path segment: write '/' inside it as %2f");
  if (path.empty()) return true;
  auto vhost = percent_decode(path, "vhost", error);
  if (!vhost) return false;
  t.vhost = std::move(*vhost);
  return true;
}

}  // namespace

std::string amqp_target::redacted() const {
  return "amqp://" + percent_encode(user) + ":***@" + to_string(host_port{host, port}) + "/" +
         percent_encode(vhost);
}

std::optional<amqp_target> parse_amqp_url(std::string_view url, std::string& error) {
  error.clear();
  size_t sep = url.find("://");
  std::string_view scheme = sep == std::string_view::npos ? std::string_view() : url.substr(0, sep);
  if (!is_scheme(scheme)) {
    error = "the URL must start with amqp://";
    return std::nullopt;
  }
  if (lower(scheme) == "amqps") {
    error = "amqps is not supported (this build has no TLS); use amqp://";
    return std::nullopt;
  }
  if (lower(scheme) != "amqp") {
    error = "the URL must start with amqp:// (found \"" + std::string(scheme) + "://\")";
    return std::nullopt;
  }
  std::string_view rest = url.substr(sep + 3);
  size_t end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, end), tail = rest.substr(end);
  // An '@' further on means a user name or password with an unescaped '/', '?' or '#': the
  // split above then went wrong, and any piece we quoted could be part of the password.
  if (tail.find('@') != std::string_view::npos) {
    error =
        "the URL has an '@' after the host: percent-encode '/', '?', '#' and '@' in the user name "
        "or "
        "password (e.g. %2f), and '@' in the vhost as %40";
    return std::nullopt;
  }
  amqp_target t;
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos && !read_userinfo(authority.substr(0, at), t, error))
    return std::nullopt;
  std::string_view host_port = at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (!read_host_port(host_port, t, error) || !read_vhost(tail, t, error)) return std::nullopt;
  return t;
}

}  // namespace taskmux::config
