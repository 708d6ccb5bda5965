#include "logs/format.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
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

std::string iso_timestamp(std::chrono::system_clock::time_point now) {
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[96];  // room for seven ints of any value: -Wformat-truncation cannot know tm's ranges
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

void line_format::task_line(std::string& out, std::string_view task, int instance, std::string_view label,
                            stream from, std::string_view line) const {
  if (format == config::log_format::json) {
    out += "{\"ts\":\"";
    out += utc_timestamp();
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
    out += utc_timestamp();
    out += "\",\"task\":\"taskmux\",\"level\":\"";
    out += level;
    out += "\",\"line\":\"";
    append_json_escaped(out, text);
    out += "\"}\n";
    return;
  }
  bool bad = level == "error" || level == "fault";
  out += color ? (bad ? "\033[1;31mtaskmux |\033[0m " : "\033[1mtaskmux |\033[0m ") : "taskmux | ";
  out += text;
  out += '\n';
}

}  // namespace taskmux::logs
