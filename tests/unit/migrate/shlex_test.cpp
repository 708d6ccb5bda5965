// Python's shlex as supervisord uses it: shlex.split for `command` and the KEY="val",KEY2=val
// parser of `environment` (supervisord 4.2/4.3: non-POSIX shlex, quotes stripped from values).
// The expectations are what Python 3.11 and supervisord 4.2.5 return for the same input.
#include <doctest/doctest.h>

#include <string>
#include <variant>
#include <vector>

#include "migrate/shlex.hpp"

namespace {

using namespace taskmux::migrate;

std::vector<std::string> split(std::string_view text) {
  auto r = shlex_split(text_piece(text));
  REQUIRE_MESSAGE(std::holds_alternative<std::vector<pieces>>(r),
                  "error: " << std::get<std::string>(r));
  std::vector<std::string> out;
  for (auto& word : std::get<std::vector<pieces>>(r))
    out.push_back(literal_text(word));
  return out;
}

std::string split_error(std::string_view text) {
  auto r = shlex_split(text_piece(text));
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

std::vector<std::pair<std::string, std::string>> pairs(std::string_view text) {
  auto r = key_value_pairs(text_piece(text));
  REQUIRE_MESSAGE(std::holds_alternative<key_values>(r), "error: " << std::get<std::string>(r));
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& [k, v] : std::get<key_values>(r))
    out.emplace_back(k, literal_text(v));
  return out;
}

using strings = std::vector<std::string>;
using kv = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("shlex: split on whitespace, quotes group, the shell's characters are plain text") {
  CHECK(split("/usr/sbin/nginx -g 'daemon off;'") ==
        strings{"/usr/sbin/nginx", "-g", "daemon off;"});
  CHECK(split("a  \t b\nc") == strings{"a", "b", "c"});
  CHECK(split("echo $HOME > out | x && y # not a comment") ==
        strings{"echo", "$HOME", ">", "out", "|", "x", "&&", "y", "#", "not", "a", "comment"});
  CHECK(split("a'b c'd \"e f\"g") == strings{"ab cd", "e fg"});
  CHECK(split("'' \"\"") == strings{"", ""});
  CHECK(split("").empty());
}

TEST_CASE("shlex: backslash escapes outside quotes, only \\ and \" inside double quotes") {
  CHECK(split(R"(a\ b \'c)") == strings{"a b", "'c"});
  CHECK(split(R"("a\"b" "c\d" "e\\f")") == strings{"a\"b", "c\\d", "e\\f"});
  CHECK(split(R"('no\escape')") == strings{"no\\escape"});
}

TEST_CASE("shlex: an open quote or a trailing backslash is Python's error") {
  CHECK(split_error("echo 'open") == "No closing quotation");
  CHECK(split_error("echo \"open") == "No closing quotation");
  CHECK(split_error("echo \\") == "No escaped character");
}

TEST_CASE("shlex: non-ASCII text is kept as it is") {
  CHECK(split("echo 'héllo wörld' 中文") == strings{"echo", "héllo wörld", "中文"});
}

TEST_CASE("shlex: a run-time reference is part of the word it stands in") {
  pieces value{{piece::kind::text, "--id="},
               {piece::kind::process_num, "%02d", 0},
               {piece::kind::text, " 'x y'"}};
  auto r = shlex_split(value);
  REQUIRE(std::holds_alternative<std::vector<pieces>>(r));
  auto& words = std::get<std::vector<pieces>>(r);
  REQUIRE(words.size() == 2);
  CHECK(words[0] == pieces{{piece::kind::text, "--id="}, {piece::kind::process_num, "%02d", 0}});
  CHECK(literal_text(words[1]) == "x y");
}

TEST_CASE("shlex: environment pairs with quotes and commas") {
  CHECK(pairs(R"(A="x,y",B='it"s',C=plain)") == kv{{"A", "x,y"}, {"B", "it\"s"}, {"C", "plain"}});
  CHECK(pairs("KEY1=\"value1\",KEY2=\"value2\"") == kv{{"KEY1", "value1"}, {"KEY2", "value2"}});
  CHECK(pairs("PATH=/usr/bin:/bin,URL=(a)+b.c-d") ==
        kv{{"PATH", "/usr/bin:/bin"}, {"URL", "(a)+b.c-d"}});
  CHECK(pairs("").empty());
}

TEST_CASE("shlex: environment pairs are separated by any one token, spaces and newlines") {
  CHECK(pairs("A=1 ;B=2") == kv{{"A", "1"}, {"B", "2"}});
  CHECK(pairs("A=1,\nB=2") == kv{{"A", "1"}, {"B", "2"}});
}

TEST_CASE("shlex: a repeated environment name keeps its first place and its last value") {
  CHECK(pairs("A=1,B=2,A=3") == kv{{"A", "3"}, {"B", "2"}});
}

TEST_CASE("shlex: environment values stop at a character that is no word character") {
  // Python: A=x@y tokenizes as A = x @ y, so a pair is missing its '='.
  CHECK(std::holds_alternative<std::string>(key_value_pairs(text_piece("A=x@y"))));
  CHECK(std::holds_alternative<std::string>(key_value_pairs(text_piece("A=1,B"))));
  CHECK(pairs("A=\"x@y\"") == kv{{"A", "x@y"}});
}

TEST_CASE("shlex: '#' starts a comment in environment values, as in Python's shlex") {
  CHECK(pairs("A=1,B=2#,C=3\n,D=4") == kv{{"A", "1"}, {"B", "2"}, {"D", "4"}});
  CHECK(pairs("A=1#c\nmore,B=2") == kv{{"A", "1more"}, {"B", "2"}});  // the word goes on
}

TEST_CASE("shlex: environment values lose every quote at either end, as supervisord strips them") {
  CHECK(pairs(R"(Q='say "hi"')") == kv{{"Q", "say \"hi"}});
  CHECK(pairs(R"(A='"x"')") == kv{{"A", "x"}});
  CHECK(pairs(R"(A="")") == kv{{"A", ""}});
}

TEST_CASE("shlex: a closing quote ends the value; what follows is the separator") {
  CHECK(pairs(R"(A="a"b)") == kv{{"A", "a"}});
  CHECK(pairs(R"(A=x"y z")") == kv{{"A", "x\"y"}});
  CHECK(pairs(R"(A="é",B=é)") == kv{{"A", "é"}, {"B", "é"}});
}
