// The text pieces of the conversion: TOML strings read back exactly by a TOML parser, strings
// that taskmux's ${VAR} expansion turns back into the literal text, shell words, comments.
#include <doctest/doctest.h>

#include <toml++/toml.h>
#include <string>
#include <variant>

#include "config/expand.hpp"
#include "migrate/toml_text.hpp"

namespace {

using namespace taskmux::migrate;

std::string toml_read_back(const std::string& value_text) {
  auto doc = "k = " + value_text + "\n";
  auto table = toml::parse(std::string_view{doc}, std::string_view{"test.toml"});
  return table["k"].value<std::string>().value();
}

/// What taskmux makes of a config string at load, with HOME=/home/app and nothing else set.
std::string loaded(const std::string& text) {
  auto r = taskmux::config::expand(text, [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return "/home/app";
    return std::nullopt;
  });
  REQUIRE_MESSAGE(std::holds_alternative<std::string>(r), "expand failed on " << text);
  return std::get<std::string>(r);
}

}  // namespace

TEST_CASE("toml_text: every string survives a TOML parser, whatever it holds") {
  for (std::string s : {"", "plain", "a\"b", "a'b", "'''", "\"\"\"", "back\\slash", "\\u0041",
                        "tab\there", "new\nline", "\nleading newline", "cr\r", "bell\x07",
                        "del\x7f", "héllo wörld 中文 🚀", "#not a comment", "${X} $$ %%"})
    CHECK(toml_read_back(toml_string(s)) == s);
}

TEST_CASE("toml_text: keys are bare when TOML allows, quoted otherwise") {
  CHECK(toml_key("PATH") == "PATH");
  CHECK(toml_key("my-var_2") == "my-var_2");
  CHECK(toml_key("A.B") == "\"A.B\"");
  CHECK(toml_key("é") == "\"é\"");
  CHECK(toml_array({"a", "b\"c"}) == "[\"a\", \"b\\\"c\"]");
}

TEST_CASE("toml_text: literal text comes back unchanged from taskmux's ${VAR} expansion") {
  // Every string of up to 5 characters over '$', '{', '}', 'a'.
  const std::string alphabet = "${}a";
  std::vector<std::string> all{""};
  for (int len = 1; len <= 5; ++len) {
    std::vector<std::string> longer;
    for (auto& s : all)
      if (static_cast<int>(s.size()) == len - 1)
        for (char c : alphabet)
          longer.push_back(s + c);
    all.insert(all.end(), longer.begin(), longer.end());
  }
  for (auto& s : all)
    CHECK_MESSAGE(loaded(load_time_text(text_piece(s))) == s, s);
}

TEST_CASE("toml_text: a '$' is doubled only where taskmux would read it as $$ or ${") {
  CHECK(load_time_text(text_piece("$HOME")) == "$HOME");
  CHECK(load_time_text(text_piece("${HOME}")) == "$${HOME}");
  CHECK(load_time_text(text_piece("$$")) == "$$$");
  CHECK(load_time_text(text_piece("cost: 5$")) == "cost: 5$");
}

TEST_CASE("toml_text: %(ENV_X)s becomes ${X}, and a '$' just before it is kept literal") {
  pieces v{{piece::kind::text, "$"}, {piece::kind::env, "HOME"}, {piece::kind::text, "/x"}};
  CHECK(load_time_text(v) == "$$${HOME}/x");
  CHECK(loaded(load_time_text(v)) == "$/home/app/x");
}

TEST_CASE("toml_text: shell words quote what the shell would change") {
  CHECK(shell_word(text_piece("/usr/bin/app")) == "/usr/bin/app");
  CHECK(shell_word(text_piece("--port=8000")) == "--port=8000");
  CHECK(shell_word(text_piece("a b")) == "'a b'");
  CHECK(shell_word(text_piece("it's $HOME")) == "'it'\\''s $HOME'");
  CHECK(shell_word({}) == "''");
  CHECK(shell_word({{piece::kind::env, "HOME"}}) == "\"$HOME\"");
}

TEST_CASE("toml_text: the process number in a shell word, with its offset and format") {
  CHECK(shell_word({{piece::kind::process_num, "", 0}}) == "\"$TASK_INSTANCE\"");
  CHECK(shell_word({{piece::kind::process_num, "", 5}}) == "\"$((TASK_INSTANCE + 5))\"");
  CHECK(shell_word({{piece::kind::process_num, "", -2}}) == "\"$((TASK_INSTANCE - 2))\"");
  CHECK(shell_word({{piece::kind::text, "--port=80"}, {piece::kind::process_num, "%02d", 0}}) ==
        "--port=80\"$(printf '%02d' \"$TASK_INSTANCE\")\"");
}

TEST_CASE("toml_text: shell text escaped for the load stays the same shell text") {
  for (std::string s : {"exec app \"$TASK_INSTANCE\"", "exec app '${HOME}' '$$'", "echo $$"})
    CHECK(loaded(escape_for_load(s)) == s);
}

TEST_CASE("toml_text: comments are wrapped, and control characters never reach them") {
  auto c = comment_lines("key = a\nb\tc\x01");
  CHECK(c == "# key = a\\nb\\tc\\x01\n");
  std::string long_text(30, 'w');
  auto wrapped = comment_lines(long_text + " " + long_text + " " + long_text + " " + long_text);
  CHECK(wrapped.find("\n#  ") != std::string::npos);
  for (size_t begin = 0, end; (end = wrapped.find('\n', begin)) != std::string::npos;
       begin = end + 1)
    CHECK(end - begin <= 100);
}
