// How a line looks on taskmux's stdout/stderr: `web[0] | line`, or one JSON object per line.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "config/model.hpp"
#include "logs/ring.hpp"

namespace taskmux::logs {

struct line_format {
  config::log_format format = config::log_format::text;
  bool color = false;  ///< text on a terminal: colored labels
  bool timestamps = false;  ///< text: taskmux's own lines begin with "2026-11-22T03:04:05.123Z "

  /// Appends one task line (with '\n') to `out`.
  void task_line(std::string& out, std::string_view task, int instance, std::string_view label,
                 stream from, std::string_view line) const;
  /// Appends one line of taskmux's own (with '\n').
  void own_line(std::string& out, std::string_view level, std::string_view text) const;
};

/// Appends `s` as a JSON string body (no quotes); invalid UTF-8 bytes become U+FFFD.
void append_json_escaped(std::string& out, std::string_view s);

/// `s` with every invalid UTF-8 byte replaced by U+FFFD (task output may be any bytes).
std::string valid_utf8(std::string_view s);

/// "2026-11-22T03:04:05.123Z".
std::string iso_timestamp(std::chrono::system_clock::time_point);
void append_iso_timestamp(std::string& out, std::chrono::system_clock::time_point);
inline std::string utc_timestamp() { return iso_timestamp(std::chrono::system_clock::now()); }

}  // namespace taskmux::logs
