// Signal names of the config ("TERM", "SIGTERM", "15") and back.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taskmux::config {

std::optional<int> parse_signal(std::string_view);
std::string signal_name(int signo);  ///< "SIGTERM", or "signal 42"

}  // namespace taskmux::config
