// The programs of a supervisord.conf as supervisord reads them: defaults, typed values,
// expansions per program and per process, groups, and the errors supervisord itself raises.
#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <variant>

#include "migrate/programs.hpp"

namespace {

using namespace taskmux::migrate;

host_facts fake_host() {
  return {[](const std::string& name) -> std::optional<std::string> {
            if (name == "WORKERS") return "4";
            if (name == "OPTS") return "-a -b";
            return std::nullopt;
          },
          "box"};
}

supervisord_conf read(std::string_view text) {
  ini_document doc;
  auto parse_errors = parse_ini(text, "/etc/supervisor/supervisord.conf", doc);
  REQUIRE(parse_errors.empty());
  auto r = read_programs("/etc/supervisor/supervisord.conf", doc, fake_host());
  std::string shown;
  if (auto* e = std::get_if<std::vector<ini_note>>(&r))
    for (auto& n : *e)
      shown += n.to_string() + "\n";
  REQUIRE_MESSAGE(std::holds_alternative<supervisord_conf>(r), shown);
  return std::get<supervisord_conf>(r);
}

/// The first error reading `text`, as "LINE: message".
std::string error_of(std::string_view text) {
  ini_document doc;
  REQUIRE(parse_ini(text, "/etc/supervisor/supervisord.conf", doc).empty());
  auto r = read_programs("/etc/supervisor/supervisord.conf", doc, fake_host());
  REQUIRE(std::holds_alternative<std::vector<ini_note>>(r));
  auto& e = std::get<std::vector<ini_note>>(r)[0];
  return std::to_string(e.where.line) + ": " + e.message;
}

std::vector<std::string> argv_text(const program& p) {
  std::vector<std::string> out;
  for (auto& a : p.command)
    out.push_back(literal_text(a));
  return out;
}

std::string env_text(const program& p, const std::string& key) {
  for (auto& [k, v] : p.environment)
    if (k == key) return literal_text(v);
  return "<unset>";
}

}  // namespace

TEST_CASE("programs: supervisord's defaults when a key is not written") {
  auto conf = read("[program:web]\ncommand = /bin/app\n");
  REQUIRE(conf.programs.size() == 1);
  auto& p = conf.programs[0];
  CHECK(p.name == "web");
  CHECK(p.numprocs == 1);
  CHECK(p.priority == 999);
  CHECK(p.autostart);
  CHECK(p.autorestart == autorestart::unexpected);
  CHECK(p.exitcodes == std::vector<long>{0});
  CHECK(p.startsecs == 1);
  CHECK(p.startretries == 3);
  CHECK(p.stopsignal == SIGTERM);
  CHECK(p.stopwaitsecs == 10);
  CHECK_FALSE(p.stopasgroup);
  CHECK_FALSE(p.user);
  CHECK_FALSE(p.directory);
}

TEST_CASE("programs: typed values as supervisord reads them") {
  auto conf = read(
      "[program:web]\ncommand = /bin/app\nautostart = No\nautorestart = TRUE\n"
      "exitcodes = 0,2\nstartsecs = 0\nstartretries = 1_0\nstopsignal = quit\n"
      "stopwaitsecs = 30\nstopasgroup = on\npriority = -5\n");
  auto& p = conf.programs[0];
  CHECK_FALSE(p.autostart);
  CHECK(p.autorestart == autorestart::always);
  CHECK(p.exitcodes == std::vector<long>{0, 2});
  CHECK(p.startsecs == 0);
  CHECK(p.startretries == 10);
  CHECK(p.stopsignal == SIGQUIT);
  CHECK(p.stopwaitsecs == 30);
  CHECK(p.stopasgroup);
  CHECK(p.killasgroup);  // implied by stopasgroup
  CHECK(p.priority == -5);
  CHECK(read("[program:a]\ncommand=x\nstopsignal=SIGUSR2\n").programs[0].stopsignal == SIGUSR2);
  CHECK(read("[program:a]\ncommand=x\nstopsignal=9\n").programs[0].stopsignal == SIGKILL);
  CHECK(read("[program:a]\ncommand=x\nautorestart=false\n").programs[0].autorestart ==
        autorestart::never);
}

