#include "migrate/shlex.hpp"

#include <optional>

namespace taskmux::migrate {
namespace {

/// One character of the input: a code point, or a run-time reference (refs[ref]).
struct unit {
  char32_t cp = 0;
  int ref = -1;
};
using units = std::vector<unit>;

constexpr char32_t no_char = 0xFFFFFFFF;

/// The input is valid UTF-8 (the reader checked it); code points in, code points out.
void decode(std::string_view s, units& out) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    char32_t cp = extra == 0 ? c : c & (0x3F >> extra);
    for (int k = 1; k <= extra && i + k < s.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back({cp});
    i += 1 + extra;
  }
}

void encode(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// Python's shlex.shlex read_token/get_token, without punctuation_chars: POSIX mode as
/// shlex.split uses it, or the default (non-POSIX) mode, where quotes stay in the token and end
/// it, and there are no escapes.
class lexer {
 public:
  lexer(units input, bool posix, bool whitespace_split)
      : in_(std::move(input)), posix_(posix), split_(whitespace_split) {}

  /// The next token; nothing at the end.
  std::optional<units> next() {
    if (pushback_) {
      units t{*pushback_};
      pushback_.reset();
      return t;
    }
    return read_token();
  }
  std::string error;  ///< set when next() stopped on a syntax error

 private:
  static bool is_whitespace(char32_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  static bool is_quote(char32_t c) { return c == '\'' || c == '"'; }
  bool is_comment(char32_t c) const { return !split_ && c == '#'; }
  /// Python's wordchars (POSIX mode adds Latin-1 letters), plus what dict_of_key_value_pairs
  /// adds: '/.+-():'.
  bool is_word(const unit& u) const {
    char32_t c = u.cp;
    if (u.ref >= 0) return true;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
      return true;
    if (posix_ && c >= 0xC0 && c <= 0xFF && c != 0xD7 && c != 0xF7) return true;  // ß, à..ÿ, À..Þ
    return c == '/' || c == '.' || c == '+' || c == '-' || c == '(' || c == ')' || c == ':';
  }

  void skip_line() {
    while (pos_ < in_.size() && !(in_[pos_].ref < 0 && in_[pos_].cp == '\n'))
      ++pos_;
    if (pos_ < in_.size()) ++pos_;
  }

  std::optional<units> read_token();

  units in_;
  size_t pos_ = 0;
  bool posix_;
  bool split_;
  bool at_end_ = false;
  std::optional<unit> pushback_;
};

std::optional<units> lexer::read_token() {
  units token;
  bool quoted = false;
  char32_t state = at_end_ ? no_char : ' ';
  char32_t escaped_state = ' ';
  while (state != no_char) {
    bool eof = pos_ >= in_.size();
    unit u = eof ? unit{} : in_[pos_++];
    char32_t c = u.ref >= 0 ? 0 : u.cp;  // a reference is no special character
    if (state == ' ') {
      if (eof) {
        state = no_char;
      } else if (u.ref < 0 && is_whitespace(c)) {
        if (!token.empty() || quoted) break;
      } else if (u.ref < 0 && is_comment(c)) {
        skip_line();
      } else if (posix_ && u.ref < 0 && c == '\\') {
        escaped_state = 'a';
        state = '\\';
      } else if (is_word(u)) {
        token = {u};
        state = 'a';
      } else if (u.ref < 0 && is_quote(c)) {
        if (!posix_) token = {u};
        state = c;
      } else if (split_) {
        token = {u};
        state = 'a';
      } else {
        token = {u};
        break;
      }
    } else if (is_quote(state)) {
      quoted = true;
      if (eof) {
        error = "No closing quotation";
        return std::nullopt;
      }
      if (u.ref < 0 && c == state && !posix_) {
        token.push_back(u);
        state = ' ';
        break;
      }
      if (u.ref < 0 && c == state)
        state = 'a';
      else if (posix_ && u.ref < 0 && c == '\\' && state == '"') {
        escaped_state = state;
        state = '\\';
      } else {
        token.push_back(u);
      }
    } else if (state == '\\') {
      if (eof) {
        error = "No escaped character";
        return std::nullopt;
      }
      // Inside "...", only the quote and the backslash itself are escaped.
      if (is_quote(escaped_state) && (u.ref >= 0 || (c != '\\' && c != escaped_state)))
        token.push_back({'\\'});
      token.push_back(u);
      state = escaped_state;
    } else {  // 'a': inside a word
      if (eof) {
        state = no_char;
      } else if (u.ref < 0 && is_whitespace(c)) {
        state = ' ';
        if (!token.empty() || quoted) break;
      } else if (u.ref < 0 && is_comment(c)) {
        skip_line();  // outside POSIX mode, the word goes on after the comment's line
        if (!posix_) continue;
        state = ' ';
        if (!token.empty() || quoted) break;
      } else if (posix_ && u.ref < 0 && is_quote(c)) {
        state = c;
      } else if (posix_ && u.ref < 0 && c == '\\') {
        escaped_state = 'a';
        state = '\\';
      } else if (is_word(u) || (u.ref < 0 && is_quote(c)) || split_) {
        token.push_back(u);
      } else {
        pushback_ = u;
        state = ' ';
        if (!token.empty() || quoted) break;
      }
    }
  }
  if (state == no_char) at_end_ = true;
  if (token.empty() && (!quoted || !posix_)) return std::nullopt;
  return token;
}

/// The units of a value; references are numbered into `refs`.
units to_units(const pieces& value, std::vector<piece>& refs) {
  units out;
  for (auto& p : value) {
    if (p.what == piece::kind::text) {
      decode(p.text, out);
    } else {
      out.push_back({0, static_cast<int>(refs.size())});
      refs.push_back(p);
    }
  }
  return out;
}

pieces to_pieces(const units& token, const std::vector<piece>& refs) {
  pieces out;
  std::string text;
  for (auto& u : token) {
    if (u.ref < 0) {
      encode(u.cp, text);
      continue;
    }
    append_text(out, text);
    text.clear();
    out.push_back(refs[u.ref]);
  }
  append_text(out, text);
  return out;
}

/// Every token of `value`, or Python's error message.
std::variant<std::vector<pieces>, std::string> tokens(const pieces& value, bool posix) {
  std::vector<piece> refs;
  lexer lex(to_units(value, refs), posix, posix);
  std::vector<pieces> out;
  while (auto t = lex.next())
    out.push_back(to_pieces(*t, refs));
  if (!lex.error.empty()) return lex.error;
  return out;
}

/// Python's value.strip('\'"'): every quote character at either end goes.
pieces strip_quotes(pieces value) {
  auto is_quote_char = [](char c) { return c == '\'' || c == '"'; };
  if (!value.empty() && value.front().what == piece::kind::text) {
    auto& t = value.front().text;
    t.erase(0, std::min(t.size(), t.find_first_not_of("'\"")));
  }
  if (!value.empty() && value.back().what == piece::kind::text) {
    auto& t = value.back().text;
    while (!t.empty() && is_quote_char(t.back()))
      t.pop_back();
  }
  std::erase_if(value,
                [](const piece& p) { return p.what == piece::kind::text && p.text.empty(); });
  return value;
}

}  // namespace

std::variant<std::vector<pieces>, std::string> shlex_split(const pieces& value) {
  return tokens(value, true);
}

std::variant<key_values, std::string> key_value_pairs(const pieces& value) {
  auto t = tokens(value, false);  // supervisord (up to 4.3) uses shlex's default, non-POSIX mode
  if (auto* err = std::get_if<std::string>(&t)) return *err;
  auto& words = std::get<std::vector<pieces>>(t);
  key_values out;
  for (size_t i = 0; i < words.size(); i += 4) {
    if (i + 3 > words.size() || words[i + 1] != text_piece("="))
      return std::string("unexpected end of key/value pairs: write KEY=\"value\",KEY2=\"value2\"");
    if (!is_literal(words[i]) || words[i].empty())
      return std::string("the name of an environment variable must be written out, not expanded");
    auto key = literal_text(words[i]);
    auto value = strip_quotes(words[i + 2]);
    bool replaced = false;
    for (auto& [k, v] : out)
      if (k == key) {
        v = value;
        replaced = true;
      }
    if (!replaced) out.emplace_back(key, value);
  }
  return out;
}

}  // namespace taskmux::migrate
