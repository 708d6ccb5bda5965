// config.toml text in memory -> config values: SPEC's defaults, relative paths, commands, and
// problems as FILE:LINE:COL diagnostics. No file is read and no process is started.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include "config/address.hpp"
#include "config/amqp_url.hpp"
#include "config/diagnostics.hpp"
#include "config/load.hpp"

namespace {

using namespace std::chrono_literals;
namespace cfg = taskmux::config;
namespace fs = std::filesystem;

const fs::path config_file = "/srv/app/config.toml";

/// A fixed environment: APP_PORT=8000, EMPTY= (set, empty); everything else is unset.
std::optional<std::string> fake_env(const std::string& name) {
  static const std::map<std::string, std::string> vars{{"APP_PORT", "8000"}, {"EMPTY", ""}};
  auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  return it->second;
}

cfg::config loaded(std::string_view text, const fs::path& file = config_file) {
  auto r = cfg::load_string(text, file, fake_env);
  std::string problems;
  for (auto& d : r.problems)
    problems += cfg::format(d) + "\n";
  REQUIRE_MESSAGE(r.problems.empty(), problems);
  REQUIRE(r.value);
  return *r.value;
}

cfg::diagnostics problems(std::string_view text) {
  auto r = cfg::load_string(text, config_file, fake_env);
  CHECK_FALSE(r.value);
  return r.problems;
}

/// The one problem of `text`, as "LINE:COL: message".
std::string problem(std::string_view text) {
  auto p = problems(text);
  REQUIRE(p.size() == 1);
  return std::to_string(p[0].line) + ":" + std::to_string(p[0].column) + ": " + p[0].message;
}

const char* web = "[[task]]\nname = \"web\"\ncommand = [\"serve\"]\n";

}  // namespace

TEST_CASE("load: a task with only name and command gets every default of SPEC") {
  auto c = loaded(web);
  REQUIRE(c.tasks.size() == 1);
  auto& t = c.tasks[0];
  CHECK(t.name == "web");
  CHECK(t.instances == 1);
  CHECK(t.restart == cfg::restart_policy::on_failure);
  CHECK(t.backoff.initial == 100ms);
  CHECK(t.backoff.max == 30s);
  CHECK(t.start_limit.burst == 5);
  CHECK(t.start_limit.interval == 10s);
  CHECK(t.stop_signal == SIGTERM);
  CHECK(t.stop_signal == 15);
  CHECK(t.stop_timeout == 10s);
  CHECK(t.inherit_env);
  CHECK(t.env.empty());
  CHECK_FALSE(t.user);
  CHECK(t.depends_on.empty());
  CHECK(std::holds_alternative<cfg::ready_started>(t.ready));
  CHECK_FALSE(t.health);
  CHECK_FALSE(t.watchdog);
  CHECK_FALSE(t.critical);
  CHECK_FALSE(t.is_looped());
  CHECK_FALSE(t.timeout);
  CHECK_FALSE(t.input);
  CHECK_FALSE(t.output);
}

TEST_CASE("load: namespace defaults to the task's name") {
  CHECK(loaded(web).tasks[0].namespace_ == "web");
}

TEST_CASE("load: an explicit namespace replaces the name in queue names") {
  auto c = loaded(std::string(web) + "namespace = \"frontend\"\n");
  CHECK(c.tasks[0].namespace_ == "frontend");
  CHECK(c.tasks[0].name == "web");
}

TEST_CASE("load: without [supervisor], state_dir is .taskmux beside the config file") {
  auto c = loaded(web);
  CHECK(c.file == config_file);
  CHECK(c.supervisor.state_dir == "/srv/app/.taskmux");
  CHECK(c.supervisor.report_interval == 15s);
  CHECK(c.supervisor.shutdown_timeout == 30s);
  CHECK(c.supervisor.log_format == cfg::log_format::text);
  CHECK(c.supervisor.log_level == cfg::log_level::info);
  CHECK_FALSE(c.supervisor.name.empty());  // the host name
}

