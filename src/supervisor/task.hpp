// One [[task]] of the config at run time: its own copy of its config, its instances, its place
// in the dependency graph, its notify socket, what its instances share, and the bookkeeping of
// a shutdown or a reload that stops it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "notify/listener.hpp"
#include "supervisor/instance.hpp"
#include "supervisor/launch.hpp"

namespace taskmux::supervisor {

struct task {
  /// Its own copies: a reload replaces the supervisor's config, never what a running task uses.
  task(config::task c, std::set<std::string> secrets)
      : config(std::move(c)), secret_vars(std::move(secrets)), cfg(&config), launch(config, secret_vars) {}
  task(const task&) = delete;
  task& operator=(const task&) = delete;

  config::task config;
  std::set<std::string> secret_vars;  ///< taskmux's own secrets' variables, as its config had them
  const config::task* cfg;            ///< &config
  std::vector<std::unique_ptr<instance>> instances;
  std::vector<task*> deps;        ///< its depends_on tasks
  std::vector<task*> dependents;  ///< the tasks whose depends_on names it
  task_launch launch;             ///< environment, program and user its instances share
  std::unique_ptr<notify::listener> notify;  ///< its NOTIFY_SOCKET
  uint64_t notify_refused_unlogged = 0;      ///< refused datagrams since the last warning
  std::chrono::steady_clock::time_point notify_warned_at{};
  /// A `taskmux logs -f` reader of its output: each line, and the end (the task went away).
  struct follower {
    std::function<void(std::string_view)> line;
    std::function<void()> end;
  };
  std::map<uint64_t, follower> followers;  ///< by id
  // The shutdown's bookkeeping: a task stops once none of its dependents has anything left.
  bool stop_sent = false;
  bool busy = false;               ///< one of its instances is not idle yet
  size_t busy_dependents = 0;      ///< dependents that are busy
  // A reload's: a removed or changed task stops (its dependents among them first), then goes;
  // a changed one comes back from `replacement`. Instances from `keep` on are scaled away.
  bool retiring = false;
  bool retire_sent = false;             ///< its instances were asked to stop
  size_t retiring_dependents = 0;       ///< retiring tasks that depend on it and still run
  std::optional<config::task> replacement;
  size_t keep = SIZE_MAX;
};

}  // namespace taskmux::supervisor
