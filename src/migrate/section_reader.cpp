#include "migrate/section_reader.hpp"

#include <algorithm>

namespace taskmux::migrate {
namespace {

/// A name taskmux's ${X} and the shell's "$X" can both read.
bool is_variable_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::string_view strip_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<long> parse_integer(std::string_view s) {
  s = strip_blanks(s);
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty() || s.front() == '_' || s.back() == '_' || s.find("__") != std::string_view::npos)
    return std::nullopt;
  long value = 0;
  for (char c : s) {
    if (c == '_') continue;
    if (c < '0' || c > '9' || value > 100'000'000'000L) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

std::optional<binding> look_up(const names& n, const source& where, std::string_view name) {
  if (name == "here") return text_piece(where.here());
  if (auto it = n.fixed.find(name); it != n.fixed.end()) {
    if (name == "host_node_name" && n.uses_host_node_name) *n.uses_host_node_name = true;
    return it->second;
  }
  if (!name.starts_with("ENV_")) return std::nullopt;
  auto var = name.substr(4);
  for (auto* env : n.envs)
    for (auto& [k, v] : *env)
      if (k == var) return v;
  if (!is_variable_name(var)) return std::nullopt;
  return pieces{{piece::kind::env, std::string(var)}};
}

void section_reader::error(const source& where, const std::string& message) {
  errors_.push_back({where, "[" + section_.name + "] " + message});
}

std::optional<pieces> section_reader::expanded(std::string_view key, const names& n) {
  auto* v = raw(key);
  if (!v) return std::nullopt;
  auto r =
      expand_percent(v->text, [&](std::string_view name) { return look_up(n, v->where, name); });
  if (auto* err = std::get_if<std::string>(&r)) {
    error(v->where, std::string(key) + ": " + *err);
    return std::nullopt;
  }
  return std::get<pieces>(r);
}

std::optional<std::string> section_reader::literal(std::string_view key, const names& n) {
  auto value = expanded(key, n);
  if (!value) return std::nullopt;
  std::string out;
  for (auto& p : *value) {
    if (p.what == piece::kind::text) {
      out += p.text;
    } else if (auto env = host_.env(p.text)) {
      out += *env;
      if (notes_)
        notes_->push_back(std::string(key) + ": %(ENV_" + p.text + ")s was read when converting (" +
                          p.text + "=" + *env + "); taskmux takes " + std::string(key) +
                          " as written here");
    } else {
      error(raw(key)->where, std::string(key) + ": %(ENV_" + p.text + ")s: " + p.text +
                                 " must be set when converting (taskmux reads " + std::string(key) +
                                 " as a fixed value)");
      return std::nullopt;
    }
  }
  return out;
}

long section_reader::integer(std::string_view key, long fallback, const names& n) {
  auto text = literal(key, n);
  if (!text) return fallback;
  auto value = parse_integer(*text);
  if (!value) error(raw(key)->where, std::string(key) + ": not an integer: \"" + *text + "\"");
  return value.value_or(fallback);
}

bool section_reader::boolean(std::string_view key, bool fallback, const names& n) {
  auto text = literal(key, n);
  if (!text) return fallback;
  auto b = ascii_lower(*text);
  if (b == "yes" || b == "true" || b == "on" || b == "1") return true;
  if (b == "no" || b == "false" || b == "off" || b == "0") return false;
  error(raw(key)->where, std::string(key) + ": not a valid boolean value: \"" + *text + "\"");
  return fallback;
}

}  // namespace taskmux::migrate