TEST_CASE("load: log_level takes SPEC's four levels") {
  using level = cfg::log_level;
  for (auto [text, l] : {std::pair{"debug", level::debug}, std::pair{"info", level::info},
                         std::pair{"warning", level::warning}, std::pair{"error", level::error}}) {
    CAPTURE(text);
    auto c = loaded(std::string("[supervisor]\nlog_level = \"") + text + "\"\n" + web);
    CHECK(c.supervisor.log_level == l);
  }
}

TEST_CASE("load: any other log_level, or one that is not a string, is an error at its value") {
  CHECK(problem("[supervisor]\nlog_level = \"warn\"\n") ==
        "2:13: log_level must be one of \"debug\", \"info\", \"warning\", \"error\", not \"warn\"");
  CHECK(problem("[supervisor]\nname = \"x\"\nlog_level = \"INFO\"\n")
            .rfind("3:13: log_level must be one of", 0) == 0);
  CHECK(problem("[supervisor]\nlog_level = 2\n").rfind("2:13: ", 0) == 0);
}

TEST_CASE("load: without [reports] the embedded backend keeps 10000 messages per queue") {
  auto c = loaded(web);
  CHECK(c.reports.backend == cfg::report_backend::embedded);
  CHECK(c.reports.retain == 10'000);
}

TEST_CASE("load: reports.url is parsed while loading; without it, SPEC's default broker") {
  auto fallback = loaded(web).reports.url;
  std::string error;
  auto spec_default = cfg::parse_amqp_url("amqp://guest:guest@127.0.0.1:5672/%2f", error);
  REQUIRE(spec_default);
  CHECK(fallback.host == spec_default->host);
  CHECK(fallback.port == spec_default->port);
  CHECK(fallback.user == spec_default->user);
  CHECK(fallback.password == spec_default->password);
  CHECK(fallback.vhost == spec_default->vhost);
  auto url =
      loaded("[reports]\nbackend = \"amqp\"\nurl = \"amqp://u:pw@[::1]:5673/v\"\n").reports.url;
  CHECK(url.host == "::1");
  CHECK(url.port == 5673);
  CHECK(url.password == "pw");
  CHECK(url.vhost == "v");
}

TEST_CASE(
    "load: without [http] there is no HTTP server; an empty [http] listens on 127.0.0.1:8080") {
  CHECK_FALSE(loaded(web).http);
  auto c = loaded(std::string("[http]\n") + web);
  REQUIRE(c.http);
  CHECK(c.http->listen.host == "127.0.0.1");
  CHECK(c.http->listen.port == 8080);
  CHECK(c.http->token.empty());
}

TEST_CASE("load: a relative workdir is resolved against the config file's directory") {
  CHECK(loaded(std::string(web) + "workdir = \"tasks/web\"\n").tasks[0].workdir ==
        "/srv/app/tasks/web");
  CHECK(loaded(std::string(web) + "workdir = \"../shared\"\n").tasks[0].workdir == "/srv/shared");
  CHECK(loaded(std::string(web) + "workdir = \".\"\n").tasks[0].workdir == "/srv/app");
  CHECK(loaded(std::string(web) + "workdir = \"tasks/\"\n").tasks[0].workdir == "/srv/app/tasks");
}

TEST_CASE("load: without workdir a task runs in the config file's directory") {
  CHECK(loaded(web).tasks[0].workdir == "/srv/app");
}

TEST_CASE("load: an absolute workdir is kept") {
  CHECK(loaded(std::string(web) + "workdir = \"/opt/web\"\n").tasks[0].workdir == "/opt/web");
}

TEST_CASE("load: a relative state_dir is resolved against the config file's directory") {
  auto c = loaded(std::string("[supervisor]\nstate_dir = \"var/state\"\n") + web);
  CHECK(c.supervisor.state_dir == "/srv/app/var/state");
}

TEST_CASE("load: a relative config path is anchored at the working directory") {
  auto c = loaded(web, "conf/config.toml");
  CHECK(c.file == fs::current_path() / "conf" / "config.toml");
  CHECK(c.tasks[0].workdir == fs::current_path() / "conf");
  CHECK(c.supervisor.state_dir == fs::current_path() / "conf" / ".taskmux");
}

TEST_CASE("load: a string command becomes /bin/sh -c STRING") {
  auto c = loaded("[[task]]\nname = \"web\"\ncommand = \"serve --port 8000 | tee log\"\n");
  CHECK(c.tasks[0].cmd.argv ==
        std::vector<std::string>{"/bin/sh", "-c", "serve --port 8000 | tee log"});
  CHECK(c.tasks[0].cmd.is_shell);
}

TEST_CASE("load: an array command is the argv, unchanged") {
  auto c = loaded(
      "[[task]]\nname = \"web\"\ncommand = [\"python3\", \"app.py\", \"--port\", \"8000\"]\n");
  CHECK(c.tasks[0].cmd.argv == std::vector<std::string>{"python3", "app.py", "--port", "8000"});
  CHECK_FALSE(c.tasks[0].cmd.is_shell);
}

TEST_CASE("load: ${VAR} and ${VAR:-default} are expanded in commands and env") {
  auto c = loaded(
      "[[task]]\nname = \"web\"\ncommand = [\"serve\", \"--port\", \"${APP_PORT}\"]\n"
      "env = { PORT = \"${APP_PORT}\", MODE = \"${APP_MODE:-production}\", E = \"${EMPTY:-d}\" "
      "}\n");
  CHECK(c.tasks[0].cmd.argv[2] == "8000");
  CHECK(c.tasks[0].env.at("PORT") == "8000");
  CHECK(c.tasks[0].env.at("MODE") == "production");
  CHECK(c.tasks[0].env.at("E") == "d");
}

TEST_CASE("load: env values that are numbers or booleans become their TOML spelling") {
  auto c = loaded(std::string(web) + "env = { WORKERS = 4, DEBUG = false }\n");
  CHECK(c.tasks[0].env.at("WORKERS") == "4");
  CHECK(c.tasks[0].env.at("DEBUG") == "false");
}

TEST_CASE("load: a duration may be an integer number of seconds") {
  auto c = loaded(std::string(web) + "stop_timeout = 5\nwatchdog = 90\n");
  CHECK(c.tasks[0].stop_timeout == 5s);
  CHECK(c.tasks[0].watchdog == std::optional<cfg::duration>(90s));
}

TEST_CASE("load: every keys of a task are read into the task") {
  auto c = loaded(
      "[[task]]\nname = \"db\"\ncommand = \"sleep 60\"\n"
      "[[task]]\nname = \"web\"\ncommand = \"serve\"\ninstances = 3\nrestart = \"always\"\n"
      "backoff = { initial = \"50ms\", max = \"5s\" }\nstart_limit = { burst = 0, interval = "
      "\"1m\" }\n"
      "stop_signal = \"SIGINT\"\ndepends_on = [\"db\"]\nready = \"notify\"\ncritical = true\n"
      "inherit_env = false\nhealth = { http = \"http://127.0.0.1:8000/health\" }\n");
  REQUIRE(c.tasks.size() == 2);
  auto& t = c.tasks[1];
  CHECK(t.instances == 3);
  CHECK(t.restart == cfg::restart_policy::always);
  CHECK(t.backoff.initial == 50ms);
  CHECK(t.backoff.max == 5s);
  CHECK(t.start_limit.burst == 0);
  CHECK(t.start_limit.interval == 1min);
  CHECK(t.stop_signal == SIGINT);
  CHECK(t.depends_on == std::vector<std::string>{"db"});
  CHECK(std::holds_alternative<cfg::ready_notify>(t.ready));
  CHECK(t.critical);
  CHECK_FALSE(t.inherit_env);
  REQUIRE(t.health);
  CHECK(t.health->url.where.host == "127.0.0.1");
  CHECK(t.health->url.where.port == 8000);
  CHECK(t.health->url.target == "/health");
  CHECK(t.health->interval == 10s);
  CHECK(t.health->timeout == 2s);
  CHECK(t.health->failures == 3);
  CHECK(c.find_task("db") == &c.tasks[0]);
  CHECK(c.find_task("nope") == nullptr);
}

TEST_CASE("load: stop_signal takes a name with or without SIG, or a number") {
  CHECK(loaded(std::string(web) + "stop_signal = \"QUIT\"\n").tasks[0].stop_signal == SIGQUIT);
  CHECK(loaded(std::string(web) + "stop_signal = \"SIGHUP\"\n").tasks[0].stop_signal == SIGHUP);
  CHECK(loaded(std::string(web) + "stop_signal = 2\n").tasks[0].stop_signal == 2);
  CHECK(loaded(std::string(web) + "stop_signal = \"10\"\n").tasks[0].stop_signal == 10);
}

TEST_CASE("load: ready takes each table form") {
  auto ready = [](const char* value) {
    return loaded(std::string(web) + "ready = " + value + "\n").tasks[0].ready;
  };
  auto tcp = ready("{ tcp = \"127.0.0.1:8000\" }");
  REQUIRE(std::holds_alternative<cfg::ready_tcp>(tcp));
  CHECK(std::get<cfg::ready_tcp>(tcp).address.host == "127.0.0.1");
  CHECK(std::get<cfg::ready_tcp>(tcp).address.port == 8000);
  auto http = ready("{ http = \"http://127.0.0.1:8000/health\" }");
  REQUIRE(std::holds_alternative<cfg::ready_http>(http));
  CHECK(cfg::to_string(std::get<cfg::ready_http>(http).url) == "http://127.0.0.1:8000/health");
  auto exec = ready("{ exec = [\"test\", \"-e\", \"/tmp/ok\"] }");
  REQUIRE(std::holds_alternative<cfg::ready_exec>(exec));
  CHECK(std::get<cfg::ready_exec>(exec).argv == std::vector<std::string>{"test", "-e", "/tmp/ok"});
}

TEST_CASE(
    "load: a looped task with SFTP channels reads every and timeout, and the endpoint's defaults") {
  auto c = loaded(
      "[sftp.files]\nhost = \"sftp-srv\"\nuser = \"admin\"\npassword = \"pw\"\n"
      "[[task]]\nname = \"conv\"\ncommand = \"convert\"\nevery = \"5m\"\ntimeout = \"10m\"\n"
      "input = { sftp = \"files\", path = \"/raw\", queue = \"new\" }\n"
      "output = { sftp = \"files\", path = \"/out\" }\n");
  auto& t = c.tasks[0];
  CHECK(t.is_looped());
  CHECK(t.every == std::optional<cfg::duration>(5min));
  CHECK(t.timeout == std::optional<cfg::duration>(10min));
  REQUIRE(t.input);
  CHECK(t.input->sftp == std::optional<std::string>("files"));
  CHECK(t.input->path == "/raw");
  CHECK(t.input->queue == std::optional<std::string>("new"));
  CHECK(t.input->max_attempts == 3);
  REQUIRE(t.output);
  CHECK(t.output->path == "/out");
  auto& e = c.sftp.at("files");
  CHECK(e.address.host == "sftp-srv");
  CHECK(e.address.port == 22);
  CHECK(e.password == std::optional<std::string>("pw"));
  CHECK(e.known_hosts == "/srv/app/.taskmux/known_hosts");
}

TEST_CASE("load: an SFTP known_hosts path is relative to the config file; \"accept-new\" is kept") {
  auto endpoint = [](const char* known_hosts) {
    return loaded(
               std::string(
                   "[sftp.f]\nhost = \"h\"\nuser = \"u\"\nidentity = \"keys/id\"\nknown_hosts = ") +
               known_hosts + "\n")
        .sftp.at("f");
  };
  CHECK(endpoint("\"etc/known_hosts\"").known_hosts == "/srv/app/etc/known_hosts");
  CHECK(endpoint("\"accept-new\"").known_hosts == "accept-new");
  CHECK(endpoint("\"accept-new\"").identity == std::optional<fs::path>("/srv/app/keys/id"));
}

TEST_CASE("load: an empty file is a valid config with no task") {
  auto c = loaded("");
  CHECK(c.tasks.empty());
}

TEST_CASE("load: a problem carries the file as given, its line and column, and no config") {
  auto r = cfg::load_string(std::string(web) + "instances = 0\n", "conf/config.toml", fake_env);
  CHECK_FALSE(r.value);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].file == "conf/config.toml");
  CHECK(r.problems[0].line == 4);
  CHECK(r.problems[0].column == 13);
  CHECK(cfg::format(r.problems[0]) ==
        "conf/config.toml:4:13: instances must be between 1 and 10000, not 0");
}

