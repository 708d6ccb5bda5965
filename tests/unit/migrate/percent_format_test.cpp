// supervisord's %(name)s expansions (Python's `text % dict`): names, formats, %%, errors, and
// the references that stay for taskmux to resolve at run time.
#include <doctest/doctest.h>

#include <string>
#include <variant>

#include "migrate/percent_format.hpp"

namespace {

using namespace taskmux::migrate;

/// program_name=web, here=/etc/supervisor, numprocs=3 (an integer), process_num from 5,
/// ENV_HOME=the variable HOME (known at run time), ENV_BOTH=text around a run-time HOME.
std::optional<binding> names(std::string_view name) {
  if (name == "program_name") return text_piece("web");
  if (name == "here") return text_piece("/etc/supervisor");
  if (name == "numprocs") return 3L;
  if (name == "process_num") return process_number{5};
  if (name == "ENV_HOME") return pieces{{piece::kind::env, "HOME"}};
  if (name == "ENV_BOTH")
    return pieces{{piece::kind::text, "<"}, {piece::kind::env, "HOME"}, {piece::kind::text, ">"}};
  return std::nullopt;
}

pieces expanded(std::string_view text) {
  auto r = expand_percent(text, names);
  REQUIRE_MESSAGE(std::holds_alternative<pieces>(r), "error: " << std::get<std::string>(r));
  return std::get<pieces>(r);
}

std::string text_of(std::string_view text) {
  auto p = expanded(text);
  REQUIRE(is_literal(p));
  return literal_text(p);
}

std::string failure(std::string_view text) {
  auto r = expand_percent(text, names);
  REQUIRE_MESSAGE(std::holds_alternative<std::string>(r), "expanded without an error");
  return std::get<std::string>(r);
}

}  // namespace

TEST_CASE("percent: text without % is unchanged, and %% is a literal %") {
  CHECK(text_of("/usr/bin/app --flag") == "/usr/bin/app --flag");
  CHECK(text_of("50%% of %%(here)s") == "50% of %(here)s");
}

TEST_CASE("percent: %(name)s is replaced by the name's text") {
  CHECK(text_of("%(here)s/app.ini") == "/etc/supervisor/app.ini");
  CHECK(text_of("[%(program_name)s]") == "[web]");
}

TEST_CASE("percent: integers take Python's formats: width, zero padding, left alignment, hex") {
  CHECK(text_of("%(numprocs)d") == "3");
  CHECK(text_of("%(numprocs)s") == "3");
  CHECK(text_of("%(numprocs)03d") == "003");
  CHECK(text_of("[%(numprocs)-3d]") == "[3  ]");
  CHECK(text_of("%(numprocs)x") == "3");
  CHECK(text_of("%(numprocs)+d") == "+3");
}

TEST_CASE("percent: strings are padded and cut by code points, as Python does") {
  CHECK(text_of("[%(program_name)5s]") == "[  web]");
  CHECK(text_of("[%(program_name)-5s]") == "[web  ]");
  CHECK(text_of("[%(program_name).2s]") == "[we]");
}

TEST_CASE("percent: the process number stays a reference, with its printf format and offset") {
  auto p = expanded("--port=80%(process_num)02d");
  REQUIRE(p.size() == 2);
  CHECK(p[0] == piece{piece::kind::text, "--port=80"});
  CHECK(p[1] == piece{piece::kind::process_num, "%02d", 5});
  CHECK(expanded("%(process_num)s") == pieces{{piece::kind::process_num, "", 5}});
  CHECK(expanded("%(process_num)d") == pieces{{piece::kind::process_num, "", 5}});
  CHECK(expanded("%(process_num)x") == pieces{{piece::kind::process_num, "%x", 5}});
}

TEST_CASE("percent: an environment variable stays a reference, also inside another value") {
  CHECK(expanded("%(ENV_HOME)s/data") ==
        pieces{{piece::kind::env, "HOME"}, {piece::kind::text, "/data"}});
  CHECK(expanded("x%(ENV_BOTH)sy") ==
        pieces{{piece::kind::text, "x<"}, {piece::kind::env, "HOME"}, {piece::kind::text, ">y"}});
}

TEST_CASE("percent: what Python refuses, or taskmux cannot do, is an error that says why") {
  CHECK(failure("50%").find("%%") != std::string::npos);
  CHECK(failure("%s").find("%%") != std::string::npos);
  CHECK(failure("%(unknown)s").find("unknown") != std::string::npos);
  CHECK(failure("%(here)d") == "%d format: a real number is required, not str");
  CHECK(failure("%(here").find("incomplete format key") != std::string::npos);
  CHECK(failure("%(here)").find("incomplete format") != std::string::npos);
  CHECK(failure("%(here)q").find("unsupported format character 'q'") != std::string::npos);
  CHECK(failure("%(ENV_HOME)10s").find("cannot be padded") != std::string::npos);
}

TEST_CASE("percent: Python allows balanced parentheses inside the name") {
  auto lookup = [](std::string_view name) -> std::optional<binding> {
    if (name == "a(b)c") return text_piece("ok");
    return std::nullopt;
  };
  auto r = expand_percent("%(a(b)c)s", lookup);
  REQUIRE(std::holds_alternative<pieces>(r));
  CHECK(literal_text(std::get<pieces>(r)) == "ok");
}
