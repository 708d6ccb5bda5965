// supervisord.conf read as supervisord's RawConfigParser reads it: sections, both delimiters,
// comments, continuation lines, merged sections, [DEFAULT], errors with FILE:LINE, and the
// files of [include] (in a temporary directory).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <variant>

#include "migrate/ini.hpp"

namespace {

using namespace taskmux::migrate;
namespace fs = std::filesystem;

ini_document parsed(std::string_view text) {
  ini_document doc;
  auto errors = parse_ini(text, "/etc/supervisord.conf", doc);
  std::string shown;
  for (auto& e : errors)
    shown += e.to_string() + "\n";
  REQUIRE_MESSAGE(errors.empty(), shown);
  return doc;
}

/// The value of section.key, or "<none>".
std::string value(const ini_document& doc, std::string_view section, std::string_view key) {
  auto* s = doc.find(section);
  if (!s) return "<no section>";
  auto* v = doc.get(*s, key);
  return v ? v->text : "<none>";
}

std::vector<ini_note> errors_of(std::string_view text) {
  ini_document doc;
  return parse_ini(text, "/etc/supervisord.conf", doc);
}

host_facts fake_host() {
  return {[](const std::string& name) -> std::optional<std::string> {
            if (name == "CONF_DIR") return "conf.d";
            return std::nullopt;
          },
          "box"};
}

/// A fresh directory under the system's temporary directory, removed at the end of the test.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("taskmux-ini-test-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  std::string write(const std::string& name, std::string_view text) const {
    auto file = path / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }
};

}  // namespace

TEST_CASE("ini: sections, keys with = or :, spaces around, keys lower-cased") {
  auto doc = parsed(
      "[supervisord]\nnodaemon=true\n\n[program:web]\nCommand : /bin/app --x=1\n"
      "user =  www-data  \n");
  REQUIRE(doc.sections.size() == 2);
  CHECK(doc.sections[1].name == "program:web");
  CHECK(value(doc, "program:web", "command") == "/bin/app --x=1");
  CHECK(value(doc, "program:web", "user") == "www-data");
  CHECK(doc.sections[1].find("command")->where.line == 5);
}

TEST_CASE("ini: the first '=' or ':' ends the key") {
  auto doc = parsed("[x]\nurl: http://a:b@host/=x\nk=v:w\n");
  CHECK(value(doc, "x", "url") == "http://a:b@host/=x");
  CHECK(value(doc, "x", "k") == "v:w");
}

TEST_CASE("ini: full-line comments with ; or #, indented or not") {
  auto doc = parsed("; top\n# top\n[x]\n  ; indented\na = 1\n    # indented\nb = 2\n");
  CHECK(value(doc, "x", "a") == "1");
  CHECK(value(doc, "x", "b") == "2");
}

TEST_CASE("ini: inline comments start at ; or # after whitespace only") {
  auto doc = parsed(
      "[x]\na = 1 ; comment\nb = 1;not\nc = x #comment\nd = x#not\n"
      "e = /usr/sbin/nginx -g 'daemon off;'\nf = bash -c 'foo ; bar'\n");
  CHECK(value(doc, "x", "a") == "1");
  CHECK(value(doc, "x", "b") == "1;not");
  CHECK(value(doc, "x", "c") == "x");
  CHECK(value(doc, "x", "d") == "x#not");
  CHECK(value(doc, "x", "e") == "/usr/sbin/nginx -g 'daemon off;'");
  CHECK(value(doc, "x", "f") == "bash -c 'foo");  // supervisord's documented pitfall
}

TEST_CASE("ini: inline comment prefixes are looked for in rounds, as configparser does") {
  // The first ';' is no comment, the '#' is, and it is found before the second ';'.
  CHECK(value(parsed("[x]\nk = a;b ;c #d\n"), "x", "k") == "a;b ;c");
}

