#include "config/duration.hpp"

#include <charconv>
#include <cmath>

namespace taskmux::config {
namespace {

std::optional<double> unit_ms(std::string_view unit) {
  if (unit == "ms") return 1.0;
  if (unit == "s") return 1000.0;
  if (unit == "m") return 60'000.0;
  if (unit == "h") return 3'600'000.0;
  return std::nullopt;
}

}  // namespace

std::variant<std::chrono::milliseconds, duration_error> parse_duration_or_error(
    std::string_view text) {
  if (text.empty()) return duration_error::malformed;
  double total = 0;
  while (!text.empty()) {
    double number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc{} || number < 0 || std::isnan(number) || std::isinf(number))
      return duration_error::malformed;
    text.remove_prefix(end - text.data());
    size_t unit_len = 0;
    while (unit_len < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_len]))) ++unit_len;
    auto scale = unit_ms(text.substr(0, unit_len));
    if (!scale) return duration_error::malformed;
    total += number * *scale;
    text.remove_prefix(unit_len);
  }
  // Compared as a double, before llround could overflow.
  if (total > static_cast<double>(max_duration.count())) return duration_error::too_long;
  return std::chrono::milliseconds(std::llround(total));
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto r = parse_duration_or_error(text);
  if (auto* d = std::get_if<std::chrono::milliseconds>(&r)) return *d;
  return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  auto trim = [](double v, const char* unit) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    std::string s = buf;
    if (s.size() > 2 && s.ends_with(".0")) s.resize(s.size() - 2);
    return s + unit;
  };
  if (ms < 1000) return std::to_string(ms) + "ms";
  if (ms < 60'000) return trim(ms / 1000.0, "s");
  if (ms < 3'600'000) return trim(ms / 60'000.0, "m");
  return trim(ms / 3'600'000.0, "h");
}

}  // namespace taskmux::config
