#include "migrate/percent_format.hpp"

#include <cstdio>

namespace taskmux::migrate {
namespace {

/// One %(name)FLAGS WIDTH .PRECISION CONVERSION, as Python parses it.
struct conversion {
  std::string name;
  std::string flags, width, precision;  ///< precision without its '.'
  char type = 's';

  bool is_plain() const { return flags.empty() && width.empty() && precision.empty(); }
  /// The printf spelling; u and i are d there.
  std::string printf_spec() const {
    char t = type == 'i' || type == 'u' ? 'd' : type;
    return "%" + flags + width + (precision.empty() ? "" : "." + precision) + t;
  }
};

bool is_integer_type(char c) {
  return c == 'd' || c == 'i' || c == 'u' || c == 'x' || c == 'X' || c == 'o';
}

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    n += (c & 0xC0) != 0x80;
  return n;
}

/// The first `count` code points of `s`.
std::string_view first_code_points(std::string_view s, size_t count) {
  size_t i = 0;
  for (size_t seen = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (seen++ == count) break;
  }
  return s.substr(0, i);
}

/// Python's %s of a string: precision cuts, width pads (left, or right with '-'), in code points.
std::string format_text(std::string_view s, const conversion& c) {
  if (!c.precision.empty()) s = first_code_points(s, std::stoul(c.precision));
  std::string out(s);
  size_t width = c.width.empty() ? 0 : std::stoul(c.width);
  size_t have = code_points(out);
  if (have < width) {
    std::string pad(width - have, ' ');
    out = c.flags.find('-') != std::string::npos ? out + pad : pad + out;
  }
  return out;
}

std::string format_integer(long value, const conversion& c) {
  if (c.type == 's') return format_text(std::to_string(value), c);
  auto spec = c.printf_spec();
  spec.insert(spec.size() - 1, "l");
  char buf[1100];
  std::snprintf(buf, sizeof buf, spec.c_str(), value);
  return buf;
}

std::string type_error(char type, std::string_view what) {
  return std::string("%") + type + " format: " +
         (type == 'd' || type == 'i' || type == 'u' ? "a real number" : "an integer") +
         " is required, not " + std::string(what);
}

/// Appends the value of one conversion; an error message when it cannot be applied.
std::optional<std::string> apply(const conversion& c, const binding& b, pieces& out) {
  if (auto* n = std::get_if<long>(&b)) {
    append_text(out, format_integer(*n, c));
    return std::nullopt;
  }
  if (auto* num = std::get_if<process_number>(&b)) {
    bool plain = c.is_plain() && c.type != 'x' && c.type != 'X' && c.type != 'o';
    out.push_back({piece::kind::process_num, plain ? "" : c.printf_spec(), num->offset});
    return std::nullopt;
  }
  auto& text = std::get<pieces>(b);
  if (is_integer_type(c.type)) return type_error(c.type, "str");
  if (is_literal(text)) {
    append_text(out, format_text(literal_text(text), c));
    return std::nullopt;
  }
  if (!c.is_plain())
    return "%(" + c.name + ")" + c.flags + c.width + (c.precision.empty() ? "" : ".") +
           c.precision +
           "s: a value taken from the environment at run time cannot be padded "
           "or cut; write %(" +
           c.name + ")s";
  append(out, text);
  return std::nullopt;
}

/// Parses the conversion that starts at text[i] == '%' and text[i + 1] == '('; moves i past it.
std::variant<conversion, std::string> parse(std::string_view text, size_t& i) {
  conversion c;
  size_t j = i + 2;
  for (int depth = 1; depth > 0; ++j) {  // Python allows balanced parentheses in the name
    if (j >= text.size()) return std::string("incomplete format key");
    if (text[j] == '(')
      ++depth;
    else if (text[j] == ')')
      --depth;
  }
  c.name = std::string(text.substr(i + 2, j - i - 3));
  while (j < text.size() && std::string_view("-+ #0").find(text[j]) != std::string_view::npos)
    c.flags += text[j++];
  auto digits = [&](std::string& into) -> bool {
    if (j < text.size() && text[j] == '*') return false;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9')
      into += text[j++];
    return into.size() <= 3;
  };
  if (!digits(c.width)) return std::string("* wants int, or a width too large");
  if (j < text.size() && text[j] == '.') {
    ++j;
    if (!digits(c.precision)) return std::string("* wants int, or a precision too large");
    if (c.precision.empty()) c.precision = "0";
  }
  while (j < text.size() && (text[j] == 'h' || text[j] == 'l' || text[j] == 'L'))
    ++j;
  if (j >= text.size()) return std::string("incomplete format");
  c.type = text[j];
  if (c.type != 's' && c.type != '%' && !is_integer_type(c.type)) {
    char code[8];
    std::snprintf(code, sizeof code, "0x%x", static_cast<unsigned char>(c.type));
    return "unsupported format character '" + std::string(1, c.type) + "' (" + code +
           ") at index " + std::to_string(j);
  }
  i = j + 1;
  return c;
}

}  // namespace

std::variant<pieces, std::string> expand_percent(std::string_view text,
                                                 const binding_lookup& lookup) {
  pieces out;
  size_t i = 0;
  while (i < text.size()) {
    size_t pct = text.find('%', i);
    append_text(out, text.substr(i, pct == std::string_view::npos ? pct : pct - i));
    if (pct == std::string_view::npos) break;
    i = pct;
    if (i + 1 < text.size() && text[i + 1] == '%') {
      append_text(out, "%");
      i += 2;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '(')
      return std::string("a % that starts no %(name)s (write %% for a literal %)");
    auto parsed = parse(text, i);
    if (auto* err = std::get_if<std::string>(&parsed)) return *err;
    auto& c = std::get<conversion>(parsed);
    auto b = lookup(c.name);
    if (!b) return "%(" + c.name + ") names nothing that can be expanded here";
    if (c.type == '%') {  // Python looks the name up, then writes a '%'
      append_text(out, "%");
      continue;
    }
    if (auto err = apply(c, *b, out)) return *err;
  }
  return out;
}

}  // namespace taskmux::migrate
