// One copy of a task: the interpreter of its lifecycle. Feeds each event with the facts it
// knows to the pure table (lifecycle.hpp) and carries out the actions through its parts:
// launch (spawn requests), leftovers (its processes), checks (ready, health, watchdog),
// report_text (the sentences) and instance_output (its lines). Loop thread only; owned by
// the supervisor, which it reaches through `host`.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <variant>

#include "config/model.hpp"
#include "logs/ring.hpp"
#include "notify/datagram.hpp"
#include "supervisor/checks.hpp"
#include "supervisor/host.hpp"
#include "supervisor/instance_output.hpp"
#include "supervisor/launch.hpp"
#include "supervisor/leftovers.hpp"
#include "supervisor/lifecycle.hpp"
#include "supervisor/report_text.hpp"
#include "supervisor/restart_policy.hpp"
#include "supervisor/run.hpp"

namespace taskmux::supervisor {

class instance final {
 public:
  /// `cfg` must outlive the instance.
  instance(host& h, const config::task& cfg, int index);
  ~instance();
  instance(const instance&) = delete;
  instance& operator=(const instance&) = delete;

  /// Feeds one lifecycle event and carries out the resulting actions.
  void handle(event e);
  /// Asks it to stop (marks the stop as requested, so it ends in `stopped`).
  void request_stop();
  /// `taskmux start`: feeds `start`. A fatal instance forgets its start history and backoff
  /// first, so it gets a whole start_limit again.
  void request_start();
  /// The shutdown cannot wait (`why`: "shutdown_timeout (30s) passed"): feeds `kill`, which
  /// SIGKILLs whatever runs and reports it (docs/lifecycle.md).
  void kill_now(const std::string& why);
  /// A notify datagram that came from one of its processes (see owns()).
  void on_notify(const notify::message& m);
  /// `p` may speak for this instance: a process of its current run (the main process, its
  /// group, its mark; while the spawn is under way, its mark).
  bool owns(const process::process_view& p) const;

  const config::task& task() const { return cfg_; }
  int index() const { return index_; }
  const std::string& label() const { return label_; }  ///< "web[0]"
  enum state state() const { return state_; }
  pid_t pid() const { return run_.pid; }
  /// Its main process or something it left behind is alive.
  bool has_processes() const { return run_.pid != 0 || run_.has_leftovers; }
  const std::optional<std::string>& status_text() const { return run_.status; }  ///< last STATUS=
  int restarts() const { return restarts_; }
  std::optional<std::chrono::system_clock::time_point> started_at() const { return run_.started_wall; }
  std::optional<exit_status> last_exit() const { return last_exit_; }
  std::optional<std::chrono::system_clock::time_point> last_exit_at() const { return last_exit_wall_; }
  /// Every exit of its main process so far, by code or signal (for /metrics).
  const exit_tally& exits() const { return exits_; }
  std::optional<std::chrono::system_clock::time_point> next_run() const;
  const logs::ring& recent() const { return output_.recent(); }
  /// Stopped, exited or fatal, and no spawn under way: nothing of it runs or is scheduled.
  bool is_idle() const;
  /// A spawn was handed over and its news has not come back yet.
  bool is_spawning() const { return spawning_; }
  /// Every line of its output, as it comes, also goes to `tap` (`taskmux logs -f`); empty: none.
  void tap_output(instance_output::tap_fn tap) { output_.tap(std::move(tap)); }
  /// Its stdout and stderr lines as the console shows them ("web[0] | text\n"), the last `n`.
  std::string recent_text(size_t n) const { return output_.recent_text(n); }
  /// Ready, or as good as ready for dependents (looped between runs, exited 0 with "never").
  bool counts_as_ready() const;
  /// Fatal, or exited with a failure and not restarting: its dependents cannot start.
  bool has_failed_for_good() const;
  /// The shutdown had to SIGKILL something of it.
  bool needed_kill() const { return run_.needed_kill; }

 private:
  /// What waits while a spawn is under way: lifecycle events and notify messages, in order.
  using held = std::variant<event, notify::message>;

  /// `failure`: the run fails for this reason if the event applies (a timeout, a check).
  void handle(event e, std::string failure);
  facts current_facts();
  void perform(action a, event e);
  void spawn();
  void on_spawn_done(process::spawn_result r, int join_error);
  /// The spawned process is up: its run begins.
  void begin_run(pid_t pid, int join_error);
  void on_main_exit(int wait_status);
  void on_leftovers_changed();
  /// What a process of the run found now gets: the stop signal while stopping, SIGKILL once
  /// that failed, nothing otherwise.
  int signal_for_found() const;
  void signal_stop();
  void kill_group();
  void report(action a);
  void emit(const report_line& l);

  host& host_;
  const config::task& cfg_;
  int index_;
  std::string label_;
  enum state state_ = state::stopped;
  run run_;
  launch launch_;
  std::unique_ptr<leftovers> leftovers_;
  std::unique_ptr<checks> checks_;  ///< of the current run, while its process is up
  instance_output output_;
  bool spawning_ = false;                  ///< a spawn was handed over and has not come back
  std::unique_ptr<launch::prepared> in_flight_;  ///< what that spawn borrows (only while it runs)
  std::list<held> held_;  ///< allocates only once something waits (a deque allocates at once)
  std::unique_ptr<deadline> deadline_;  ///< backoff, next cycle, run timeout, stop timeout, kill re-check

  // Across runs
  int restarts_ = 0;
  int attempt_ = 0;  ///< consecutive failed runs, for the backoff
  uint64_t spawns_ = 0;
  start_history history_;
  std::optional<exit_status> last_exit_;
  exit_tally exits_;
  std::optional<std::chrono::system_clock::time_point> last_exit_wall_;
  std::chrono::milliseconds pending_delay_{0};
  clock::time_point next_run_{};
  std::string blocked_by_;  ///< which dependency failed, while it keeps this one from starting
  std::string forced_by_;   ///< why the shutdown SIGKILLs it (kill_now)
  std::minstd_rand rng_;    ///< jitter only: 8 bytes of state, not mt19937's 5,000 per instance
};

}  // namespace taskmux::supervisor
