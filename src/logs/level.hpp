// How important a line of taskmux's own is, and which of them `log_level` lets through.
#pragma once

#include <optional>
#include <string_view>

#include "config/model.hpp"

namespace taskmux::logs {

/// The config's levels (config::log_level), in increasing order.
using level = config::log_level;

/// SPEC's spelling: "debug", "info", "warning", "error".
std::string_view to_string(level);
/// The level that to_string() spells `text`; nothing for any other text.
std::optional<level> parse(std::string_view text);

/// The level of a line logged with `word`, as taskmux's code names them: SPEC's spellings,
/// "warn" (warning) and "fault" (error, a task's fault); any other word is info.
level level_of(std::string_view word);

/// Whether a line logged with `word` is shown under `log_level = threshold`.
inline bool is_shown(std::string_view word, level threshold) {
  return level_of(word) >= threshold;
}

}  // namespace taskmux::logs
