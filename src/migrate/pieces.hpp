// A supervisord value after its %(name)s expansions: literal text, and the references that
// only exist when taskmux runs (an environment variable, the instance number).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace taskmux::migrate {

struct piece {
  enum class kind {
    text,         ///< literal UTF-8 text
    env,          ///< %(ENV_X)s of a variable taskmux sees at load: `name` is X
    process_num,  ///< %(process_num)...: TASK_INSTANCE + `offset`, printed with `format`
  };
  kind what = kind::text;
  std::string text;  ///< text: the text; env: the variable's name; process_num: printf
                     ///< conversion such as "%02d", empty for the plain number
  long offset = 0;   ///< process_num: numprocs_start

  bool operator==(const piece&) const = default;
};

using pieces = std::vector<piece>;

/// Appends literal text, merged into a text piece that ends `to`.
inline void append_text(pieces& to, std::string_view text) {
  if (text.empty()) return;
  if (!to.empty() && to.back().what == piece::kind::text)
    to.back().text += text;
  else
    to.push_back({piece::kind::text, std::string(text)});
}

inline void append(pieces& to, const pieces& more) {
  for (auto& p : more) {
    if (p.what == piece::kind::text)
      append_text(to, p.text);
    else
      to.push_back(p);
  }
}

inline bool has(const pieces& value, piece::kind what) {
  for (auto& p : value)
    if (p.what == what) return true;
  return false;
}

/// Whether the value is known now: only literal text.
inline bool is_literal(const pieces& value) {
  return !has(value, piece::kind::env) && !has(value, piece::kind::process_num);
}

/// The literal text of a value (references left out).
inline std::string literal_text(const pieces& value) {
  std::string out;
  for (auto& p : value)
    if (p.what == piece::kind::text) out += p.text;
  return out;
}

inline pieces text_piece(std::string_view text) {
  pieces out;
  append_text(out, text);
  return out;
}

}  // namespace taskmux::migrate
