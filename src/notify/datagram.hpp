// The payload of one sd_notify datagram (systemd's protocol plus taskmux's FAULT= and
// SUCCESS=): newline-separated KEY=VALUE assignments. Pure parsing, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taskmux::notify {

/// Bigger datagrams are refused whole (systemd's own limit).
inline constexpr size_t max_datagram = 4096;

struct message {
  bool ready = false;             ///< READY=1
  bool stopping = false;          ///< STOPPING=1
  bool watchdog = false;          ///< WATCHDOG=1: the task is alive
  bool watchdog_trigger = false;  ///< WATCHDOG=trigger: the task asks to be treated as hung
  std::optional<std::string> status;   ///< STATUS=
  std::optional<std::string> fault;    ///< FAULT=   (taskmux)
  std::optional<std::string> success;  ///< SUCCESS= (taskmux)
  std::optional<int> error_number;     ///< ERRNO=
};

/// What one datagram says, or why it is refused: `error` says so for a malformed payload
/// (a line without '=', a bad key, a bad value for a known key) or one with nothing taskmux
/// understands. Keys of systemd that do not apply here (MAINPID, RELOADING, BARRIER, FD*, ...)
/// are accepted and ignored.
struct parsed {
  std::optional<message> value;
  std::string error;
};
parsed parse(std::string_view payload);

}  // namespace taskmux::notify
