// The environment a task starts with, as task_launch makes it: who a `user` task runs as.
#include <doctest/doctest.h>

#include <pwd.h>

#include <cstdlib>
#include <optional>
#include <set>
#include <string>

#include "supervisor/launch.hpp"

namespace {

using namespace taskmux;

/// The value of `name` in `t`'s environment, as its spawns get it.
std::optional<std::string> var(const config::task& t, const std::string& name) {
  std::set<std::string> secrets;
  supervisor::task_launch launch(t, secrets);
  for (auto& kv : *launch.env())
    if (kv.starts_with(name + "=")) return kv.substr(name.size() + 1);
  return std::nullopt;
}

/// Taskmux's own HOME, USER and LOGNAME for the time of a test; the real ones back after it.
struct own_identity {
  static constexpr const char* names[] = {"HOME", "USER", "LOGNAME"};
  std::optional<std::string> saved[3];
  own_identity() {
    for (int i = 0; i < 3; ++i) {
      if (const char* v = std::getenv(names[i])) saved[i] = v;
      ::setenv(names[i], i == 0 ? "/root" : "root", 1);
    }
  }
  ~own_identity() {
    for (int i = 0; i < 3; ++i)
      if (saved[i])
        ::setenv(names[i], saved[i]->c_str(), 1);
      else
        ::unsetenv(names[i]);
  }
};

config::task task_as(std::optional<std::string> user) {
  config::task t;
  t.name = "web";
  t.namespace_ = "web";
  t.cmd.argv = {"/bin/true"};
  t.user = std::move(user);
  return t;
}

}  // namespace

TEST_CASE("launch: a task with a user gets its HOME, USER and LOGNAME, not taskmux's") {
  own_identity own;
  struct passwd* pw = ::getpwnam("nobody");
  REQUIRE(pw);
  const std::string home = pw->pw_dir;
  auto t = task_as("nobody");
  CHECK(var(t, "HOME") == home);
  CHECK(var(t, "USER") == "nobody");
  CHECK(var(t, "LOGNAME") == "nobody");
  // By number too: the names come from the passwd entry.
  auto by_uid = task_as(std::to_string(pw->pw_uid));
  CHECK(var(by_uid, "USER") == "nobody");
  CHECK(var(by_uid, "HOME") == home);
  // Also without inheriting taskmux's environment, as Docker and systemd set them.
  t.inherit_env = false;
  CHECK(var(t, "HOME") == home);
  CHECK(var(t, "LOGNAME") == "nobody");
}

TEST_CASE("launch: the task's own env wins over the user's HOME, USER and LOGNAME") {
  own_identity own;
  auto t = task_as("nobody");
  t.env = {{"HOME", "/srv/data"}, {"USER", "app"}};
  CHECK(var(t, "HOME") == "/srv/data");
  CHECK(var(t, "USER") == "app");
  CHECK(var(t, "LOGNAME") == "nobody");
}

TEST_CASE("launch: a task without a user keeps the inherited HOME, USER and LOGNAME") {
  own_identity own;
  auto t = task_as(std::nullopt);
  CHECK(var(t, "HOME") == "/root");
  CHECK(var(t, "USER") == "root");
  CHECK(var(t, "LOGNAME") == "root");
}
