#include "config/expand.hpp"

namespace taskmux::config {
namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::variant<std::string, expand_error> expand(std::string_view text, const env_lookup& env,
                                               const unset_default_fn& on_unset_default) {
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
      if (!value && on_unset_default) on_unset_default(name, i);
    } else {
      return expand_error{i,
                          "environment variable " + name + " is not set (use ${" + name +
                              ":-default} for a default)",
                          name};
    }
    i = close;
  }
  return out;
}

std::string env_only_hint(std::string_view name_in, expansion_site site) {
  const std::string name(name_in);
  std::string hint = name + " is set in this task's env, but env does not expand the config ";
  hint += "(taskmux's own environment does): ";
  switch (site) {
    case expansion_site::shell_command:
      return hint + "write $${" + name +
             "} to leave it to the task's shell, or write the value itself";
    case expansion_site::argv_command:
      return hint +
             "write the value itself, or make command a string (run by /bin/sh -c) with $${" +
             name + "} for the shell to expand";
    case expansion_site::other:
      break;
  }
  return hint + "write the value itself";
}

}  // namespace taskmux::config
