// What an instance needs from the world around it: time, processes, checks, output, and the
// supervisor's view of the other tasks. A seam: the supervisor is the real host, and
// tests/unit/supervisor/instance_test.cpp drives instances through a fake one (fake clock,
// fake processes), as ninja's tests drive its builder through a fake command runner.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/model.hpp"
#include "logs/format.hpp"
#include "logs/output.hpp"
#include "probes/probe.hpp"
#include "process/spawn_service.hpp"
#include "supervisor/events.hpp"
#include "supervisor/launch.hpp"
#include "supervisor/leftovers.hpp"
#include "supervisor/run.hpp"

namespace taskmux::supervisor {

class instance;

/// A one-shot timer on the host's clock. arm() replaces what was armed; cancel() and the
/// destructor drop it: its callback then never runs.
class deadline {
 public:
  virtual ~deadline() = default;
  virtual void arm(std::chrono::milliseconds after, std::function<void()> fire) = 0;
  virtual void cancel() = 0;
};

class host {
 public:
  virtual ~host() = default;
  /// For the instance's log pumps (its output pipes are read on the loop).
  virtual boost::asio::io_context& loop() = 0;
  virtual clock::time_point now() = 0;
  virtual std::unique_ptr<deadline> make_deadline() = 0;
  virtual process::spawn_service& spawns() = 0;
  /// The leftovers tracker of instance `index` of `t`; `changed` as leftovers::find says.
  virtual std::unique_ptr<leftovers> track(const config::task& t, int index, const std::string& label,
                                           std::function<void()> changed) = 0;
  /// One ready or health check attempt (probes::start).
  virtual std::unique_ptr<probes::attempt> probe(const probes::target& t, std::chrono::milliseconds timeout,
                                                 probes::done_fn done) = 0;
  /// Whether the child `pid` has exited, even if its exit has not reached the instance yet.
  virtual bool has_exited(pid_t pid) = 0;
  /// What every instance of `t` starts from (environment, program, user).
  virtual task_launch& launch_of(const config::task& t) = 0;
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
  /// One line of taskmux's own on its stderr ("debug", "info", "warn", "error", "fault").
  virtual void log(std::string_view level, std::string_view text) = 0;
};

}  // namespace taskmux::supervisor