TEST_CASE("ini: indented lines continue a value; blank lines inside it are kept") {
  auto doc = parsed("[x]\nenvironment = A=1,\n  B=2,\n\n  C=3\nnext = y\n  more\n\n\n[y]\n");
  CHECK(value(doc, "x", "environment") == "A=1,\nB=2,\n\nC=3");
  CHECK(value(doc, "x", "next") == "y\nmore");
}

TEST_CASE("ini: a comment line inside a value is skipped, not kept as a blank line") {
  CHECK(value(parsed("[x]\nk = a\n  ; note\n  b\n"), "x", "k") == "a\nb");
}

TEST_CASE("ini: an indented key after a key is a continuation line, as in configparser") {
  CHECK(value(parsed("[x]\ncommand = app\n  user = www-data\n"), "x", "command") ==
        "app\nuser = www-data");
}

TEST_CASE("ini: a line indented no deeper than its key's starts a new key") {
  auto doc = parsed("[x]\n  a = 1\n  b = 2\n");
  CHECK(value(doc, "x", "a") == "1");
  CHECK(value(doc, "x", "b") == "2");
}

TEST_CASE("ini: a section seen again gets more keys, and a key set again is replaced") {
  auto doc = parsed("[x]\na = 1\nb = 1\n[y]\n[x]\na = 2\nc = 3\n");
  REQUIRE(doc.sections.size() == 2);
  CHECK(value(doc, "x", "a") == "2");
  CHECK(doc.find("x")->find("a")->where.line == 6);
  CHECK(value(doc, "x", "b") == "1");
  CHECK(value(doc, "x", "c") == "3");
}

TEST_CASE("ini: [DEFAULT] keys are the fallback of every section") {
  auto doc = parsed(
      "[DEFAULT]\nautorestart = true\n[program:a]\ncommand = x\n"
      "[program:b]\nautorestart = false\n");
  CHECK(doc.sections.size() == 2);
  CHECK(value(doc, "program:a", "autorestart") == "true");
  CHECK(value(doc, "program:b", "autorestart") == "false");
}

TEST_CASE("ini: Windows and old Mac line ends, and a BOM") {
  auto doc = parsed("\xEF\xBB\xBF[x]\r\na = 1\r\nb = 2\rc = 3");
  CHECK(value(doc, "x", "a") == "1");
  CHECK(value(doc, "x", "b") == "2");
  CHECK(value(doc, "x", "c") == "3");
}

