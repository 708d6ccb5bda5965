// One running copy of a task: turns the pure lifecycle's actions into spawns, signals,
// timers and events. Lives on the loop thread; owned by supervisor.
#pragma once

#include <sys/types.h>

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "logs/pump.hpp"
#include "logs/ring.hpp"
#include "notify/datagram.hpp"
#include "probes/probe.hpp"
#include "process/spawn.hpp"
#include "supervisor/host.hpp"
#include "supervisor/lifecycle.hpp"
#include "supervisor/restart_policy.hpp"

namespace taskmux::supervisor {

class instance final : public logs::line_sink {
 public:
  /// `cfg` must outlive the instance.
  instance(host& h, const config::task& cfg, int index);
  ~instance() override;
  instance(const instance&) = delete;
  instance& operator=(const instance&) = delete;

  /// Feeds one lifecycle event and carries out the resulting actions.
  void handle(event e);
  /// Asks it to stop (marks the stop as requested, so it ends in `stopped`).
  void request_stop();
  /// SIGKILL to everything of it now (shutdown deadline).
  void kill_now();
  /// A notify datagram that came from one of its processes.
  void on_notify(const notify::message& m);

  const config::task& task() const { return cfg_; }
  int index() const { return index_; }
  const std::string& label() const { return label_; }  ///< "web[0]"
  enum state state() const { return state_; }
  pid_t pid() const { return pid_; }
  pid_t pgid() const { return pgid_; }
  const std::string& mark() const { return mark_; }  ///< TASKMUX_INSTANCE of the current run
  /// Its main process or something it left behind is alive.
  bool has_processes() const { return pid_ != 0 || has_leftovers_; }
  /// Handed to the spawner, pid not known yet: its child may already run (and notify).
  bool is_spawning() const { return spawning_; }
  const std::optional<std::string>& status_text() const { return status_; }  ///< last STATUS=
  int restarts() const { return restarts_; }
  std::optional<std::chrono::system_clock::time_point> started_at() const { return started_wall_; }
  std::optional<exit_status> last_exit() const { return last_exit_; }
  std::optional<std::chrono::system_clock::time_point> last_exit_at() const { return last_exit_wall_; }
  std::optional<std::chrono::system_clock::time_point> next_run() const;
  const logs::ring& recent() const { return recent_; }
  /// Stopped, exited or fatal: nothing of it runs and nothing is scheduled.
  bool is_idle() const;
  /// Ready, or as good as ready for dependents (looped between runs, exited 0 with "never").
  bool counts_as_ready() const;
  /// Fatal, or exited with a failure and not restarting: its dependents cannot start.
  bool has_failed_for_good() const;
  /// The shutdown had to SIGKILL something of it.
  bool needed_kill() const { return needed_kill_; }

  // logs::line_sink
  void on_line(logs::stream from, std::string_view line) override;
  void on_batch_end(logs::stream from) override;
  void on_eof(logs::stream from) override;

 private:
  facts current_facts();
  void apply(const transition& t);
  void perform(action a);
  /// Prepares a run and hands it to the spawner; on_spawn_done() gets the result.
  void spawn();
  void on_spawn_done(process::spawn_result result, int out_read, int err_read);
  void fail_spawn();
  void signal_stop();
  void kill_group();
  void on_main_exit(int wait_status);
  void on_leftover_exit();
  bool collect_leftovers();
  bool collect_cgroup_leftovers();
  void signal_cgroup(int sig);
  /// cgroup.procs of the instance's leaf (made at the first spawn) for this spawn, or -1: no
  /// cgroup tracking, or `error` set when the leaf cannot be opened.
  int open_cgroup_join(int& error);
  void arm_deadline(std::chrono::milliseconds after, std::function<void()> fire);
  void arm_ready_check();
  void run_ready_probe();
  void arm_health_check(std::chrono::milliseconds after);
  void run_health_probe();
  void arm_watchdog();
  void cancel_timers();
  /// Ends of runs say how long they lasted; restarts how long they wait.
  struct report_timing {
    std::optional<std::chrono::milliseconds> run_time;
    std::optional<std::chrono::milliseconds> delay;
  };
  void report(const char* event, route to, std::string message, report_timing timing = {});
  std::string exit_text() const;
  void prepare_launch();

