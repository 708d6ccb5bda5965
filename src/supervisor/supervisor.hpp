// Owns the event loop and every instance: starts them in dependency order, applies the
// critical-task rule, and runs the shutdown (reverse dependency order, then orphans).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <list>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/model.hpp"
#include "logs/format.hpp"
#include "logs/output.hpp"
#include "notify/listener.hpp"
#include "process/reaper.hpp"
#include "process/spawn_service.hpp"
#include "supervisor/config_watch.hpp"
#include "supervisor/heap_trim.hpp"
#include "supervisor/waits.hpp"
#include "supervisor/host.hpp"
#include "supervisor/instance.hpp"
#include "supervisor/task.hpp"

namespace taskmux::supervisor {

/// What came in on the notify sockets (for logs and metrics).
struct notify_counters {
  uint64_t accepted = 0;
  uint64_t refused = 0;  ///< malformed, oversized, nothing understood, or from no instance of the task
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
  /// Writes out what taskmux's stdout and stderr hold, within what is left of the shutdown
  /// budget (a reader that takes nothing is not waited for), and ends their threads.
  void close_output();

  void add_sink(event_sink& s) { sinks_.push_back(&s); }
  void remove_sink(event_sink& s) { std::erase(sinks_, &s); }
  /// What SIGUSR1 does: write the status of every instance to taskmux's log.
  void on_status_request(std::function<void()> f) { status_to_log_ = std::move(f); }
  /// Begins the shutdown (as SIGTERM does); exit code `code`.
  void shutdown(int code, const std::string& why);

  const config::config& cfg() const { return cfg_; }
  /// In config order; tasks a reload removed stay here until they are stopped.
  const std::list<task>& tasks() const { return tasks_; }
  const std::string& run_id() const override { return run_id_; }
  const notify_counters& notify_stats() const { return notify_stats_; }
  /// Children that belonged to no instance, reaped so far (for /metrics).
  uint64_t orphans_reaped() const { return reaper_.orphans_reaped(); }
  bool shutting_down() const override { return phase_ != phase::running; }
  /// `taskmux start|stop|restart`, on the instances of the tasks `names` (every task when
  /// empty). Unknown names: std::invalid_argument naming them; while shutting down:
  /// std::runtime_error. `done` runs later, on the loop, with the instances that did not get
  /// there in time (empty: all did): stop waits until they are stopped (stop_timeout, its
  /// SIGKILL, and a grace for leftovers), start until their spawns came back (or they wait for
  /// a dependency), restart for both in turn. Other instances are not touched.
  using request_done = std::function<void(std::vector<instance*> unsettled)>;
  void start(const std::vector<std::string>& names, request_done done);
  void stop(const std::vector<std::string>& names, request_done done);
  void restart(const std::vector<std::string>& names, request_done done);
  /// What a reload did, by task name.
  struct reload_summary {
    std::vector<std::string> added, removed, restarted, scaled, unchanged;
    /// "[supervisor] name", ...: changed in the file, applied only when taskmux restarts.
    std::vector<std::string> needs_restart;
  };
  /// Applies `next` (a valid config of the same file): added tasks start; removed ones stop
  /// (dependents first) and go; tasks whose settings changed restart; a changed `instances`
  /// starts or stops only the difference; the rest keep their processes and counts. Throws
  /// std::runtime_error while shutting down.
  reload_summary reload(config::config next);
  /// What reload_file() found.
  struct reload_outcome {
    std::optional<reload_summary> applied;  ///< the file was valid
    std::vector<std::string> problems;      ///< else: FILE:LINE:COL: message, each
    std::chrono::microseconds took{0};      ///< on the loop: reading, comparing, applying
  };
  /// Reads the config file again and applies it (reload()), or keeps the running set and
  /// reports every problem (report_config_error). `taskmux reload`, SIGHUP, `watch`.
  reload_outcome reload_file();
  /// A reload met an invalid file: `_fault_<supervisor>` gets a config_error report naming
  /// every problem (`problems`, one per line), and the running set is kept.
  void report_config_error(const std::string& problems);

  /// The instances of `names` (all when empty), in config order; unknown: std::invalid_argument.
  std::vector<instance*> instances_of(const std::vector<std::string>& names);
  /// The same, leaving out names that are no longer tasks (a reload removed them meanwhile).
  std::vector<instance*> existing_instances_of(const std::vector<std::string>& names);
  /// Every line of task `name`'s output, as the console shows it, also goes to `line` until
  /// unfollow(name, returned id); `end` runs if a reload removes or replaces the task (its
  /// output ends there). Unknown name: std::invalid_argument.
  uint64_t follow(const std::string& name, std::function<void(std::string_view)> line, std::function<void()> end);
  void unfollow(const std::string& name, uint64_t id);

  /// Gives the heap's free pages back once things are quiet: after a burst of work that
  /// allocated and freed much (state changes, a status snapshot).
  heap_trim& trim() { return heap_trim_; }
  /// Writes one line of taskmux's own to its stderr. Any thread.
  void log(std::string_view level, std::string_view text) override;

