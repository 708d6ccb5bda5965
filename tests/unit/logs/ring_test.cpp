// The ring of recent lines: last n, the stream filter, overwriting, a line longer than the ring.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "logs/ring.hpp"

namespace {

using taskmux::logs::ring;
using taskmux::logs::stored_line;
using taskmux::logs::stream;

std::vector<std::string> texts(const std::vector<stored_line>& v) {
  std::vector<std::string> out;
  for (auto& l : v)
    out.push_back(l.text);
  return out;
}

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("ring: an empty ring has no lines") {
  ring r;
  CHECK(r.last(10).empty());
  CHECK(r.last(10, stream::err).empty());
}

TEST_CASE("ring: last(n) gives the newest n lines, oldest first") {
  ring r;
  for (int i = 0; i < 10; ++i)
    r.push(stream::out, "line " + std::to_string(i));
  CHECK(texts(r.last(3)) == strings{"line 7", "line 8", "line 9"});
  CHECK(r.last(100).size() == 10);
  CHECK(r.last(0).empty());
}

TEST_CASE("ring: each line keeps its stream, and the filter keeps only one stream") {
  ring r;
  r.push(stream::out, "o1");
  r.push(stream::err, "e1");
  r.push(stream::out, "o2");
  r.push(stream::err, "e2");
  r.push(stream::out, "o3");
  auto all = r.last(10);
  REQUIRE(all.size() == 5);
  CHECK(all[1].from == stream::err);
  CHECK(all[2].from == stream::out);
  CHECK(texts(r.last(10, stream::err)) == strings{"e1", "e2"});
  CHECK(texts(r.last(2, stream::out)) == strings{"o2", "o3"});
  CHECK(texts(r.last(1, stream::err)) == strings{"e2"});
}

TEST_CASE("ring: empty lines and binary bytes are kept") {
  ring r;
  r.push(stream::out, "");
  r.push(stream::out, std::string("a\0b\xff", 4));
  auto v = r.last(10);
  REQUIRE(v.size() == 2);
  CHECK(v[0].text.empty());
  CHECK(v[1].text == std::string("a\0b\xff", 4));
}

TEST_CASE("ring: overwriting drops the oldest lines and keeps the newest whole") {
  ring r(64);
  for (int i = 0; i < 100; ++i)
    r.push(i % 3 ? stream::out : stream::err, "line-" + std::to_string(i));
  auto v = r.last(1000);
  REQUIRE(!v.empty());
  // Records are 1 + text + 1 bytes: 64 bytes hold at most 64 / 9 whole ones.
  CHECK(v.size() <= 64 / 9);
  CHECK(v.back().text == "line-99");
  for (size_t i = 0; i < v.size(); ++i) {
    int n = 100 - static_cast<int>(v.size()) + static_cast<int>(i);
    CAPTURE(i);
    CHECK(v[i].text == "line-" + std::to_string(n));
    CHECK(v[i].from == (n % 3 ? stream::out : stream::err));
  }
}

TEST_CASE("ring: the newest lines survive every wrap position") {
  // A record of every length lands the wrap point everywhere; the newest line is always whole.
  for (size_t len = 0; len < 40; ++len) {
    ring r(32);
    for (int i = 0; i < 20; ++i) {
      std::string text(len % 30, static_cast<char>('a' + i % 26));
      r.push(stream::out, text);
      auto v = r.last(1);
      CAPTURE(len);
      CAPTURE(i);
      REQUIRE(v.size() == 1);
      CHECK(v[0].text == text);
    }
  }
}

TEST_CASE("ring: a ring filled exactly to its end keeps its first line") {
  ring r(12);
  r.push(stream::out, "abcd");  // 6 bytes
  r.push(stream::err, "efgh");  // 6 bytes: the ring is full, nothing overwritten
  CHECK(texts(r.last(10)) == strings{"abcd", "efgh"});
}

TEST_CASE("ring: a line longer than the ring keeps its end") {
  ring r(16);
  r.push(stream::out, "old");
  std::string long_line = "0123456789abcdefghijklmnopqrstuvwxyz";
  r.push(stream::err, long_line);
  auto v = r.last(10);
  REQUIRE(v.size() == 1);
  CHECK(v[0].from == stream::err);
  CHECK(v[0].text == long_line.substr(long_line.size() - 14));  // 16 bytes minus tag and newline
  r.push(stream::out, "new");
  CHECK(texts(r.last(10)).back() == "new");
}

TEST_CASE("ring: a line longer than a fresh ring keeps its end") {
  ring r(8);
  r.push(stream::out, "abcdefghijkl");
  CHECK(texts(r.last(10)) == strings{"ghijkl"});
}

TEST_CASE("ring: last() returns exactly the records wholly within the newest capacity bytes") {
  // Reference model: walk back from the newest record while the records still fit.
  std::mt19937 rng(12345);
  for (size_t capacity : {size_t{7}, size_t{16}, size_t{33}, size_t{100}}) {
    ring r(capacity);
    std::vector<std::string> pushed;
    for (int i = 0; i < 500; ++i) {
      std::string text(rng() % (capacity + 5), static_cast<char>('a' + i % 26));
      if (text.size() + 2 > capacity) text = text.substr(text.size() + 2 - capacity);
      r.push(i % 2 ? stream::err : stream::out, text);
      pushed.push_back(text);
      strings want;
      size_t used = 0;
      for (auto it = pushed.rbegin(); it != pushed.rend() && used + it->size() + 2 <= capacity;
           ++it) {
        used += it->size() + 2;
        want.insert(want.begin(), *it);
      }
      CAPTURE(capacity);
      CAPTURE(i);
      REQUIRE(texts(r.last(static_cast<size_t>(-1))) == want);
    }
  }
}
