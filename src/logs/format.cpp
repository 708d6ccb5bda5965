#include "logs/format.hpp"

#include <algorithm>
#include <chrono>
#include <functional>

namespace taskmux::logs {
namespace {

constexpr const char* palette[] = {"\033[36m", "\033[33m", "\033[32m", "\033[35m", "\033[34m", "\033[96m"};

/// Length of a well-formed UTF-8 sequence at s[0], or 0.
size_t utf8_length(std::string_view s) {
  auto byte = [s](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto c = byte(0);
  if (c < 0x80) return 1;
  // Unicode table 3-7: the second byte's range excludes overlong forms (C0, C1, E0 80-9F,
  // F0 80-8F), UTF-16 surrogates (ED A0-BF) and code points above U+10FFFF (F4 90+, F5+).
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  }
  if (n == 0 || n > s.size() || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i)
    if ((byte(i) & 0xc0) != 0x80) return 0;
  return n;
}

/// Moves one multi-byte UTF-8 sequence from `s` to `out`, or U+FFFD for one invalid byte.
void take_code_point(std::string& out, std::string_view& s) {
  size_t n = utf8_length(s);
  if (n == 0) {
    out += "\xef\xbf\xbd";
    s.remove_prefix(1);
  } else {
    out.append(s.data(), n);
    s.remove_prefix(n);
  }
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  while (!s.empty()) {
    auto c = static_cast<unsigned char>(s[0]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      out += static_cast<char>(c);
      s.remove_prefix(1);
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; s.remove_prefix(1); continue;
      case '\\': out += "\\\\"; s.remove_prefix(1); continue;
      case '\n': out += "\\n"; s.remove_prefix(1); continue;
      case '\r': out += "\\r"; s.remove_prefix(1); continue;
      case '\t': out += "\\t"; s.remove_prefix(1); continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 0xf];
      s.remove_prefix(1);
      continue;
    }
    take_code_point(out, s);
  }
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    if (static_cast<unsigned char>(s[0]) < 0x80) {
      out += s[0];
      s.remove_prefix(1);
    } else {
      take_code_point(out, s);
    }
  }
  return out;
}

void append_iso_timestamp(std::string& out, std::chrono::system_clock::time_point t) {
  // By hand, not snprintf: a status table or a JSON log line writes one per row, per line.
  using namespace std::chrono;
  auto ms = floor<milliseconds>(t);
  auto day = floor<days>(ms);
  year_month_day ymd{day};
  hh_mm_ss hms{ms - day};
  char b[] = "0000-00-00T00:00:00.000Z";
  auto put = [&b](size_t at, size_t width, unsigned v) {
    for (size_t i = at + width; i-- > at; v /= 10) b[i] = static_cast<char>('0' + v % 10);
  };
  put(0, 4, static_cast<unsigned>(std::clamp(static_cast<int>(ymd.year()), 0, 9999)));
  put(5, 2, static_cast<unsigned>(ymd.month()));
  put(8, 2, static_cast<unsigned>(ymd.day()));
  put(11, 2, static_cast<unsigned>(hms.hours().count()));
  put(14, 2, static_cast<unsigned>(hms.minutes().count()));
  put(17, 2, static_cast<unsigned>(hms.seconds().count()));
  put(20, 3, static_cast<unsigned>(hms.subseconds().count()));
  out.append(b, sizeof b - 1);
}

std::string iso_timestamp(std::chrono::system_clock::time_point t) {
  std::string out;
  append_iso_timestamp(out, t);
  return out;
}

void line_format::task_line(std::string& out, std::string_view task, int instance, std::string_view label,
                            stream from, std::string_view line) const {
  if (format == config::log_format::json) {
    out += "{\"ts\":\"";
    append_iso_timestamp(out, std::chrono::system_clock::now());
    out += "\",\"task\":\"";
    append_json_escaped(out, task);
    out += "\",\"instance\":";
    out += std::to_string(instance);
    out += from == stream::err ? ",\"stream\":\"stderr\",\"line\":\"" : ",\"stream\":\"stdout\",\"line\":\"";
    append_json_escaped(out, line);
    out += "\"}\n";
    return;
  }
  if (color) {
    out += palette[std::hash<std::string_view>{}(task) % std::size(palette)];
    out += label;
    out += " |\033[0m ";
  } else {
    out += label;
    out += " | ";
  }
  out += line;
  out += '\n';
}

void line_format::own_line(std::string& out, std::string_view level, std::string_view text) const {
  if (format == config::log_format::json) {
    out += "{\"ts\":\"";
    append_iso_timestamp(out, std::chrono::system_clock::now());
    out += "\",\"task\":\"taskmux\",\"level\":\"";
    out += level;
    out += "\",\"line\":\"";
    append_json_escaped(out, text);
    out += "\"}\n";
    return;
  }
  bool bad = level == "error" || level == "fault";
  if (timestamps) {
    append_iso_timestamp(out, std::chrono::system_clock::now());
    out += ' ';
  }
  out += color ? (bad ? "\033[1;31mtaskmux |\033[0m " : "\033[1mtaskmux |\033[0m ") : "taskmux | ";
  out += text;
  out += '\n';
}

}  // namespace taskmux::logs