TEST_CASE("ini: errors name the file and the line") {
  auto e = errors_of("a = 1\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].to_string() == "/etc/supervisord.conf:1: a key before any [section] header");
  e = errors_of("[x]\na = 1\njust words\n= no key\n");
  REQUIRE(e.size() == 2);
  CHECK(e[0].where.line == 3);
  CHECK(e[0].message.find("just words") != std::string::npos);
  CHECK(e[1].where.line == 4);
  for (auto bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"})
    CHECK_MESSAGE(errors_of(std::string("[x]\na = ") + bad + "\n").size() == 1, bad);
  CHECK(errors_of("[x]\na = h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x9a\x80\n").empty());
  e = errors_of("[x]\na = \xff\xfe\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].to_string() ==
        "/etc/supervisord.conf:2: not valid UTF-8 (supervisord reads its files as UTF-8)");
}

TEST_CASE("ini: a file that cannot be read is an error naming it") {
  auto r = read_supervisord_conf("/nonexistent/supervisord.conf", fake_host());
  REQUIRE(std::holds_alternative<std::vector<ini_note>>(r));
  CHECK(std::get<std::vector<ini_note>>(r)[0].to_string() ==
        "/nonexistent/supervisord.conf: unable to read: No such file or directory");
}

TEST_CASE(
    "ini: [include] reads the files its globs match, relative to the including file, sorted") {
  temp_dir dir;
  auto main = dir.write("supervisord.conf",
                        "[supervisord]\n[include]\nfiles = conf.d/*.conf %(here)s/extra.ini "
                        "%(ENV_CONF_DIR)s/b?.conf missing/*.conf\n");
  dir.write("conf.d/b.conf", "[program:b]\ncommand = b\n");
  dir.write("conf.d/a.conf", "[program:a]\ncommand = a\n[supervisord]\nloglevel = debug\n");
  dir.write("conf.d/b1.conf", "[program:b1]\ncommand = b1 %(here)s\n");
  dir.write("conf.d/.hidden.conf", "[program:hidden]\ncommand = h\n");
  dir.write("conf.d/skip.txt", "[program:txt]\ncommand = t\n");
  dir.write("extra.ini", "[program:extra]\ncommand = e\n");
  auto r = read_supervisord_conf(main, fake_host());
  REQUIRE(std::holds_alternative<ini_document>(r));
  auto& doc = std::get<ini_document>(r);
  std::vector<std::string> names;
  for (auto& s : doc.sections)
    names.push_back(s.name);
  // conf.d/*.conf sorted (a, b, b1 — not the hidden one), then extra.ini, then b1 again.
  CHECK(names == std::vector<std::string>{"supervisord", "include", "program:a", "program:b",
                                          "program:b1", "program:extra"});
  CHECK(value(doc, "supervisord", "loglevel") == "debug");
  CHECK(doc.find("program:b1")->find("command")->where.file ==
        (dir.path / "conf.d/b1.conf").string());
  CHECK(doc.find("program:b1")->find("command")->where.here() == (dir.path / "conf.d").string());
  REQUIRE(doc.notes.size() == 1);
  CHECK(doc.notes[0].message ==
        "no file matches \"" + (dir.path / "missing/*.conf").string() + "\"");
  CHECK(doc.notes[0].where.line == 3);
}

TEST_CASE("ini: an [include] inside an included file is not followed, as in supervisord") {
  temp_dir dir;
  auto main = dir.write("supervisord.conf", "[include]\nfiles = a.conf\n");
  dir.write("a.conf", "[program:a]\ncommand = a\n[include]\nfiles = b.conf\n");
  dir.write("b.conf", "[program:b]\ncommand = b\n");
  auto r = read_supervisord_conf(main, fake_host());
  REQUIRE(std::holds_alternative<ini_document>(r));
  auto& doc = std::get<ini_document>(r);
  CHECK(doc.find("program:a"));
  CHECK_FALSE(doc.find("program:b"));
  CHECK(value(doc, "include", "files") == "a.conf");
  REQUIRE(doc.notes.size() == 1);
  CHECK(doc.notes[0].where.to_string() == (dir.path / "a.conf").string() + ":3");
}

TEST_CASE("ini: errors in an included file name that file and line") {
  temp_dir dir;
  auto main = dir.write("supervisord.conf", "[include]\nfiles = bad.conf\n");
  dir.write("bad.conf", "[program:a]\ncommand = a\noops\n");
  auto r = read_supervisord_conf(main, fake_host());
  REQUIRE(std::holds_alternative<std::vector<ini_note>>(r));
  CHECK(std::get<std::vector<ini_note>>(r)[0].where.to_string() ==
        (dir.path / "bad.conf").string() + ":3");
}

TEST_CASE("ini: [include] without files, or with a name it cannot expand, is an error") {
  temp_dir dir;
  auto main = dir.write("supervisord.conf", "[include]\n");
  auto r = read_supervisord_conf(main, fake_host());
  REQUIRE(std::holds_alternative<std::vector<ini_note>>(r));
  CHECK(std::get<std::vector<ini_note>>(r)[0].where.line == 1);
  main = dir.write("supervisord.conf", "[include]\nfiles = %(ENV_UNSET)s/*.conf\n");
  r = read_supervisord_conf(main, fake_host());
  REQUIRE(std::holds_alternative<std::vector<ini_note>>(r));
  CHECK(std::get<std::vector<ini_note>>(r)[0].where.line == 2);
}
