// The control socket's protocol: the client sends one JSON object on one line,
// {"command": "status", ...}; the server answers with JSON lines, then closes:
// {"ok": true, "result": ...} or {"ok": false, "error": "...", "exit": 1|2}. Streaming commands
// (logs -f) send more lines before closing. Every later command (start, stop, restart, reload)
// is one more "command" value with its own fields.
#pragma once

#include <boost/json/object.hpp>
#include <filesystem>
#include <string>
#include <string_view>

namespace taskmux::control {

/// Longest request line accepted; longer requests are refused.
inline constexpr size_t max_request = 64 * 1024;

/// <state_dir>/control.sock, unless --socket or $TASKMUX_SOCKET says otherwise.
std::filesystem::path socket_path(const std::filesystem::path& state_dir);

boost::json::object ok(boost::json::value result);
/// The same reply line for a result that is JSON text already.
std::string ok_text(std::string_view result_json);
boost::json::object error(std::string message, int exit_code = 1);

}  // namespace taskmux::control
