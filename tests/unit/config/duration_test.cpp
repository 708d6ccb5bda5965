// Duration strings of config.toml: what parse_duration accepts and rejects, and how
// format_duration spells a duration back.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include "config/duration.hpp"

namespace {

using namespace std::chrono_literals;
using taskmux::config::duration_error;
using taskmux::config::format_duration;
using taskmux::config::max_duration;
using taskmux::config::parse_duration;
using taskmux::config::parse_duration_or_error;

std::optional<std::chrono::milliseconds> ms(std::chrono::milliseconds d) {
  return d;
}

}  // namespace

TEST_CASE("duration: \"250ms\" is 250 ms") {
  CHECK(parse_duration("250ms") == ms(250ms));
}

TEST_CASE("duration: \"10s\" is 10 s") {
  CHECK(parse_duration("10s") == ms(10s));
}

TEST_CASE("duration: \"5m\" is 300 s") {
  CHECK(parse_duration("5m") == ms(300s));
}

TEST_CASE("duration: \"1h\" is 3600 s") {
  CHECK(parse_duration("1h") == ms(3600s));
}

TEST_CASE("duration: \"1h30m\" is 5400 s") {
  CHECK(parse_duration("1h30m") == ms(5400s));
}

TEST_CASE("duration: \"1m30s500ms\" adds up every part") {
  CHECK(parse_duration("1m30s500ms") == ms(90'500ms));
}

TEST_CASE("duration: a fraction is allowed: \"1.5s\" is 1500 ms and \"0.5h\" is 30 min") {
  CHECK(parse_duration("1.5s") == ms(1500ms));
  CHECK(parse_duration("0.5h") == ms(30min));
}

TEST_CASE("duration: a fraction of a millisecond is rounded to the nearest millisecond") {
  CHECK(parse_duration("1.4ms") == ms(1ms));
  CHECK(parse_duration("1.6ms") == ms(2ms));
}

TEST_CASE("duration: \"0s\" parses as zero (whether zero is allowed is the key's business)") {
  CHECK(parse_duration("0s") == ms(0ms));
  CHECK(parse_duration("0ms") == ms(0ms));
}

TEST_CASE("duration: an empty string is not a duration") {
  CHECK_FALSE(parse_duration(""));
}

TEST_CASE(
    "duration: a number without a unit is not a duration (whole seconds are a TOML integer)") {
  CHECK_FALSE(parse_duration("10"));
  CHECK_FALSE(parse_duration("1.5"));
  CHECK_FALSE(parse_duration("1h30"));
}

TEST_CASE("duration: a negative duration is rejected") {
  CHECK_FALSE(parse_duration("-5s"));
  CHECK_FALSE(parse_duration("-1ms"));
  CHECK_FALSE(parse_duration("1h-30m"));
}

TEST_CASE("duration: unknown or misspelt units are rejected") {
  CHECK_FALSE(parse_duration("5x"));
  CHECK_FALSE(parse_duration("10sec"));
  CHECK_FALSE(parse_duration("5M"));
  CHECK_FALSE(parse_duration("1d"));
  CHECK_FALSE(parse_duration("2us"));
}

TEST_CASE("duration: a unit without a number is rejected") {
  CHECK_FALSE(parse_duration("s"));
  CHECK_FALSE(parse_duration("ms"));
  CHECK_FALSE(parse_duration("5s m"));
}

TEST_CASE("duration: spaces are not allowed, inside or around") {
  CHECK_FALSE(parse_duration("10 s"));
  CHECK_FALSE(parse_duration(" 10s"));
  CHECK_FALSE(parse_duration("10s "));
  CHECK_FALSE(parse_duration("1h 30m"));
}

TEST_CASE("duration: nan, inf and out-of-range numbers are rejected") {
  CHECK_FALSE(parse_duration("nans"));
  CHECK_FALSE(parse_duration("infs"));
  CHECK_FALSE(parse_duration("1e400s"));
  CHECK_FALSE(parse_duration("1e20h"));
}

TEST_CASE("duration: a value under a second is formatted in milliseconds") {
  CHECK(format_duration(0ms) == "0ms");
  CHECK(format_duration(400ms) == "400ms");
  CHECK(format_duration(999ms) == "999ms");
}

TEST_CASE("duration: whole seconds, minutes and hours are formatted without a fraction") {
  CHECK(format_duration(1s) == "1s");
  CHECK(format_duration(10s) == "10s");
  CHECK(format_duration(2min) == "2m");
  CHECK(format_duration(1h) == "1h");
  CHECK(format_duration(48h) == "48h");
}

TEST_CASE("duration: a value between units keeps one decimal") {
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(90s) == "1.5m");
  CHECK(format_duration(5400s) == "1.5h");
}

TEST_CASE("duration: what format_duration writes, parse_duration reads back to the same value") {
  for (auto d : {0ms, 1ms, 250ms, 999ms, 1000ms, 1500ms, 10'000ms, 59'000ms, 90'000ms, 120'000ms,
                 std::chrono::milliseconds(5400s), std::chrono::milliseconds(1h)}) {
    CAPTURE(d.count());
    CHECK(parse_duration(format_duration(d)) == ms(d));
  }
}

TEST_CASE("duration: the longest duration accepted is 100 years, 876000h") {
  CHECK(max_duration == std::chrono::hours(876'000));
  CHECK(parse_duration("876000h") == ms(max_duration));
  CHECK(parse_duration("875999h59m59s999ms") == ms(max_duration - 1ms));
  CHECK(format_duration(max_duration) == "876000h");
}

TEST_CASE("regression: a duration longer than 100 years is rejected, not wrapped at run time") {
  CHECK_FALSE(parse_duration("876000h1ms"));
  CHECK_FALSE(parse_duration("2562048h"));  // 2^63 ns: wrapped to a 2 ms watchdog
  CHECK_FALSE(parse_duration("1000000000000s"));
  CHECK_FALSE(parse_duration("1e20h"));
}

TEST_CASE("duration: a well-formed duration that is too long is told apart from a malformed one") {
  CHECK(std::get<duration_error>(parse_duration_or_error("2562048h")) == duration_error::too_long);
  CHECK(std::get<duration_error>(parse_duration_or_error("1e20h")) == duration_error::too_long);
  CHECK(std::get<duration_error>(parse_duration_or_error("10 s")) == duration_error::malformed);
  CHECK(std::get<duration_error>(parse_duration_or_error("-5s")) == duration_error::malformed);
  CHECK(std::get<std::chrono::milliseconds>(parse_duration_or_error("1h30m")) == 5400s);
}

TEST_CASE(
    "duration: steady_clock's now() plus the longest duration, and 20% jitter, cannot overflow") {
  using tick = std::chrono::steady_clock::duration;
  // With 146 years of uptime to spare.
  CHECK(tick(max_duration) / 5 * 6 < tick::max() / 2);
}
