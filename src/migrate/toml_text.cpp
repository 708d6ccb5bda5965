#include "migrate/toml_text.hpp"

#include <toml++/toml.h>
#include <cstdio>
#include <sstream>
#include <utility>

namespace taskmux::migrate {
namespace {

/// Text in which some parts are taskmux's own ${X} references and the rest is literal.
using segments = std::vector<std::pair<std::string, bool>>;  ///< (text, is a reference)

/// Doubles each literal '$' that taskmux would read as the start of "$$" or "${".
std::string escape_literal_dollars(const segments& parts) {
  std::string out;
  for (size_t s = 0; s < parts.size(); ++s) {
    auto& [text, is_reference] = parts[s];
    for (size_t i = 0; i < text.size(); ++i) {
      out += text[i];
      if (is_reference || text[i] != '$') continue;
      char next = i + 1 < text.size()                                   ? text[i + 1]
                  : s + 1 < parts.size() && !parts[s + 1].first.empty() ? parts[s + 1].first[0]
                                                                        : '\0';
      if (next == '$' || next == '{') out += '$';
    }
  }
  return out;
}

bool is_shell_safe(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
    if (!safe) return false;
  }
  return true;
}

std::string single_quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// The shell expression of the process number: TASK_INSTANCE plus numprocs_start, formatted.
std::string process_number_word(const piece& p) {
  std::string number = p.offset == 0 ? "\"$TASK_INSTANCE\""
                       : p.offset > 0
                           ? "\"$((TASK_INSTANCE + " + std::to_string(p.offset) + "))\""
                           : "\"$((TASK_INSTANCE - " + std::to_string(-p.offset) + "))\"";
  if (p.text.empty()) return number;
  return "\"$(printf " + single_quoted(p.text) + " " + number + ")\"";
}

}  // namespace

std::string toml_string(std::string_view text) {
  std::ostringstream out;
  out << toml::toml_formatter{toml::value<std::string>{std::string(text)},
                              toml::format_flags::allow_unicode_strings};
  return out.str();
}

std::string toml_key(std::string_view key) {
  bool bare = !key.empty();
  for (char c : key)
    bare = bare && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-');
  return bare ? std::string(key) : toml_string(key);
}

std::string toml_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? ", " : "") + toml_string(items[i]);
  return out + "]";
}

std::string load_time_text(const pieces& value) {
  segments parts;
  for (auto& p : value) {
    if (p.what == piece::kind::env)
      parts.emplace_back("${" + p.text + "}", true);
    else
      parts.emplace_back(p.text, false);
  }
  return escape_literal_dollars(parts);
}

std::string escape_for_load(std::string_view shell_text) {
  return escape_literal_dollars({{std::string(shell_text), false}});
}

std::string shell_word(const pieces& value) {
  if (value.empty()) return "''";
  std::string out;
  for (auto& p : value) {
    switch (p.what) {
      case piece::kind::text:
        out += is_shell_safe(p.text) ? p.text : single_quoted(p.text);
        break;
      case piece::kind::env:
        out += "\"$" + p.text + "\"";
        break;
      case piece::kind::process_num:
        out += process_number_word(p);
        break;
    }
  }
  return out;
}

std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string comment_lines(std::string_view text, std::string_view indent) {
  constexpr size_t width = 100;
  std::string shown = printable(text), out, line = "#" + std::string(indent);
  bool first_word = true;
  std::istringstream words(shown);
  for (std::string word; words >> word;) {
    if (!first_word && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = "#  " + std::string(indent);
    }
    line += " " + word;
    first_word = false;
  }
  return out + line + "\n";
}

std::string key_line(const std::string& toml, const std::string& from) {
  auto shown = printable(from);
  if (shown.size() <= 60 && toml.size() + shown.size() <= 96) return toml + "  # " + shown + "\n";
  return comment_lines(from) + toml + "\n";
}

std::string commented(const std::string& block) {
  std::string out;
  size_t begin = 0;
  while (begin < block.size()) {
    size_t end = block.find('\n', begin);
    out += "# " + block.substr(begin, end - begin) + "\n";
    begin = end + 1;
  }
  return out;
}

}  // namespace taskmux::migrate