  host& host_;
  const config::task& cfg_;
  int index_;
  std::string label_;
  enum state state_ = state::stopped;

  pid_t pid_ = 0;       ///< main process, 0 when none
  pid_t pgid_ = 0;      ///< process group of the current/last run
  std::string mark_;    ///< TASKMUX_INSTANCE value of the current run
  std::set<pid_t> leftovers_;
  std::optional<process::cgroup_leaf> cgroup_;  ///< its leaf, made at the first spawn when tracking is on
  bool cgroup_tried_ = false;
  bool tracked_ = false;  ///< this run's main process joined cgroup_: leftovers = its members
  int cgroup_watch_ = -1;
  bool has_leftovers_ = false;
  bool stop_requested_ = false;
  bool run_failed_ = false;
  std::string failure_reason_;  ///< "timed out after 10s", "health check failed", ...
  std::string blocked_by_;      ///< which dependency failed, while it keeps this one from starting
  bool needed_kill_ = false;  ///< SIGKILL sent during the shutdown
  bool killing_ = false;        ///< SIGKILL phase: leftovers found now get SIGKILL too
  std::string spawn_error_;
  /// Built once per instance (a restart reuses them): argv with argv[0] resolved in PATH,
  /// the environment, and where in it the per-spawn TASKMUX_INSTANCE mark sits.
  std::vector<std::string> argv_;
  std::shared_ptr<const std::vector<std::string>> shared_env_;  ///< the task's (host::task_env)
  std::string instance_var_;  ///< TASK_INSTANCE=i
  std::string mark_var_;      ///< TASKMUX_INSTANCE=<mark of this run>
  std::vector<const char*> env_;  ///< the whole environment: shared_env_, then the two above
  size_t mark_index_ = 0;
  std::optional<process::identity> user_;  ///< looked up with the rest, not at every restart
  bool in_spawn_ = false;
  bool spawning_ = false;          ///< the spawner has this instance's spawn
  std::vector<std::function<void()>> deferred_;  ///< events and notify messages while spawning_

  int restarts_ = 0;
  int attempt_ = 0;  ///< consecutive failed runs, for the backoff
  uint64_t spawn_count_ = 0;
  start_history history_;
  clock::time_point run_started_{};
  std::optional<std::chrono::system_clock::time_point> started_wall_;
  std::optional<exit_status> last_exit_;
  std::optional<std::chrono::system_clock::time_point> last_exit_wall_;
  std::chrono::milliseconds last_run_time_{0};
  std::chrono::milliseconds pending_delay_{0};
  clock::time_point next_run_{};
  bool late_ = false;

  boost::asio::steady_timer deadline_;
  boost::asio::steady_timer ready_timer_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer health_timer_;
  std::unique_ptr<probes::attempt> probe_;  ///< the ready or health check in flight
  int health_failures_ = 0;                 ///< in a row
  std::optional<std::string> status_;  ///< last STATUS= of this run
  std::optional<int> reported_errno_;  ///< last ERRNO= of this run
  uint64_t deadline_gen_ = 0;
  std::vector<std::shared_ptr<logs::pump>> pumps_;
  std::string staged_out_, staged_err_;
  size_t staged_out_lines_ = 0, staged_err_lines_ = 0;
  logs::ring recent_;
  uint64_t err_lines_ = 0;           ///< stderr lines ever received
  uint64_t err_lines_at_spawn_ = 0;  ///< ... when the current run started
  std::minstd_rand rng_;  ///< jitter only: 8 bytes of state, not mt19937's 5,000 per instance
};

}  // namespace taskmux::supervisor
