#include "logs/level.hpp"

namespace taskmux::logs {

std::string_view to_string(level l) {
  switch (l) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warning:
      return "warning";
    case level::error:
      return "error";
  }
  return "info";
}

std::optional<level> parse(std::string_view text) {
  for (auto l : {level::debug, level::info, level::warning, level::error})
    if (to_string(l) == text) return l;
  return std::nullopt;
}

level level_of(std::string_view word) {
  if (word == "warn") return level::warning;
  if (word == "fault") return level::error;
  return parse(word).value_or(level::info);
}

}  // namespace taskmux::logs
