// The warning about a program that is not there: which word of a shell command is looked up,
// and where the lookup looked, from the task's PATH, workdir and user. Files in a temp dir.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "supervisor/config_warnings.hpp"

namespace {

namespace fs = std::filesystem;
using namespace taskmux;
using supervisor::missing_programs;
using supervisor::shell_program;

/// A temp dir with bin/app (0755) and bin/secret (0700, taskmux's own), removed at the end.
struct app_dir {
  fs::path dir;
  app_dir() {
    char name[] = "/tmp/config-warnings-XXXXXX";
    REQUIRE(::mkdtemp(name));
    dir = name;
    fs::create_directories(dir / "bin");
    for (auto& d : {dir, dir / "bin"})
      fs::permissions(d, fs::perms(0755));
    executable("bin/app", 0755);
    executable("bin/secret", 0700);
  }
  ~app_dir() { fs::remove_all(dir); }
  void executable(const std::string& rel, int mode) {
    int fd = ::open((dir / rel).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    ::close(fd);
    fs::permissions(dir / rel, fs::perms(mode));
  }
};

config::task task(std::string name, std::vector<std::string> argv, bool shell = false) {
  config::task t;
  t.name = t.namespace_ = std::move(name);
  t.cmd = {std::move(argv), shell};
  t.workdir = "/";
  return t;
}

/// The warnings of a config of these tasks, each task's command on line 10 + its index.
config::diagnostics warnings(std::vector<config::task> tasks) {
  config::config c;
  c.file = "/srv/config.toml";
  for (size_t i = 0; i < tasks.size(); ++i)
    c.command_at.push_back({static_cast<int>(10 + i), 11});
  c.tasks = std::move(tasks);
  return missing_programs(c, "config.toml");
}

}  // namespace

TEST_CASE("config warnings: the first word of a shell command is a program only when plain") {
  CHECK(shell_program("python3 app.py") == "python3");
  CHECK(shell_program("  ./run.sh --port 80") == "./run.sh");
  CHECK(shell_program("bin/app>log") == "bin/app");
  CHECK(shell_program("gunicorn;echo done") == "gunicorn");
  CHECK(shell_program("exec python3 app.py") == "");  // builtins and keywords
  CHECK(shell_program("cd /srv && ./app") == "");
  CHECK(shell_program("if true; then x; fi") == "");
  CHECK(shell_program(". ./env.sh; app") == "");
  CHECK(shell_program("PORT=80 app") == "");   // an assignment
  CHECK(shell_program("$APP --serve") == "");  // expansions, quotes, globs, tilde
  CHECK(shell_program("${APP}") == "");
  CHECK(shell_program("\"my app\" x") == "");
  CHECK(shell_program("'app'") == "");
  CHECK(shell_program("~/bin/app") == "");
  CHECK(shell_program("bin/*.sh") == "");
  CHECK(shell_program("`which app`") == "");
  CHECK(shell_program("(app)") == "");
  CHECK(shell_program("f() { app; }; f") == "");
  CHECK(shell_program("   ") == "");
}

TEST_CASE("config warnings: a program missing from the task's PATH is named, with that PATH") {
  app_dir d;
  auto found = task("ok", {"app"});
  found.env = {{"PATH", (d.dir / "bin").string()}};
  auto missing = task("web", {"pyhton3", "app.py"});
  missing.env = {{"PATH", (d.dir / "bin").string() + ":/usr/bin"}};
  auto w = warnings({found, missing});
  REQUIRE(w.size() == 1);
  CHECK(w[0].is_warning);
  CHECK(w[0].line == 11);
  CHECK(w[0].column == 11);
  CHECK(config::format(w[0]) ==
        "config.toml:11:11: warning: task \"web\": no executable program \"pyhton3\" "
        "in PATH " +
            (d.dir / "bin").string() + ":/usr/bin (set in the task's env)");
}

TEST_CASE(
    "config warnings: without PATH in its env a task searches taskmux's own, or the default") {
  auto own = task("web", {"surely-not-installed-anywhere"});
  auto w = warnings({own});
  REQUIRE(w.size() == 1);
  CHECK(
      w[0].message.ends_with(" in PATH " + std::string(std::getenv("PATH")) + " (taskmux's own)"));
  own.inherit_env = false;
  w = warnings({own});
  REQUIRE(w.size() == 1);
  CHECK(w[0].message.ends_with(
      " in PATH /usr/local/bin:/usr/bin:/bin (the default: the task gets no PATH)"));
}

TEST_CASE("config warnings: a relative program is looked for under the workdir") {
  app_dir d;
  auto here = task("here", {"bin/app"});
  here.workdir = d.dir;
  auto elsewhere = task("elsewhere", {"bin/app"});
  elsewhere.workdir = d.dir / "bin";
  auto w = warnings({here, elsewhere});
  REQUIRE(w.size() == 1);
  CHECK(w[0].message == "task \"elsewhere\": no executable program \"bin/app\": looked for " +
                            (d.dir / "bin/bin/app").string() + " (relative to its workdir)");
  auto absolute = task("abs", {(d.dir / "bin/nothing").string()});
  w = warnings({absolute});
  REQUIRE(w.size() == 1);
  CHECK(w[0].message ==
        "task \"abs\": no executable program \"" + (d.dir / "bin/nothing").string() + "\"");
}

TEST_CASE("config warnings: a shell command's plain first word is looked up as sh will") {
  app_dir d;
  auto script = task("s", {"/bin/sh", "-c", "./bin/app --port 80 && nope"}, true);
  script.workdir = d.dir;
  auto typo = task("t", {"/bin/sh", "-c", "pyhton3 app.py"}, true);
  auto builtin = task("b", {"/bin/sh", "-c", "exec pyhton3 app.py"}, true);
  auto w = warnings({script, typo, builtin});
  REQUIRE(w.size() == 1);
  CHECK(w[0].message.starts_with("task \"t\": no executable program \"pyhton3\" in PATH "));
}

TEST_CASE("config warnings: a task with a user looks the program up as that user") {
  if (::geteuid() != 0) return;  // bin/secret must be another user's to keep nobody out
  app_dir d;
  auto t = task("web", {"secret"});
  t.env = {{"PATH", (d.dir / "bin").string()}};
  CHECK(warnings({t}).empty());  // taskmux's own user may run it
  t.user = "nobody";
  auto w = warnings({t});
  REQUIRE(w.size() == 1);
  CHECK(w[0].message ==
        "task \"web\": no executable program \"secret\" for user \"nobody\" in PATH " +
            (d.dir / "bin").string() + " (set in the task's env)");
  t.cmd.argv = {"app"};
  CHECK(warnings({t}).empty());
}

TEST_CASE("config warnings: tasks that run one program are each looked up with their own PATH") {
  app_dir d;
  auto found = task("found", {"app"});
  found.env = {{"PATH", (d.dir / "bin").string()}};
  auto missing = task("missing", {"app"});
  missing.env = {{"PATH", "/nonexistent"}};
  auto w = warnings({found, missing, found});
  REQUIRE(w.size() == 1);
  CHECK(w[0].message.starts_with("task \"missing\": "));
  w = warnings({missing, found, missing});
  CHECK(w.size() == 2);
}
