// How a line looks on taskmux's output: the text prefix, the JSON object, JSON escaping.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <string>

#include "logs/format.hpp"

namespace {

using namespace taskmux::logs;
namespace json = boost::json;

const std::string replacement = "\xef\xbf\xbd";  // U+FFFD

line_format json_format() {
  line_format f;
  f.format = taskmux::config::log_format::json;
  return f;
}

std::string escaped(std::string_view s) {
  std::string out;
  append_json_escaped(out, s);
  return out;
}

/// Parses `"<escaped s>"` strictly (Boost.JSON rejects invalid UTF-8) and returns the string.
std::string round_trip(std::string_view s) {
  auto v = json::parse("\"" + escaped(s) + "\"");
  return std::string(v.as_string());
}

}  // namespace

TEST_CASE("format: a text line is the label, \" | \", the line and a newline, nothing else") {
  line_format f;
  std::string out;
  f.task_line(out, "web", 0, "web[0]", stream::out, "hello world");
  CHECK(out == "web[0] | hello world\n");
  f.task_line(out, "web", 1, "web[1]", stream::err, "oops");
  CHECK(out == "web[0] | hello world\nweb[1] | oops\n");
}

TEST_CASE("format: a text line passes its bytes through as they are") {
  line_format f;
  std::string out;
  std::string raw("\x1b[31mred\x1b[0m \xff\0", 15);
  f.task_line(out, "web", 0, "web[0]", stream::out, raw);
  CHECK(out == "web[0] | " + raw + "\n");
}

TEST_CASE("format: taskmux's own text line is prefixed taskmux") {
  line_format f;
  std::string out;
  f.own_line(out, "info", "ready");
  CHECK(out == "taskmux | ready\n");
}

TEST_CASE("format: log_timestamps puts the UTC time before taskmux's own text lines, not task lines") {
  line_format f;
  f.timestamps = true;
  std::string out;
  f.own_line(out, "info", "ready");
  REQUIRE(out.size() == 24 + 1 + 16);
  CHECK(out[10] == 'T');
  CHECK(out[23] == 'Z');
  CHECK(out.substr(24) == " taskmux | ready\n");
  out.clear();
  f.task_line(out, "web", 0, "web[0]", stream::out, "hello");
  CHECK(out == "web[0] | hello\n");
}

TEST_CASE("format: a JSON task line is one valid object with ts, task, instance, stream and line") {
  auto f = json_format();
  std::string out;
  f.task_line(out, "web", 3, "web[3]", stream::err, "hello \"there\"");
  REQUIRE(!out.empty());
  CHECK(out.back() == '\n');
  CHECK(out.find('\n') == out.size() - 1);
  auto v = json::parse(std::string_view(out).substr(0, out.size() - 1));
  auto& o = v.as_object();
  CHECK(o.at("task").as_string() == "web");
  CHECK(o.at("instance").as_int64() == 3);
  CHECK(o.at("stream").as_string() == "stderr");
  CHECK(o.at("line").as_string() == "hello \"there\"");
  auto ts = std::string(o.at("ts").as_string());
  CHECK(ts.size() == 24);
  CHECK(ts.back() == 'Z');
  CHECK(ts[10] == 'T');

  out.clear();
  f.task_line(out, "db", 0, "db[0]", stream::out, "x");
  CHECK(json::parse(out).at("stream").as_string() == "stdout");
}

TEST_CASE(
    "format: a JSON line with control characters and invalid UTF-8 still parses, with U+FFFD") {
  auto f = json_format();
  std::string out;
  std::string nasty("tab\there\rnul\0esc\x1b bad\xff\xfe end\\", 28);
  f.task_line(out, "web", 0, "web[0]", stream::out, nasty);
  CHECK(out.find('\n') == out.size() - 1);
  auto v = json::parse(out);
  CHECK(v.at("line").as_string() ==
        std::string("tab\there\rnul\0esc\x1b bad", 21) + replacement + replacement + " end\\");
}

TEST_CASE("format: taskmux's own JSON line is a valid object") {
  auto f = json_format();
  std::string out;
  f.own_line(out, "fault", "unable to start web[0]: \"x\"\n");
  auto v = json::parse(out);
  CHECK(v.at("task").as_string() == "taskmux");
  CHECK(v.at("level").as_string() == "fault");
  CHECK(v.at("line").as_string() == "unable to start web[0]: \"x\"\n");
}

TEST_CASE("format: JSON escaping writes quotes, backslashes and control characters as escapes") {
  CHECK(escaped("plain text") == "plain text");
  CHECK(escaped("\"q\" \\b") == "\\\"q\\\" \\\\b");
  CHECK(escaped("\n\r\t") == "\\n\\r\\t");
  CHECK(escaped(std::string("\0\x01\x1f", 3)) == "\\u0000\\u0001\\u001f");
  CHECK(round_trip("\x7f") == "\x7f");  // DEL needs no escape in JSON
  for (int c = 0; c < 0x20; ++c) {
    CAPTURE(c);
    std::string one(1, static_cast<char>(c));
    CHECK(round_trip(one) == one);
  }
}

TEST_CASE("format: JSON escaping keeps valid UTF-8 as it is") {
  std::string text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf";
  CHECK(escaped(text) == text);
  CHECK(round_trip(text) == text);
}

TEST_CASE("format: JSON escaping replaces each invalid UTF-8 byte with U+FFFD") {
  CHECK(escaped("a\xff"
                "b") == "a" + replacement + "b");
  CHECK(escaped("\x80") == replacement);         // lone continuation byte
  CHECK(escaped("\xc3") == replacement);         // truncated at the end
  CHECK(escaped("\xc3(") == replacement + "(");  // bad continuation
  CHECK(escaped("\xf8\x88\x80\x80\x80") ==
        replacement + replacement + replacement + replacement + replacement);
}

TEST_CASE(
    "format: JSON escaping refuses overlong forms, surrogates and code points above U+10FFFF") {
  const char* invalid[] = {
      "\xc0\xaf",          // overlong '/'
      "\xc1\xbf",          // overlong
      "\xe0\x80\xaf",      // overlong 3 bytes
      "\xf0\x80\x80\xaf",  // overlong 4 bytes
      "\xed\xa0\x80",      // UTF-16 surrogate D800
      "\xed\xbf\xbf",      // surrogate DFFF
      "\xf4\x90\x80\x80",  // 110000
      "\xf5\x80\x80\x80",  // lead byte beyond U+10FFFF
  };
  for (size_t i = 0; i < std::size(invalid); ++i) {
    CAPTURE(i);
    std::string_view s = invalid[i];
    auto e = escaped(s);
    CHECK(e.find(replacement) == 0);
    // Strict parsers must accept the result.
    boost::system::error_code ec;
    json::parse("\"" + e + "\"", ec);
    CHECK_FALSE(ec);
  }
}

TEST_CASE("format: the ISO timestamp has milliseconds and a Z") {
  using namespace std::chrono;
  auto t = system_clock::time_point{} + seconds(1'795'316'645) + milliseconds(123);
  CHECK(iso_timestamp(t) == "2026-11-22T03:04:05.123Z");
  CHECK(iso_timestamp(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  CHECK(iso_timestamp(sys_days{2024y / February / 29} + 23h + 59min + 59s + 999ms) == "2024-02-29T23:59:59.999Z");
}