TEST_CASE("load: every problem of a file is reported, not just the first") {
  auto p = problems(
      "[supervisor]\nbogus = 1\n[[task]]\nname = \"a\"\ncommand = 3\ninstances = \"2\"\n"
      "depends_on = [\"zz\"]\n[[task]]\nname = \"a\"\ncommand = \"x\"\n");
  CHECK(p.size() == 5);
}

TEST_CASE("load: a TOML syntax error is the one problem reported, at the error") {
  CHECK(problem(std::string(web) + "instances = = 2\nbogus = 1\n") ==
        "4:13: Error while parsing value: could not determine value type");
}

TEST_CASE("load: an unknown key is reported at the key") {
  CHECK(problem(std::string(web) + "\nrestarts = \"always\"\n") ==
        "5:1: unknown key 'restarts' (did you mean 'restart'?)");
  CHECK(problem(std::string(web) + "\nbogus = 1\n") == "5:1: unknown key 'bogus'");
}

TEST_CASE("load: a duplicate task name is reported at the second name") {
  CHECK(problem(std::string(web) + web) ==
        "5:8: duplicate task name \"web\" (first defined on line 2)");
}

TEST_CASE("load: an unset variable is reported at its ${") {
  CHECK(problem(std::string(web) + "env = { URL = \"db://${DB_HOST}\" }\n") ==
        "4:21: env.URL: environment variable DB_HOST is not set (use ${DB_HOST:-default} for a "
        "default)");
}

