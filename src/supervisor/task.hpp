// One [[task]] of the config at run time: its instances, its place in the dependency graph,
// its notify socket, what its instances share, and the shutdown's count of it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "notify/listener.hpp"
#include "supervisor/instance.hpp"
#include "supervisor/launch.hpp"

namespace taskmux::supervisor {

struct task {
  /// Both must outlive it.
  task(const config::task& c, const std::set<std::string>& secret_vars) : cfg(&c), launch(c, secret_vars) {}

  const config::task* cfg;
  std::vector<std::unique_ptr<instance>> instances;
  std::vector<size_t> deps;        ///< indices of its depends_on tasks
  std::vector<size_t> dependents;  ///< indices of the tasks whose depends_on names it
  task_launch launch;              ///< environment, program and user its instances share
  std::unique_ptr<notify::listener> notify;  ///< its NOTIFY_SOCKET
  uint64_t notify_refused_unlogged = 0;      ///< refused datagrams since the last warning
  std::chrono::steady_clock::time_point notify_warned_at{};
  /// `taskmux logs -f` readers of its output, by id.
  std::map<uint64_t, std::function<void(std::string_view)>> followers;
  // The shutdown's bookkeeping: a task stops once none of its dependents has anything left.
  bool stop_sent = false;
  bool busy = false;               ///< one of its instances is not idle yet
  size_t busy_dependents = 0;      ///< dependents that are busy
};

}  // namespace taskmux::supervisor