TEST_CASE("programs: the command is expanded, then split as shlex.split does") {
  auto conf = read(
      "[program:web]\ncommand = %(here)s/bin/app --name=%(program_name)s 'a b' "
      "--group %(group_name)s --host %(host_node_name)s %%\n");
  auto& p = conf.programs[0];
  CHECK(argv_text(p) == std::vector<std::string>{"/etc/supervisor/bin/app", "--name=web", "a b",
                                                 "--group", "web", "--host", "box", "%"});
  CHECK(p.uses_host_node_name);
}

TEST_CASE("programs: environment: [supervisord]'s first, the program's own on top") {
  auto conf = read(
      "[supervisord]\nenvironment = A=\"global\",B=\"global\"\n"
      "[program:web]\ncommand = x\nenvironment = B=\"own, with comma\",C='%(ENV_A)s'\n");
  auto& p = conf.programs[0];
  REQUIRE(p.environment.size() == 3);
  CHECK(p.environment[0].first == "A");
  CHECK(env_text(p, "A") == "global");
  CHECK(env_text(p, "B") == "own, with comma");
  CHECK(env_text(p, "C") == "global");  // ENV_A is [supervisord]'s A, known now
}

TEST_CASE("programs: %(ENV_X)s of the program's own environment is known now in the command") {
  auto conf = read(
      "[program:web]\ncommand = app --port %(ENV_PORT)s --home %(ENV_HOME)s\n"
      "environment = PORT=8080\n");
  auto& argv = conf.programs[0].command;
  CHECK(literal_text(argv[2]) == "8080");
  CHECK(argv[4] == pieces{{piece::kind::env, "HOME"}});  // read when taskmux loads the file
}

TEST_CASE("programs: a variable split into words by supervisord gets a note") {
  auto conf = read("[program:web]\ncommand = app %(ENV_OPTS)s\n");
  REQUIRE(conf.programs[0].notes.size() == 1);
  CHECK(conf.programs[0].notes[0].find("-a -b") != std::string::npos);
}

TEST_CASE("programs: a number from the environment is read when converting, with a note") {
  auto conf = read(
      "[program:web]\ncommand = app --id %(process_num)s\nprocess_name=%(process_num)s\n"
      "numprocs = %(ENV_WORKERS)s\n");
  CHECK(conf.programs[0].numprocs == 4);
  REQUIRE(conf.programs[0].notes.size() == 1);
  CHECK(conf.programs[0].notes[0].find("WORKERS=4") != std::string::npos);
  CHECK(error_of("[program:web]\ncommand = app\nnumprocs = %(ENV_UNSET)s\n").starts_with("3: "));
}

TEST_CASE(
    "programs: the process number is known per process only: command, environment, directory") {
  auto conf = read(
      "[program:w]\ncommand = app %(process_num)s\nprocess_name = w%(process_num)s\n"
      "numprocs = 2\nnumprocs_start = 3\ndirectory = /srv/%(process_num)s\n"
      "environment = N=%(process_num)s\n");
  auto& p = conf.programs[0];
  CHECK(p.command[1] == pieces{{piece::kind::process_num, "", 3}});
  CHECK(*p.directory == pieces{{piece::kind::text, "/srv/"}, {piece::kind::process_num, "", 3}});
  CHECK(p.environment[0].second == pieces{{piece::kind::process_num, "", 3}});
  CHECK(error_of("[program:w]\ncommand = x\nuser = u%(process_num)s\n")
            .starts_with("3: [program:w] user:"));
}

TEST_CASE("programs: a program in a [group:x] takes the group's name and priority") {
  auto conf = read(
      "[group:web]\nprograms = a, b\npriority = 10\n"
      "[program:a]\ncommand = a %(group_name)s\npriority = 50\n[program:b]\ncommand = b\n"
      "[program:c]\ncommand = c %(group_name)s\n");
  CHECK(conf.programs[0].group == "web");
  CHECK(conf.programs[0].priority == 10);
  CHECK(literal_text(conf.programs[0].command[1]) == "web");
  CHECK(conf.programs[1].group == "web");
  CHECK(conf.programs[2].group.empty());
  CHECK(literal_text(conf.programs[2].command[1]) == "c");
}

