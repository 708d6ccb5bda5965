#include "config/expand.hpp"

namespace taskmux::config {
namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::variant<std::string, expand_error> expand(std::string_view text, const env_lookup& env) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += text[i];
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) return expand_error{i, "unterminated ${ in string"};
    std::string_view inner = text.substr(i + 2, close - i - 2);
    size_t name_len = 0;
    while (name_len < inner.size() && is_name_char(inner[name_len])) ++name_len;
    std::string name(inner.substr(0, name_len));
    std::string_view rest = inner.substr(name_len);
    if (name.empty()) return expand_error{i, "empty variable name in ${}"};
    std::optional<std::string_view> fallback;
    if (rest.starts_with(":-")) {
      fallback = rest.substr(2);
    } else if (!rest.empty()) {
      return expand_error{i, "malformed reference ${" + std::string(inner) +
                                 "}: use ${NAME} or ${NAME:-default}"};
    }
    auto value = env(name);
    if (value && !(value->empty() && fallback)) {
      out += *value;
    } else if (fallback) {
      out += *fallback;
    } else {
      return expand_error{i, "environment variable " + name + " is not set (use ${" + name +
                                 ":-default} for a default)"};
    }
    i = close;
  }
  return out;
}

}  // namespace taskmux::config