  // host
  boost::asio::io_context& loop() override { return loop_; }
  clock::time_point now() override { return clock::now(); }
  std::unique_ptr<deadline> make_deadline() override;
  process::spawn_service& spawns() override { return spawns_; }
  std::unique_ptr<leftovers> track(const config::task& t, int index, const std::string& label,
                                   std::function<void()> changed) override;
  std::unique_ptr<probes::attempt> probe(const probes::target& t, std::chrono::milliseconds timeout,
                                         probes::done_fn done) override;
  bool has_exited(pid_t pid) override;
  task_launch& launch_of(const config::task& t) override { return task_of(t).launch; }
  logs::output& out() override { return out_; }
  logs::output& err() override { return err_; }
  const logs::line_format& format() override { return format_; }
  bool deps_ready(const config::task& t) override;
  std::string failed_dependency(const config::task& t) override;
  void emit(const event_record&) override;
  void on_state_change(instance& i) override;

 private:
  /// Binds every task's notify socket; false (after logging why) when it cannot.
  bool open_notify_sockets();
  void on_notify(task& t, const notify::listener::datagram& d);
  /// The instance of `t` that sent `pid`'s datagram; null when it is none of them.
  instance* sender_of(task& t, pid_t pid);
  void refuse_notify(task& t, pid_t pid, const std::string& why);
  void on_signal(int signo);
  void arm_signals();
  /// Turns cgroup tracking on when a child cgroup can be made; logs which way it went.
  void open_cgroups();
  /// Takes `<state_dir>/run.lock`; stops what the run a killed taskmux named there left.
  void take_run_lock();
  void stop_strays(const std::string& dead_run);
  /// What a changed instance means for the others: dependents, the critical rule, shutdown.
  void after_change(instance& i);
  /// Handles the queued changes; one at a time, so a chain of them never recurses.
  void drain_changes();
  /// Shutdown: one more task whose instances are all idle; its dependencies may stop now.
  void on_task_idle(task& t);
  void stop_task(task& t);
  void stop_orphans();
  /// Sends `signo` to every child that belongs to no instance; returns how many there were.
  size_t signal_orphans(int signo);
  /// SIGKILL to everything now, each instance that had processes reported as a fault naming `why`.
  void force_kill(const std::string& why);
  void finish();
  task& task_of(const config::task& t) { return *by_config_.at(&t); }
  /// Adds a task before `where`, with its instances and notify socket (not linked, not started).
  task& add_task(const config::task& c, std::list<task>::iterator where);
  void open_notify(task& t);
  /// Rebuilds the name index and the dependency graph of the live tasks.
  void link_tasks();
  /// Reload: `gone` stop, each once no retiring task that depends on it still runs.
  void retire(const std::vector<task*>& gone);
  void stop_retiring(task& t);
  /// Removes what a reload retired once it is idle, brings back replacements, drops scaled-away
  /// instances. Posted: never inside an instance's own handling.
  void settle_retired();
  void post_settle();
  /// start() without the name check: for a restart, whose names may have gone meanwhile.
  void start_existing(const std::vector<std::string>& names, request_done done);
  /// Sends every line of `t`'s instances to its followers.
  void tap_followers(task& t);
  /// Starts or stops watching the config file, as [supervisor] watch says now.
  void apply_watch();

  config::config cfg_;
  boost::asio::io_context loop_;
  process::reaper reaper_;
  boost::asio::signal_set signals_;
  logs::output out_;
  logs::output err_;
  logs::line_format format_;
  std::string run_id_;
  std::unique_ptr<class run_lock> run_lock_;
  std::unique_ptr<process::cgroup_tree> cgroups_;  ///< before tasks_: instances go first
  std::list<task> tasks_;  ///< stable addresses: instances and callbacks keep references
  std::unordered_map<std::string_view, task*> index_;  ///< live (not retiring) tasks by name
  std::unordered_map<const config::task*, task*> by_config_;  ///< every task, by its own config
  bool settle_posted_ = false;
  std::unique_ptr<config_watch> watch_;
  std::deque<instance*> changed_;  ///< instances whose state changed, not yet handled
  bool draining_ = false;
  size_t busy_tasks_ = 0;  ///< shutdown: tasks with an instance that is not idle yet
  /// After tasks_, so it is joined before the instances whose buffers its jobs borrow go.
  process::spawner spawner_;
  process::os_spawn_service spawns_;
  std::vector<event_sink*> sinks_;
  std::function<void()> status_to_log_;
  std::unique_ptr<notify::socket_directory> notify_dir_;
  notify_counters notify_stats_;

  /// Where the supervisor is: supervising; stopping the tasks (reverse dependency order);
  /// stopping the orphans left when every task is idle; finished (the loop is stopped).
  enum class phase { running, stopping_tasks, stopping_orphans, finished };
  phase phase_ = phase::running;
  int exit_code_ = 0;
  std::chrono::steady_clock::time_point shutdown_deadline_{};
  boost::asio::steady_timer shutdown_timer_;
  boost::asio::steady_timer orphan_timer_;
  heap_trim heap_trim_{loop_};
  waits waits_{loop_};
  uint64_t next_follower_ = 0;
};

}  // namespace taskmux::supervisor