TEST_CASE("programs: eventlisteners and fcgi-programs are read too; a listener's priority is -1") {
  auto conf = read(
      "[eventlistener:mon]\ncommand = memmon\nevents = TICK_60\n"
      "[fcgi-program:php]\ncommand = php-cgi\nsocket = tcp://127.0.0.1:9000\n");
  REQUIRE(conf.programs.size() == 2);
  CHECK(conf.programs[0].kind == "eventlistener");
  CHECK(conf.programs[0].priority == -1);
  CHECK(conf.programs[1].kind == "fcgi-program");
}

TEST_CASE("programs: every key is kept for the comments, [DEFAULT]'s too where it applies") {
  auto conf = read(
      "[DEFAULT]\nautorestart = true\nnot_a_program_key = 1\n"
      "[program:web]\ncommand = x\nstdout_logfile = /dev/stdout\ntypo_key = 1\n");
  auto& p = conf.programs[0];
  CHECK(p.find("command"));
  CHECK(p.find("stdout_logfile"));
  CHECK(p.find("typo_key"));
  CHECK(p.find("autorestart"));
  CHECK_FALSE(p.find("not_a_program_key"));
  CHECK(p.autorestart == autorestart::always);
}

TEST_CASE("programs: what supervisord refuses is an error naming the line") {
  CHECK(error_of("[program:web]\nuser = x\n") == "1: [program:web] no command");
  CHECK(error_of("[program:web]\ncommand = 'open\n") ==
        "2: [program:web] command: No closing quotation");
  CHECK(error_of("[program:web]\ncommand = x\nautostart = maybe\n") ==
        "3: [program:web] autostart: not a valid boolean value: \"maybe\"");
  CHECK(error_of("[program:web]\ncommand = x\nautorestart = sometimes\n").starts_with("3: "));
  CHECK(error_of("[program:web]\ncommand = x\nnumprocs = two\n").starts_with("3: "));
  CHECK(error_of("[program:web]\ncommand = x\nstopsignal = NOPE\n").starts_with("3: "));
  CHECK(error_of("[program:web]\ncommand = x\nexitcodes = 0,256\n").starts_with("3: "));
  CHECK(error_of("[program:web]\ncommand = x\nnumprocs = 2\n") ==
        "1: [program:web] process_name must contain %(process_num) when numprocs > 1");
  CHECK(error_of("[program:web]\ncommand = x\nstopasgroup = true\nkillasgroup = false\n")
            .starts_with("4: "));
  CHECK(error_of("[program:web]\ncommand = x %(nope)s\n")
            .starts_with("2: [program:web] command: %(nope)"));
  CHECK(error_of("[program:a b]\ncommand = x\n").starts_with("1: invalid name"));
  CHECK(error_of("[group:g]\nprograms = a,missing\n[program:a]\ncommand = x\n") ==
        "2: [group:g] programs: names unknown program or fcgi-program \"missing\"");
  CHECK(error_of("[supervisord]\nenvironment = A=1,B\n[program:a]\ncommand = x\n")
            .starts_with("2: [supervisord] environment:"));
}

TEST_CASE("programs: [supervisord] environment is expanded twice, as supervisord 4.2 and 4.3 do") {
  auto conf = read(
      "[supervisord]\nenvironment = P=\"100%%%%\",H=\"%%(host_node_name)s\"\n"
      "[program:a]\ncommand = x\n");
  CHECK(env_text(conf.programs[0], "P") == "100%");
  CHECK(env_text(conf.programs[0], "H") == "box");
  CHECK(error_of("[supervisord]\nenvironment = P=\"50%%\"\n[program:a]\ncommand = x\n")
            .starts_with("2: [supervisord] environment:"));
}
