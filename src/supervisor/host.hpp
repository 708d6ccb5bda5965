// What an instance needs from the supervisor that owns it; a seam so instances can be driven
// in tests without the whole supervisor.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "logs/format.hpp"
#include "logs/output.hpp"
#include "process/cgroup.hpp"
#include "process/reaper.hpp"
#include "process/spawner.hpp"
#include "supervisor/events.hpp"

namespace taskmux::supervisor {

class instance;

class host {
 public:
  virtual ~host() = default;
  virtual boost::asio::io_context& loop() = 0;
  virtual process::reaper& reaper() = 0;
  virtual process::spawner& spawner() = 0;
  virtual logs::output& out() = 0;
  virtual logs::output& err() = 0;
  virtual const logs::line_format& format() = 0;
  virtual const std::string& run_id() const = 0;
  /// Every depends_on task of `t` is ready.
  virtual bool deps_ready(const config::task& t) = 0;
  /// Why `t` cannot start: "db[0] is fatal", ...; "" while no depends_on task failed for good.
  virtual std::string failed_dependency(const config::task& t) = 0;
  virtual void emit(const event_record&) = 0;
  /// Stopping everything: no restart, no new start.
  virtual bool shutting_down() const = 0;
  /// After every transition that changed the state of `i`, and after its spawn came back.
  virtual void on_state_change(instance& i) = 0;
  /// NOTIFY_SOCKET for the instances of `t` ("" when there is none).
  virtual std::string notify_socket(const config::task& t) = 0;
  /// The environment all instances of `t` share ("K=V": inherited, config, TASK_NAME, ...;
  /// all but TASK_INSTANCE and the instance mark), built once per task.
  virtual std::shared_ptr<const std::vector<std::string>> task_env(const config::task& t) = 0;
  /// Where the program of `t` is (argv[0] looked up in the PATH of task_env), looked up once
  /// per task, not per instance; "" while it cannot be found (asked again at the next spawn).
  virtual std::string program(const config::task& t) = 0;
  /// The run's cgroup directory; nullptr when cgroup tracking is off.
  virtual process::cgroup_tree* cgroups() = 0;
  /// One line of taskmux's own on its stderr.
  virtual void log(std::string_view level, std::string_view text) = 0;
};

}  // namespace taskmux::supervisor
