// Duration strings of the config: "250ms", "10s", "5m", "1h", or whole seconds as an integer.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace taskmux::config {

/// The longest duration a config may give: 100 years. steady_clock counts nanoseconds in 64
/// bits (292 years), so now() + max_duration cannot overflow, even with backoff's +20% jitter;
/// 2562048h (2^63 ns) and beyond used to wrap into a timer of a few milliseconds.
inline constexpr std::chrono::milliseconds max_duration = std::chrono::hours(876'000);

enum class duration_error {
  malformed,  ///< not a duration: unknown unit, missing unit, negative, spaces...
  too_long,   ///< well-formed, above max_duration
};

/// Parses "250ms", "1.5s", "10s", "5m", "1h", "1h30m", up to max_duration; or says why not.
std::variant<std::chrono::milliseconds, duration_error> parse_duration_or_error(std::string_view);

/// parse_duration_or_error without the reason.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view);

/// The shortest readable spelling: "400ms", "1.5s", "2m", "1h".
std::string format_duration(std::chrono::milliseconds);

}  // namespace taskmux::config
