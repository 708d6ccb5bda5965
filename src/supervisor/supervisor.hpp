// Owns the event loop and every instance: starts them in dependency order, applies the
// critical-task rule, and runs the shutdown (reverse dependency order, then orphans).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "logs/format.hpp"
#include "logs/output.hpp"
#include "process/reaper.hpp"
#include "supervisor/host.hpp"
#include "supervisor/instance.hpp"

namespace taskmux::supervisor {

struct task_slot {
  const config::task* cfg;
  std::vector<std::unique_ptr<instance>> instances;
  std::vector<std::string> dependents;  ///< tasks whose depends_on names this one
  bool stop_sent = false;               ///< shutdown: stop was requested
};

class supervisor final : public host {
 public:
  struct options {
    bool color = false;  ///< colored text output (taskmux's stdout/stderr is a terminal)
  };

  supervisor(config::config cfg, options opts);
  ~supervisor() override;

  /// Runs until everything is stopped; returns the process exit code (0, or 1 after a fatal
  /// critical task). Must be called once, from the thread that constructed it.
  int run();

  void add_sink(event_sink& s) { sinks_.push_back(&s); }
  /// Begins the shutdown (as SIGTERM does); exit code `code`.
  void shutdown(int code, const std::string& why);

  const config::config& cfg() const { return cfg_; }
  const std::vector<task_slot>& tasks() const { return tasks_; }
  const std::string& run_id() const override { return run_id_; }
  bool shutting_down() const override { return shutting_down_; }
  /// Writes one line of taskmux's own to its stderr.
  void log(std::string_view level, std::string_view text);

  // host
  boost::asio::io_context& loop() override { return loop_; }
  process::reaper& reaper() override { return reaper_; }
  logs::output& out() override { return out_; }
  logs::output& err() override { return err_; }
  const logs::line_format& format() override { return format_; }
  bool deps_ready(const config::task& t) override;
  void emit(const event_record&) override;
  void on_state_change(instance& i) override;

 private:
  void on_signal(int signo);
  void arm_signals();
  void advance_shutdown();
  void stop_orphans();
  /// Sends `signo` to every child that belongs to no instance; returns how many there were.
  size_t signal_orphans(int signo);
  void force_kill();
  void finish();
  task_slot* find(const std::string& name);

  config::config cfg_;
  boost::asio::io_context loop_;
  process::reaper reaper_;
  boost::asio::signal_set signals_;
  logs::output out_;
  logs::output err_;
  logs::line_format format_;
  std::string run_id_;
  std::vector<task_slot> tasks_;
  std::vector<event_sink*> sinks_;

  bool shutting_down_ = false;
  bool orphan_phase_ = false;
  bool finished_ = false;
  int exit_code_ = 0;
  boost::asio::steady_timer shutdown_timer_;
  boost::asio::steady_timer orphan_timer_;
};

}  // namespace taskmux::supervisor
