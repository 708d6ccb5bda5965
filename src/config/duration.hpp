// Duration strings of the config: "250ms", "10s", "5m", "1h", or whole seconds as an integer.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace taskmux::config {

/// Parses "250ms", "1.5s", "10s", "5m", "1h", "1h30m"; nothing on malformed input or a negative value.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view);

/// The shortest readable spelling: "400ms", "1.5s", "2m", "1h".
std::string format_duration(std::chrono::milliseconds);

}  // namespace taskmux::config