TEST_CASE("load: an unset variable after escapes is reported at its ${ in the file") {
  CHECK(problem("[[task]]\nname = \"web\"\ncommand = \"echo \\\"\\u00e9\\\" ${NOPE}\"\n")
            .starts_with("3:28: command: "));
}

TEST_CASE("load: an unset variable in a multi-line string is reported on its own line") {
  CHECK(problem("[[task]]\nname = \"web\"\ncommand = \"\"\"\nset -e\n  run ${NOPE}\n\"\"\"\n")
            .starts_with("5:7: command: "));
}

TEST_CASE("regression: an empty task name is reported") {
  CHECK(problem("[[task]]\nname = \"\"\ncommand = \"x\"\n") == "2:8: task name must not be empty");
}

TEST_CASE("regression: a stop_signal with trailing characters is not a signal number") {
  CHECK(problem(std::string(web) + "stop_signal = \"9x\"\n") ==
        "4:15: stop_signal must name a signal such as \"TERM\", \"INT\" or \"QUIT\"");
}

TEST_CASE("load: backoff.initial above the default max names both values") {
  CHECK(problem(std::string(web) + "backoff = { initial = \"1m\" }\n") ==
        "4:23: backoff.initial (1m) must not exceed backoff.max (30s)");
}

namespace {

/// n tasks t0 -> t1 -> ... -> t(n-1), the last one depending on t0 again.
std::string cycle_of(int n) {
  std::string text;
  for (int i = 0; i < n; ++i)
    text += "[[task]]\nname = \"t" + std::to_string(i) + "\"\ncommand = \"x\"\ndepends_on = [\"t" +
            std::to_string((i + 1) % n) + "\"]\n";
  return text;
}

}  // namespace

