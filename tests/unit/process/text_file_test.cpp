// The pid lists of /proc/PID/task/TID/children and cgroup.procs.
#include <doctest/doctest.h>

#include <vector>

#include "process/text_file.hpp"

using taskmux::process::parse_pids;

TEST_CASE("parse_pids: children (space-separated, trailing space) and cgroup.procs (one per line)") {
  CHECK(parse_pids("12 13 ") == std::vector<pid_t>{12, 13});
  CHECK(parse_pids("7\n8\n9\n") == std::vector<pid_t>{7, 8, 9});
  CHECK(parse_pids("").empty());
  CHECK(parse_pids("\n").empty());
}

TEST_CASE("parse_pids: stops at anything that is not a number") {
  CHECK(parse_pids("5 6 x 7") == std::vector<pid_t>{5, 6});
}
