// Each row of docs/import.md: a supervisord.conf in memory, converted, and the config.toml
// loaded by taskmux's own loader, so that every check is on what taskmux will really run.
#include <doctest/doctest.h>

#include <unistd.h>

#include <csignal>
#include <map>
#include <string>
#include <variant>

#include "config/load.hpp"
#include "migrate/programs.hpp"
#include "migrate/to_toml.hpp"

namespace {

using namespace taskmux::migrate;
namespace cfg = taskmux::config;
using namespace std::chrono_literals;

host_facts fake_host() {
  return {[](const std::string&) -> std::optional<std::string> { return std::nullopt; }, "box"};
}

/// The environment taskmux loads the result with: HOME=/home/app, TZ=UTC.
std::optional<std::string> load_env(const std::string& name) {
  static const std::map<std::string, std::string> vars{{"HOME", "/home/app"}, {"TZ", "UTC"}};
  auto it = vars.find(name);
  return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
}

struct converted {
  conversion result;
  cfg::config config;

  const cfg::task& task(const std::string& name) const {
    auto* t = config.find_task(name);
    REQUIRE_MESSAGE(t, "no task " << name << " in\n" << result.toml);
    return *t;
  }
  bool says(const std::string& text) const { return result.toml.find(text) != std::string::npos; }
  bool summary_has(const std::string& text) const {
    for (auto& line : result.summary)
      if (line.find(text) != std::string::npos) return true;
    return false;
  }
};

converted convert(std::string_view ini_text) {
  ini_document doc;
  REQUIRE(parse_ini(ini_text, "/etc/supervisor/supervisord.conf", doc).empty());
  auto conf = read_programs("/etc/supervisor/supervisord.conf", doc, fake_host());
  REQUIRE(std::holds_alternative<supervisord_conf>(conf));
  auto result = to_toml(std::get<supervisord_conf>(conf));
  auto loaded = cfg::load_string(result.toml, "/srv/app/config.toml", load_env);
  std::string problems;
  for (auto& d : loaded.problems)
    problems += cfg::format(d) + "\n";
  REQUIRE_MESSAGE(loaded.value, problems << "--- converted ---\n" << result.toml);
  return {result, *loaded.value};
}

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("to_toml: [program:x] is a [[task]] named x; other names are converted and said so") {
  auto c = convert(
      "[supervisord]\n[program:web]\ncommand = /bin/app\n[program:wörker@2]\ncommand = /bin/w\n");
  CHECK(c.config.tasks.size() == 2);
  CHECK(c.task("web").cmd.argv == strings{"/bin/app"});
  CHECK(c.task("w_rker_2").cmd.argv == strings{"/bin/w"});
  CHECK(c.says("supervisord's \"wörker@2\" is \"w_rker_2\" here"));
  CHECK(c.summary_has("[program:wörker@2] name"));
  CHECK(task_name_for(std::string(70, 'a')).size() == 64);
}

TEST_CASE("to_toml: two programs that convert to the same name stay apart") {
  auto c = convert("[program:a@1]\ncommand = x\n[program:a#1]\ncommand = y\n");
  CHECK(c.task("a_1").cmd.argv == strings{"x"});
  CHECK(c.task("a_1-2").cmd.argv == strings{"y"});
}

TEST_CASE("to_toml: the command is the argv supervisord's shlex split, never a shell") {
  auto c = convert(R"([program:web]
command = /usr/sbin/nginx -g 'daemon off;' "two words" it\'s $HOME ${HOME} $$ %%(x)s "back\\slash" tab	in
)");
  auto& t = c.task("web");
  CHECK_FALSE(t.cmd.is_shell);
  CHECK(t.cmd.argv == strings{"/usr/sbin/nginx", "-g", "daemon off;", "two words", "it's", "$HOME",
                              "${HOME}", "$$", "%(x)s", "back\\slash", "tab", "in"});
}

TEST_CASE("to_toml: %(ENV_X)s becomes ${X}, read when taskmux loads the file") {
  auto c = convert("[program:web]\ncommand = /bin/app --home %(ENV_HOME)s/data --tz=%(ENV_TZ)s\n");
  CHECK(c.says("\"${HOME}/data\""));
  CHECK(c.task("web").cmd.argv == strings{"/bin/app", "--home", "/home/app/data", "--tz=UTC"});
}

TEST_CASE(
    "to_toml: numprocs is instances; %(process_num)s becomes $TASK_INSTANCE in a shell command") {
  auto c = convert(
      "[program:worker]\ncommand = /bin/w --id %(process_num)s --port 80%(process_num)02d\n"
      "process_name = %(program_name)s_%(process_num)02d\nnumprocs = 3\n");
  auto& t = c.task("worker");
  CHECK(t.instances == 3);
  CHECK(t.cmd.is_shell);
  CHECK(t.cmd.argv[2] ==
        "exec /bin/w --id \"$TASK_INSTANCE\" --port 80\"$(printf '%02d' \"$TASK_INSTANCE\")\"");
}

TEST_CASE("to_toml: numprocs_start shifts the number: $((TASK_INSTANCE + N))") {
  auto c = convert(
      "[program:worker]\ncommand = /bin/w %(process_num)s\nprocess_name = w%(process_num)s\n"
      "numprocs = 2\nnumprocs_start = 5\n");
  CHECK(c.task("worker").cmd.argv[2] == "exec /bin/w \"$((TASK_INSTANCE + 5))\"");
  CHECK(c.says("numprocs_start = 5:"));
}

TEST_CASE("to_toml: the process number in environment and directory is set by the shell command") {
  auto c = convert(
      "[program:w]\ncommand = /bin/w $x\nprocess_name = w%(process_num)s\nnumprocs = 2\n"
      "directory = /srv/w%(process_num)s\nenvironment = ID=%(process_num)s,PLAIN=1\n");
  auto& t = c.task("w");
  CHECK(t.cmd.argv[2] ==
        "cd /srv/w\"$TASK_INSTANCE\" && export ID=\"$TASK_INSTANCE\"; exec /bin/w '$x'");
  CHECK(t.env == std::map<std::string, std::string>{{"PLAIN", "1"}});
  CHECK(t.workdir == "/srv/app");  // taskmux's default: the config file's directory
}

TEST_CASE("to_toml: directory is workdir, user is user") {
  auto c = convert("[program:web]\ncommand = /bin/app\ndirectory = /srv/www\nuser = root\n");
  CHECK(c.task("web").workdir == "/srv/www");
  CHECK(c.task("web").user == "root");
}

TEST_CASE("to_toml: a relative directory is said to be read from another place") {
  auto c = convert("[program:web]\ncommand = /bin/app\ndirectory = www\n");
  CHECK(c.task("web").workdir == "/srv/app/www");
  CHECK(c.summary_has("[program:web] directory"));
}

TEST_CASE(
    "to_toml: environment (quotes, commas, $, %%) is env; [supervisord]'s applies to every task") {
  auto c = convert(R"([supervisord]
environment = GLOBAL="g",SHARED="global"
[program:web]
command = /bin/app
environment = A="x,y",B='it"s',C="$NOT ${EXPANDED}",D="50%%",SHARED="own",E="%(ENV_HOME)s/x",
  F="é\tz"
[program:other]
command = /bin/other
)");
  CHECK(c.task("web").env == std::map<std::string, std::string>{{"GLOBAL", "g"},
                                                                {"SHARED", "own"},
                                                                {"A", "x,y"},
                                                                {"B", "it\"s"},
                                                                {"C", "$NOT ${EXPANDED}"},
                                                                {"D", "50%"},
                                                                {"E", "/home/app/x"},
                                                                {"F", "é\\tz"}});
  CHECK(c.task("other").env ==
        std::map<std::string, std::string>{{"GLOBAL", "g"}, {"SHARED", "global"}});
}

TEST_CASE("to_toml: autorestart true/false/unexpected is restart always/never/on-failure") {
  auto c = convert(
      "[program:a]\ncommand=x\nautorestart=true\n[program:b]\ncommand=x\nautorestart=false\n"
      "[program:c]\ncommand=x\nautorestart=unexpected\n[program:d]\ncommand=x\n");
  CHECK(c.task("a").restart == cfg::restart_policy::always);
  CHECK(c.task("b").restart == cfg::restart_policy::never);
  CHECK(c.task("c").restart == cfg::restart_policy::on_failure);
  CHECK(c.task("d").restart == cfg::restart_policy::on_failure);
}

TEST_CASE("to_toml: exitcodes other than 0 are a comment: taskmux counts exit 0 as success") {
  auto c = convert("[program:a]\ncommand=x\nexitcodes=0,2\n[program:b]\ncommand=x\nexitcodes=0\n");
  CHECK(c.says("exitcodes = 0,2: supervisord restarted"));
  CHECK(c.summary_has("[program:a] exitcodes"));
  CHECK_FALSE(c.summary_has("[program:b]"));
}

TEST_CASE("to_toml: startsecs and startretries are a start_limit of as many quick failures") {
  auto c = convert(
      "[program:a]\ncommand=x\nstartretries=3\n[program:b]\ncommand=x\nstartsecs=10\n"
      "startretries=0\n[program:c]\ncommand=x\nstartsecs=0\n[program:d]\ncommand=x\n");
  CHECK(c.task("a").start_limit.burst == 4);
  CHECK(c.task("a").start_limit.interval == 6s);  // 4 x 1 s + 0.1+0.2+0.4 s backoff (+20%), + 1 s
  CHECK(c.task("b").start_limit.burst == 1);
  CHECK(c.task("b").start_limit.interval == 11s);
  CHECK(c.says("not 10 s (for a real check: ready"));
  CHECK(c.task("c").start_limit.burst == 0);  // never gave up
  CHECK(c.task("d").start_limit == cfg::start_limit{});
}

TEST_CASE(
    "to_toml: stopsignal, stopwaitsecs, stopasgroup are stop_signal, stop_timeout, kill_mode") {
  auto c = convert(
      "[program:a]\ncommand=x\nstopsignal=QUIT\nstopwaitsecs=30\nstopasgroup=true\n"
      "[program:b]\ncommand=x\nstopsignal=STOP\nstopwaitsecs=0\nkillasgroup=true\n"
      "[program:c]\ncommand=x\nstopsignal=40\n");
  CHECK(c.task("a").stop_signal == SIGQUIT);
  CHECK(c.task("a").stop_timeout == 30s);
  CHECK(c.task("a").kill_mode == cfg::kill_mode::group);
  CHECK(c.task("b").stop_signal == SIGKILL);
  CHECK(c.task("b").stop_timeout == 1s);
  CHECK(c.task("b").kill_mode == cfg::kill_mode::mixed);
  CHECK(c.says("killasgroup = true: taskmux always sends SIGKILL"));
  CHECK(c.task("c").stop_signal == 40);
}

TEST_CASE("to_toml: priority tiers: each program depends on the programs of the next lower tier") {
  auto c = convert(
      "[program:db]\ncommand=x\npriority=1\n[program:cache]\ncommand=x\npriority=1\n"
      "[program:app]\ncommand=x\npriority=10\n[program:web]\ncommand=x\n"
      "[program:web2]\ncommand=x\npriority=999\n");
  CHECK(c.task("db").depends_on.empty());
  CHECK(c.task("cache").depends_on.empty());
  CHECK(c.task("app").depends_on == strings{"db", "cache"});
  CHECK(c.task("web").depends_on == strings{"app"});
  CHECK(c.task("web2").depends_on == strings{"app"});
}

TEST_CASE("to_toml: programs of equal priority depend on nothing") {
  auto c = convert("[program:a]\ncommand=x\npriority=5\n[program:b]\ncommand=x\npriority=5\n");
  CHECK(c.task("a").depends_on.empty());
  CHECK(c.task("b").depends_on.empty());
}

TEST_CASE("to_toml: autostart = false leaves the program as a commented-out task") {
  auto c = convert(
      "[program:a]\ncommand=x\n[program:manual]\ncommand=/bin/"
      "manual\nautostart=false\npriority=1\n");
  CHECK(c.config.tasks.size() == 1);
  CHECK(c.says("# name = \"manual\""));
  CHECK(c.result.commented_out == 1);
  CHECK(c.task("a").depends_on.empty());  // a commented-out task is no dependency
  CHECK(c.summary_has("[program:manual] autostart"));
}

TEST_CASE("to_toml: log files, redirect_stderr and other keys without a taskmux key are comments") {
  auto c = convert(
      "[program:web]\ncommand=x\nredirect_stderr=true\nstdout_logfile=/var/log/web.log\n"
      "stdout_logfile_maxbytes=1MB\nstderr_logfile=/dev/stderr\numask=002\nserverurl=AUTO\n"
      "stdout_events_enabled=true\nstdout_syslog=true\nstdout_capture_maxbytes=1MB\n"
      "process_name=%(program_name)s\nkillasgroup=false\ntypo=1\n");
  for (auto key : {"redirect_stderr", "stdout_logfile", "stdout_logfile_maxbytes", "stderr_logfile",
                   "umask", "serverurl", "stdout_events_enabled", "stdout_syslog",
                   "stdout_capture_maxbytes", "process_name", "killasgroup", "typo"})
    CHECK_MESSAGE(c.says(std::string("# ") + key + " = "), key);
  CHECK(
      c.summary_has("[program:web] redirect_stderr, stdout_logfile, umask, stdout_events_enabled, "
                    "stdout_syslog, stdout_capture_maxbytes, killasgroup, typo"));
}

TEST_CASE("to_toml: [supervisord] keys are comments under [supervisor]; loglevel is log_level") {
  auto c = convert(
      "[supervisord]\nnodaemon=true\nlogfile=/var/log/supervisord.log\npidfile=/run/s.pid\n"
      "loglevel=blather\nuser=root\nminfds=4096\n");
  CHECK(c.config.supervisor.log_level == cfg::log_level::debug);
  CHECK(c.says("[supervisor]\n"));
  CHECK(c.says("# nodaemon = true: taskmux always runs in the foreground"));
  CHECK(c.summary_has("[supervisord] logfile, pidfile, user, minfds"));
}

TEST_CASE("to_toml: server sections are comments; [inet_http_server] suggests [http] listen") {
  auto c = convert(
      "[unix_http_server]\nfile=/tmp/s.sock\n[inet_http_server]\nport=127.0.0.1:9001\n"
      "[supervisorctl]\nserverurl=unix:///tmp/s.sock\n[rpcinterface:supervisor]\n"
      "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n");
  CHECK_FALSE(c.config.http);
  CHECK(c.says("# [http]\n# listen = \"127.0.0.1:9001\"\n"));
  CHECK(c.says("# [unix_http_server] /etc/supervisor/supervisord.conf:1"));
  CHECK(c.says("# [supervisorctl]"));
  CHECK(c.says("# [rpcinterface:supervisor]"));
  auto all = convert("[inet_http_server]\nport=*:9001\n");
  CHECK(all.says("# listen = \"0.0.0.0:9001\""));
}

TEST_CASE("to_toml: [group:x], [eventlistener:x] and [fcgi-program:x] are comments") {
  auto c = convert(
      "[program:a]\ncommand=x\n[group:g]\nprograms=a\n[eventlistener:mon]\ncommand=memmon\n"
      "events=TICK_60\n[fcgi-program:php]\ncommand=php-cgi\nsocket=tcp://127.0.0.1:9000\n");
  CHECK(c.config.tasks.size() == 1);
  CHECK(c.says("# [group:g] /etc/supervisor/supervisord.conf:3: taskmux has no groups"));
  CHECK(c.says("# [eventlistener:mon]"));
  CHECK(c.says("# [fcgi-program:php]"));
  CHECK(c.summary_has("[group:g]"));
  CHECK(c.summary_has("[eventlistener:mon] (not converted)"));
}

TEST_CASE("to_toml: the header names the file and `taskmux check`") {
  auto c = convert("[program:a]\ncommand=x\n");
  CHECK(
      c.result.toml.starts_with("# config.toml for taskmux, converted by `taskmux import` from "
                                "/etc/supervisor/supervisord.conf"));
  CHECK(c.says("taskmux check"));
}

TEST_CASE("to_toml: every key of supervisord's [program:x] example is accounted for") {
  const char* example = R"([program:cat]
command=/bin/cat
process_name=%(program_name)s
numprocs=1
directory=/tmp
umask=022
priority=999
autostart=true
autorestart=unexpected
startsecs=10
startretries=3
exitcodes=0
stopsignal=TERM
stopwaitsecs=10
stopasgroup=false
killasgroup=false
user=root
redirect_stderr=false
stdout_logfile=/tmp/cat.log
stdout_logfile_maxbytes=1MB
stdout_logfile_backups=10
stdout_capture_maxbytes=1MB
stdout_events_enabled=false
stderr_logfile=/tmp/cat.err
stderr_logfile_maxbytes=1MB
stderr_logfile_backups=10
stderr_capture_maxbytes=1MB
stderr_events_enabled=false
environment=A="1",B="2"
serverurl=AUTO
)";
  auto c = convert(example);
  ini_document doc;
  REQUIRE(parse_ini(example, "x", doc).empty());
  for (auto& [key, value] : doc.sections[0].entries)
    CHECK_MESSAGE(c.says(key + " = " + value.text), key);
  CHECK(c.task("cat").env == std::map<std::string, std::string>{{"A", "1"}, {"B", "2"}});
}

TEST_CASE(
    "to_toml: quotes, backslashes, tabs and non-ASCII anywhere still make a file taskmux loads") {
  auto c = convert(R"([supervisord]
environment = "K"=v
[program:we"b\\é]
command = /bin/app 'tab	here' "quote\"d" back\\slash "中文 ${X}"
directory = /srv/"x"
environment = T="a	b",U="'''",V="\\"
stdout_logfile = /var/log/"odd"	\name.log
; a comment with "quotes"
)");
  auto& t = c.task("we_b___");
  CHECK(t.cmd.argv == strings{"/bin/app", "tab\there", "quote\"d", "back\\slash", "中文 ${X}"});
  CHECK(t.workdir == "/srv/\"x\"");
  CHECK(t.env == std::map<std::string, std::string>{
                     {"\"K\"", "v"}, {"T", "a\tb"}, {"U", ""}, {"V", "\\\\"}});
}
