// log_level: SPEC's four spellings, and which of taskmux's own lines each one lets through.
#include <doctest/doctest.h>

#include "logs/level.hpp"

using namespace taskmux::logs;

TEST_CASE("log level: each level parses back from its SPEC spelling, nothing else parses") {
  for (auto l : {level::debug, level::info, level::warning, level::error})
    CHECK(parse(to_string(l)) == l);
  CHECK(to_string(level::warning) == "warning");
  for (auto text : {"", "warn", "fault", "INFO", "Error", "trace", "info "}) {
    CAPTURE(text);
    CHECK_FALSE(parse(text));
  }
}

TEST_CASE("log level: the words taskmux logs with map to levels, faults as errors") {
  CHECK(level_of("debug") == level::debug);
  CHECK(level_of("info") == level::info);
  CHECK(level_of("warn") == level::warning);
  CHECK(level_of("warning") == level::warning);
  CHECK(level_of("error") == level::error);
  CHECK(level_of("fault") == level::error);
  CHECK(level_of("something new") == level::info);
}

TEST_CASE("log level: a threshold shows its own level and the ones above it") {
  CHECK(is_shown("info", level::info));
  CHECK_FALSE(is_shown("debug", level::info));
  CHECK_FALSE(is_shown("info", level::warning));
  CHECK(is_shown("warn", level::warning));
  CHECK(is_shown("fault", level::warning));
  CHECK_FALSE(is_shown("warn", level::error));
  CHECK(is_shown("error", level::error));
  CHECK(is_shown("fault", level::error));
  CHECK(is_shown("debug", level::debug));
}