TEST_CASE("load: a short dependency cycle is named in full, at the depends_on that closes it") {
  CHECK(problem(cycle_of(3)) == "12:14: dependency cycle: t0 -> t1 -> t2 -> t0");
  CHECK(problem(cycle_of(8)) ==
        "32:14: dependency cycle: t0 -> t1 -> t2 -> t3 -> t4 -> t5 -> t6 -> t7 -> t0");
}

TEST_CASE("load: a long dependency cycle names its length, its first tasks and its last") {
  CHECK(problem(cycle_of(9)) ==
        "36:14: dependency cycle of 9 tasks: t0 -> t1 -> t2 -> t3 -> ... -> t8 -> t0");
}

TEST_CASE(
    "regression: a dependency cycle 40000 tasks long is one diagnostic, not a stack overflow") {
  CHECK(problem(cycle_of(40'000)) ==
        "160000:14: dependency cycle of 40000 tasks: t0 -> t1 -> t2 -> t3 -> ... -> t39999 -> t0");
}

TEST_CASE("regression: a duration longer than 100 years is reported with the maximum") {
  CHECK(problem(std::string(web) + "watchdog = \"2562048h\"\n") ==
        "4:12: watchdog must be at most 876000h (100 years), not \"2562048h\"");
  CHECK(problem(std::string(web) + "stop_timeout = 1000000000000\n") ==
        "4:16: stop_timeout must be at most 876000h (100 years), not 1000000000000 seconds");
}

TEST_CASE("regression: whole seconds longer than 100 years are reported with the maximum") {
  CHECK(problem(std::string(web) + "every = 9223372036854775807\n") ==
        "4:9: every must be at most 876000h (100 years), not 9223372036854775807 seconds");
  CHECK(problem(std::string(web) + "every = 3153600001\n") ==
        "4:9: every must be at most 876000h (100 years), not 3153600001 seconds");
  CHECK(loaded(std::string(web) + "every = 3153600000\n").tasks[0].every == 876'000h);
}

TEST_CASE("regression: SIGSTOP is no stop_signal, by name or by number") {
  for (auto* sig : {"\"STOP\"", "\"SIGSTOP\"", "\"19\"", "19"}) {
    CAPTURE(sig);
    CHECK(problem(std::string(web) + "stop_signal = " + sig + "\n") ==
          "4:15: stop_signal SIGSTOP pauses a process, it cannot stop one; use \"TERM\", \"INT\", "
          "\"QUIT\" or \"KILL\"");
  }
}

TEST_CASE("load: KILL and WINCH are stop signals (Apache stops gracefully on WINCH)") {
  CHECK(loaded(std::string(web) + "stop_signal = \"KILL\"\n").tasks[0].stop_signal == SIGKILL);
  CHECK(loaded(std::string(web) + "stop_signal = \"WINCH\"\n").tasks[0].stop_signal == SIGWINCH);
  CHECK(loaded(std::string(web) + "stop_signal = 28\n").tasks[0].stop_signal == SIGWINCH);
}

TEST_CASE(
    "regression: a NUL character in a string that reaches exec or the environment is reported") {
  const std::string nul = "must not contain a NUL character (\\u0000)";
  CHECK(problem("[[task]]\nname = \"web\"\ncommand = \"serve\\u0000 --port 1\"\n") ==
        "3:11: command " + nul);
  CHECK(problem("[[task]]\nname = \"web\"\ncommand = [\"serve\", \"-\\u0000\"]\n") ==
        "3:21: command element " + nul);
  CHECK(problem(std::string(web) + "env = { \"A\\u0000\" = \"1\" }\n") == "4:9: env name " + nul);
  CHECK(problem(std::string(web) + "env = { A = \"1\\u0000\" }\n") == "4:13: env.A " + nul);
  CHECK(problem(std::string(web) + "workdir = \"/srv\\u0000\"\n") == "4:11: workdir " + nul);
  CHECK(problem(std::string(web) + "user = \"root\\u0000\"\n") == "4:8: user " + nul);
  CHECK(problem(std::string(web) + "ready = { exec = [\"ok\\u0000\"] }\n") ==
        "4:19: exec element " + nul);
}

TEST_CASE("regression: a NUL character in any other config string is reported too") {
  const std::string nul = "must not contain a NUL character (\\u0000)";
  CHECK(problem("[supervisor]\nstate_dir = \"/var\\u0000\"\n") == "2:13: state_dir " + nul);
  CHECK(problem("[reports]\nurl = \"amqp://h\\u0000/\"\n") == "2:7: url " + nul);
}

TEST_CASE("load: the variables behind reports.url, http.token and sftp passwords are secret") {
  auto c = loaded(
      "[reports]\nurl = \"${RABBIT_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}\"\n"
      "[http]\ntoken = \"${APP_PORT}${TOKEN_SUFFIX:-}\"\n"
      "[sftp.files]\nhost = \"${SFTP_HOST:-h}\"\nuser = \"u\"\npassword = \"${SFTP_PWD:-pw}\"\n"
      "[sftp.other]\nhost = \"h\"\nuser = \"u\"\nidentity = \"${KEY_FILE:-id}\"\n"
      "[[task]]\nname = \"web\"\ncommand = \"serve ${PORT:-80}\"\nenv = { X = \"${X_VAR:-x}\" }\n");
  CHECK(c.secret_vars ==
        std::set<std::string>{"APP_PORT", "RABBIT_URL", "SFTP_PWD", "TOKEN_SUFFIX"});
}

TEST_CASE("load: every address key follows one host:port rule, IPv6 in brackets") {
  const std::string brackets = "an IPv6 address must be written in brackets, as [::1]:8080";
  CHECK(problem(std::string(web) + "ready = { tcp = \"::1:8080\" }\n") ==
        "4:17: ready.tcp \"::1:8080\" must be HOST:PORT: " + brackets);
  CHECK(problem("[http]\nlisten = \"::1:8080\"\n") ==
        "2:10: http.listen \"::1:8080\" must be HOST:PORT: " + brackets);
  CHECK(problem(std::string(web) + "ready = { http = \"http://::1:8080/\" }\n") ==
        "4:18: ready.http \"http://::1:8080/\" must be an http://HOST[:PORT][/PATH] URL: " +
            brackets);
  CHECK(problem(std::string(web) + "health = { http = \"http://::1:8080/\" }\n") ==
        "4:19: health.http \"http://::1:8080/\" must be an http://HOST[:PORT][/PATH] URL: " +
            brackets);
  CHECK(problem("[reports]\nurl = \"amqp://::1:5672/\"\n") == "2:7: reports.url: " + brackets);
  CHECK(problem("[sftp.f]\nhost = \"::1\"\nuser = \"u\"\npassword = \"p\"\n") ==
        "2:8: sftp.f.host \"::1\" must be a host name or address: an IPv6 address must be "
        "written in brackets, as [::1]");

  auto c = loaded(std::string("[http]\nlisten = \"[::1]:8080\"\n[sftp.f]\nhost = \"[::1]\"\n") +
                  "user = \"u\"\npassword = \"p\"\n" + web +
                  "ready = { tcp = \"[::1]:8080\" }\nhealth = { http = \"http://[::1]/h\" }\n");
  CHECK(c.http->listen.host == "::1");
  CHECK(c.http->listen.port == 8080);
  CHECK(c.sftp.at("f").address.host == "::1");
  CHECK(std::get<cfg::ready_tcp>(c.tasks[0].ready).address.host == "::1");
  CHECK(c.tasks[0].health->url.where.host == "::1");
  CHECK(c.tasks[0].health->url.where.port == 80);
}

TEST_CASE("load: task names, namespaces, the supervisor name and sftp endpoints share one rule") {
  const std::string rule = "\" must match [A-Za-z0-9_.-]+ (at most 64)";
  CHECK(problem("[[task]]\nname = \"a b\"\ncommand = \"x\"\n") == "2:8: task name \"a b" + rule);
  CHECK(problem(std::string(web) + "namespace = \"a/b\"\n") == "4:13: namespace \"a/b" + rule);
  CHECK(problem("[supervisor]\nname = \"a:b\"\n") == "2:8: supervisor name \"a:b" + rule);
  CHECK(problem("[sftp.\"a b\"]\nhost = \"h\"\nuser = \"u\"\npassword = \"p\"\n") ==
        "1:1: sftp endpoint name \"a b" + rule);
  const std::string long_name(65, 'n');
  CHECK(problem("[[task]]\nname = \"" + long_name + "\"\ncommand = \"x\"\n") ==
        "2:8: task name \"" + long_name + rule);
  CHECK(problem(std::string(web) + "namespace = \"" + long_name + "\"\n") ==
        "4:13: namespace \"" + long_name + rule);
  CHECK(loaded("[supervisor]\nname = \"a-b_c.1\"\n").supervisor.name == "a-b_c.1");
}

TEST_CASE("load: user is checked as the spawn looks it up: a name or a numeric uid") {
  CHECK(loaded(std::string(web) + "user = \"0\"\n").tasks[0].user == "0");
  CHECK(loaded(std::string(web) + "user = \"root\"\n").tasks[0].user == "root");
  CHECK(problem(std::string(web) + "user = \"99999999999999999999\"\n") ==
        "4:8: user \"99999999999999999999\" does not exist on this system");
  CHECK(problem(std::string(web) + "user = \"no-such-user-here\"\n") ==
        "4:8: user \"no-such-user-here\" does not exist on this system");
}
