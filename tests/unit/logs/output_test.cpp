// taskmux's own stdout/stderr writer: what it says about lines it had to drop, in each format.
// A pipe that the test leaves unread plays the stalled reader.
#include <doctest/doctest.h>

#include <cctype>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>

#include "logs/output.hpp"

namespace {

using namespace taskmux::logs;
using clock_type = std::chrono::steady_clock;

/// Drops `drops` lines on an output whose reader stalls, then reads until the drop notice
/// arrives; returns that line (without '\n'), or "" when none came within 10 s.
std::string drop_notice(line_format format, int drops) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  ::fcntl(fds[1], F_SETPIPE_SZ, 4096);  // fills after a few dozen lines
  std::string notice;
  {
    output out(fds[1], format, 1024);
    const std::string line = std::string(100, 'x') + "\n";
    int dropped = 0;
    for (int i = 0; i < 100'000 && dropped < drops; ++i)
      if (!out.append(line)) ++dropped;
    REQUIRE(dropped == drops);
    CHECK(out.dropped_lines() == static_cast<uint64_t>(drops));
    std::string got;
    auto deadline = clock_type::now() + std::chrono::seconds(10);
    while (notice.empty() && clock_type::now() < deadline) {
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
      for (size_t end; (end = got.find('\n')) != std::string::npos; got.erase(0, end + 1)) {
        auto l = got.substr(0, end);
        if (l != line.substr(0, 100)) notice = l;
      }
    }
    out.close(clock_type::now() + std::chrono::seconds(2));
  }
  ::close(fds[0]);
  ::close(fds[1]);
  return notice;
}

}  // namespace

/// How many lines were dropped depends on how fast the writer thread ran (slow under TSan):
/// the count is a number, the rest is fixed.
bool is_drop_notice(std::string_view text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  return digits > 0 && text.substr(digits) == " lines of task output dropped: taskmux's output is read too slowly";
}

TEST_CASE("output: in text format, dropped lines are announced as a taskmux line") {
  auto notice = drop_notice({}, 3);
  CHECK_MESSAGE(is_drop_notice(notice, "taskmux | "), notice);
}

TEST_CASE(
    "output: in json format, dropped lines are announced as one JSON object like taskmux's own "
    "lines") {
  line_format json;
  json.format = taskmux::config::log_format::json;
  auto notice = drop_notice(json, 2);
  REQUIRE_FALSE(notice.empty());
  boost::system::error_code ec;
  auto v = boost::json::parse(notice, ec);
  REQUIRE_MESSAGE(!ec, notice);
  REQUIRE(v.is_object());
  auto& o = v.as_object();
  CHECK(o.at("task") == "taskmux");
  CHECK(o.at("level") == "warn");
  CHECK_MESSAGE(is_drop_notice(o.at("line").as_string(), ""), notice);
  CHECK(o.at("ts").as_string().size() == std::string_view("2026-11-22T03:04:05.123Z").size());
}
