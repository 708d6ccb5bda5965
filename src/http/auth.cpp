#include "http/auth.hpp"

#include <cctype>

#include "http/target.hpp"

namespace taskmux::http {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// RFC 6265's cookie-octet, less '%' (the escape itself).
bool is_cookie_octet(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x2B && c != '%') || (c >= 0x2D && c <= 0x3A) ||
         (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

}  // namespace

bool token_equals(std::string_view expected, std::string_view given) {
  // Volatile: the compiler may not turn the loop into one that stops at the first difference.
  volatile unsigned char diff = expected.size() != given.size();
  for (size_t i = 0; i < expected.size(); ++i)
    diff = diff | static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  authorization = trim(authorization);
  constexpr std::string_view scheme = "bearer";
  if (authorization.size() <= scheme.size() ||
      !equals_ignoring_case(authorization.substr(0, scheme.size()), scheme) ||
      authorization[scheme.size()] != ' ')
    return std::nullopt;
  return trim(authorization.substr(scheme.size() + 1));
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    auto value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    return percent_decode(value);
  }
  return std::nullopt;
}

std::string token_cookie(std::string_view token) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out(token_cookie_name);
  out += '=';
  for (unsigned char c : token) {
    if (is_cookie_octet(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  out += "; Path=/; HttpOnly; SameSite=Strict";
  return out;
}

verdict check_token(std::string_view token, const credentials& c) {
  if (token.empty()) return verdict::granted;
  bool offered = false;
  if (!c.authorization.empty()) {
    offered = true;
    if (auto given = bearer_token(c.authorization); given && token_equals(token, *given))
      return verdict::granted;
  }
  if (auto given = cookie_value(c.cookie, token_cookie_name)) {
    offered = true;
    if (token_equals(token, *given)) return verdict::granted;
  }
  return offered ? verdict::wrong : verdict::missing;
}

}  // namespace taskmux::http
