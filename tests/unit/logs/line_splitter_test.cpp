// The line splitter: lines across feeds, CR trimming, the max_line cut, binary bytes, finish().
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "logs/line_splitter.hpp"

namespace {

using taskmux::logs::line_splitter;
using lines = std::vector<std::string>;

/// Feeds `chunks` one by one, then finishes; returns every emitted line.
lines split(const std::vector<std::string>& chunks, size_t max_line = 16 * 1024,
            bool finish = true) {
  line_splitter s(max_line);
  lines out;
  auto emit = [&](std::string_view l) { out.emplace_back(l); };
  for (auto& c : chunks)
    s.feed(c, emit);
  if (finish) s.finish(emit);
  return out;
}

}  // namespace

TEST_CASE("line splitter: complete lines in one feed come out one by one") {
  CHECK(split({"a\nbb\n\nccc\n"}) == lines{"a", "bb", "", "ccc"});
}

TEST_CASE("line splitter: a line split across feeds comes out once, whole") {
  CHECK(split({"hel", "lo wo", "rld\nsec", "ond\n"}, 16 * 1024, false) ==
        lines{"hello world", "second"});
}

TEST_CASE("line splitter: a feed of one byte at a time gives the same lines") {
  std::string text = "one\ntwo\r\nthree\n";
  std::vector<std::string> bytes;
  for (char c : text)
    bytes.emplace_back(1, c);
  CHECK(split(bytes) == lines{"one", "two", "three"});
}

TEST_CASE("line splitter: a trailing CR is trimmed, other CRs are kept") {
  CHECK(split({"dos\r\n", "a\rb\r\n", "\r\n"}) == lines{"dos", "a\rb", ""});
  CHECK(split({"split\r", "\n"}) == lines{"split"});
}

TEST_CASE("line splitter: nothing is emitted for a partial line until finish") {
  line_splitter s;
  lines out;
  auto emit = [&](std::string_view l) { out.emplace_back(l); };
  s.feed("no newline yet", emit);
  CHECK(out.empty());
  s.finish(emit);
  CHECK(out == lines{"no newline yet"});
  s.finish(emit);  // nothing left: nothing more
  CHECK(out.size() == 1);
}

TEST_CASE("line splitter: finish emits the partial last line, CR trimmed") {
  CHECK(split({"a\nlast"}) == lines{"a", "last"});
  CHECK(split({"a\nlast\r"}) == lines{"a", "last"});
  CHECK(split({"a\n"}) == lines{"a"});
  CHECK(split({}) == lines{});
}

TEST_CASE(
    "line splitter: a 1 MiB line is cut into max_line pieces whose concatenation is the original") {
  const size_t max_line = 16 * 1024;
  std::string big;
  big.reserve(1 << 20);
  for (size_t i = 0; big.size() < (1u << 20); ++i)
    big += static_cast<char>('a' + i % 26);
  for (size_t chunk :
       {size_t{1} << 20, size_t{64} * 1024, size_t{4096}, size_t{1000}, size_t{16} * 1024 + 1}) {
    CAPTURE(chunk);
    std::string stream = big + "\nnext\n";
    std::vector<std::string> chunks;
    for (size_t at = 0; at < stream.size(); at += chunk)
      chunks.push_back(stream.substr(at, chunk));
    auto out = split(chunks, max_line);
    REQUIRE(out.size() == 64 + 1);
    std::string joined;
    for (size_t i = 0; i + 1 < out.size(); ++i) {
      CHECK(out[i].size() == max_line);
      joined += out[i];
    }
    CHECK(joined == big);
    CHECK(out.back() == "next");
  }
}

TEST_CASE(
    "line splitter: a line of exactly max_line bytes is one line, wherever the feeds split it") {
  std::string line(8, 'x');
  CHECK(split({line + "\n"}, 8) == lines{line});
  CHECK(split({line, "\n"}, 8) == lines{line});
  CHECK(split({"xxx", "xxxxx", "\nz\n"}, 8) == lines{line, "z"});
  CHECK(split({line}, 8) == lines{line});
  // Two max_line pieces, the newline arriving alone.
  CHECK(split({line + line, "\n"}, 8) == lines{line, line});
}

TEST_CASE("line splitter: a line one byte over max_line is cut into max_line and the rest") {
  CHECK(split({"123456789\n"}, 8) == lines{"12345678", "9"});
  CHECK(split({"1234", "56789", "\n"}, 8) == lines{"12345678", "9"});
}

TEST_CASE("line splitter: NUL and invalid UTF-8 bytes pass through untouched") {
  std::string binary("a\0b\xff\xfe\xc0\x80\x1b[31m\x7f", 13);
  auto out = split({binary + "\n", std::string("\0\n", 2)});
  REQUIRE(out.size() == 2);
  CHECK(out[0] == binary);
  CHECK(out[1] == std::string(1, '\0'));
}
