// What a supervisord setting without a taskmux key did, and what taskmux does instead: the
// text of the comments the conversion leaves in config.toml.
#pragma once

#include <string>
#include <string_view>

#include "migrate/programs.hpp"

namespace taskmux::migrate {

struct explanation {
  std::string text;
  bool differs = true;  ///< false: taskmux does the same without a key of its own
};

/// A key of a program section that maps to no taskmux key (`task` is the task's name).
explanation explain_program_key(const program& p, const setting& s, std::string_view task);

/// A key of [supervisord].
explanation explain_supervisord_key(std::string_view key, std::string_view value);

/// A key of [unix_http_server], [inet_http_server], [supervisorctl] or [rpcinterface:x].
explanation explain_server_key(std::string_view section, std::string_view key,
                               std::string_view value);

/// What a section that becomes no task or table was for: [unix_http_server], [group:x], ...
/// Empty for the sections that are converted ([supervisord], programs).
std::string explain_section(std::string_view section);

}  // namespace taskmux::migrate
