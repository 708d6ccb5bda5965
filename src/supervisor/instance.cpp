#include "supervisor/instance.hpp"

#include <signal.h>

#include "config/duration.hpp"
#include "logs/format.hpp"

namespace taskmux::supervisor {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

/// Re-check for leftovers this often once SIGKILL was sent: their exits may not reach us
/// (a group member whose parent is not ours), so this is the one deadline-driven check.
constexpr milliseconds kill_recheck{250};

/// How many of the last stderr lines a fault report carries.
constexpr uint64_t fault_output_lines = 20;

/// A looped run that begins more than this after its planned time is reported as late.
constexpr milliseconds late_after{50};

/// A main process that exits 0 this soon and leaves processes running has put itself in the
/// background (nginx without `daemon off;`, `pg_ctl start`): said as such.
constexpr milliseconds daemon_window{1000};

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};

}  // namespace

instance::instance(host& h, const config::task& cfg, int index)
    : host_(h),
      cfg_(cfg),
      index_(index),
      label_(cfg.name + "[" + std::to_string(index) + "]"),
      launch_(h.launch_of(cfg), cfg, index),
      leftovers_(h.track(cfg, index, label_, [this] { on_leftovers_changed(); })),
      output_(cfg.name, index, label_),
      deadline_(h.make_deadline()),
      // The run id is random once per run: hashing it with the label seeds every instance
      // differently without asking the kernel for entropy 500 times at start.
      rng_(static_cast<std::minstd_rand::result_type>(std::hash<std::string>{}(h.run_id() + label_))) {
  output_.connect(h.loop(), h.out(), h.err(), h.format());
}

instance::~instance() = default;

void instance::handle(event e) { handle(e, {}); }

void instance::handle(event e, std::string failure) {
  auto t = next(state_, e, current_facts());
  if (!t.applies) {
    host_.log("debug", label_ + ": " + std::string(to_string(e)) + " ignored in state " +
                           std::string(to_string(state_)));
    return;
  }
  // The spawn's news ends the spawn: what follows (even a new spawn) is no longer held.
  if (e == event::spawned || e == event::spawn_failed) spawning_ = false;
  if (!failure.empty()) {
    run_.failed = true;
    run_.failure_reason = std::move(failure);
  }
  auto before = state_;
  state_ = t.next;
  for (auto a : t.actions)
    if (a != action::none) perform(a, e);
  if (state_ != before) host_.on_state_change(*this);
}

void instance::request_stop() {
  run_.stop_requested = true;
  handle(event::stop);
}

void instance::request_start() {
  run_.stop_requested = false;
  if (state_ == state::fatal) {
    history_.clear();
    attempt_ = 0;
  }
  handle(event::start);
}

void instance::kill_now(const std::string& why) {
  forced_by_ = why;
  handle(event::kill);
}

facts instance::current_facts() {
  facts f;
  f.spawning = spawning_;
  f.is_looped = cfg_.is_looped();
  f.deps_ready = host_.deps_ready(cfg_);
  blocked_by_ = f.deps_ready ? std::string() : host_.failed_dependency(cfg_);
  f.deps_failed = !blocked_by_.empty();
  f.stop_requested = run_.stop_requested || host_.shutting_down();
  f.has_leftovers = run_.has_leftovers;
  f.exit_reported = run_.exit_reported;
  f.daemonized = run_.pid == 0 && run_.has_leftovers && !run_.stop_requested && last_exit_ &&
                 last_exit_->is_success() && run_.length < daemon_window;
  f.killing = run_.killing;
  f.run_failed = run_.failed;
  f.wants_restart = wants_restart(cfg_.restart, run_.failed);
  auto now = host_.now();
  if (f.wants_restart && !f.is_looped) {
    f.start_limit_hit = history_.would_exceed(cfg_.start_limit, now);
    std::uniform_real_distribution<double> jitter(-1.0, 1.0);
    f.backoff_delay = backoff_delay(cfg_.backoff, attempt_, jitter(rng_));
  }
  if (f.is_looped) f.until_next_cycle = duration_cast<milliseconds>(next_run_ - now);
  pending_delay_ = f.backoff_delay;
  return f;
}

void instance::perform(action a, event e) {
  switch (a) {
    case action::none: break;
    case action::spawn: spawn(); break;
    case action::hold: held_.push_back(e); break;
    case action::arm_ready_check:
      if (checks_) checks_->arm_ready();
      break;
    case action::arm_health_check:
      if (checks_) checks_->arm_health();
      break;
    case action::arm_run_timeout:
      if (cfg_.timeout)
        deadline_->arm(*cfg_.timeout, [this] {
          handle(event::run_timeout, "timed out after " + config::format_duration(*cfg_.timeout));
        });
      break;
    case action::signal_stop: signal_stop(); break;
    case action::kill_group: kill_group(); break;
    case action::arm_backoff: deadline_->arm(pending_delay_, [this] { handle(event::backoff_elapsed); }); break;
    case action::arm_cycle:
      deadline_->arm(duration_cast<milliseconds>(next_run_ - host_.now()), [this] { handle(event::cycle_due); });
      break;
    case action::cancel_timers: deadline_->cancel(); break;
    default: report(a);  // the report_* actions
  }
}

void instance::spawn() {
  auto now = host_.now();
  bool late = cfg_.is_looped() && spawns_ > 0 && now - next_run_ > late_after;
  if (!cfg_.is_looped() && spawns_ > 0) ++restarts_;
  history_.record(cfg_.start_limit, now);
  ++spawns_;
  run_ = run{};
  run_.number = spawns_;
  run_.mark = host_.run_id() + "/" + label_ + "/" + std::to_string(spawns_);
  run_.started = now;
  run_.late = late;
  run_.err_lines_before = output_.err_lines();
  if (cfg_.is_looped()) next_run_ = now + *cfg_.every;

  // Until the spawn comes back (always later, on the loop), events and notify messages wait
  // in held_, and what the spawner borrows stays in in_flight_.
  spawning_ = true;
  int join_error = 0;
  auto join = leftovers_->open_join(join_error);
  auto prepared = launch_.prepare(label_, run_.mark, std::move(join));
  auto done = [this, join_error](process::spawn_result r) { on_spawn_done(std::move(r), join_error); };
  if (auto* error = std::get_if<std::string>(&prepared)) return host_.spawns().fail(*error, done);
  in_flight_ = std::make_unique<launch::prepared>(std::move(std::get<launch::prepared>(prepared)));
  if (!in_flight_->warning.empty()) host_.log("warn", in_flight_->warning);
  host_.spawns().start(in_flight_->request, done, [this](pid_t, int status) { on_main_exit(status); });
}

void instance::on_spawn_done(process::spawn_result r, int join_error) {
  if (r.pid > 0) {
    begin_run(r.pid, join_error ? join_error : r.cgroup_error);
  } else {
    run_.failed = true;
    run_.spawn_error = r.error;
    last_exit_.reset();
    last_exit_wall_ = std::chrono::system_clock::now();
    ++attempt_;
    in_flight_.reset();
    handle(event::spawn_failed);
  }
  // What came in while the spawn was under way (a stop at shutdown, the child's first notify
  // datagrams), in order. A new spawn among them holds the rest again.
  auto later = std::move(held_);
  held_.clear();
  for (auto& h : later)
    std::visit(overloaded{[this](event e) { handle(e); }, [this](const notify::message& m) { on_notify(m); }}, h);
  // No longer spawning: idle again if the spawn failed into the state it started from.
  host_.on_state_change(*this);
}

void instance::begin_run(pid_t pid, int join_error) {
  run_.pid = run_.pgid = pid;
  run_.started_wall = std::chrono::system_clock::now();
  leftovers_->begin(pid, run_.mark, join_error);
  // The child has its own copies now: ours of its pipe ends and cgroup file close here.
  auto p = std::move(*in_flight_);
  in_flight_.reset();
  output_.read(std::move(p.out_read), std::move(p.err_read));
  checks_ = std::make_unique<checks>(host_, cfg_, launch_.env(), pid, [this](checks::result r, std::string why) {
    switch (r) {
      case checks::result::ready: return handle(event::ready_passed);
      case checks::result::health_failed: return handle(event::health_failed, std::move(why));
      case checks::result::watchdog_expired: return handle(event::watchdog_expired, std::move(why));
    }
  });
  checks_->arm_watchdog();
  handle(event::spawned);
}

void instance::on_main_exit(int wait_status) {
  output_.drain();
  last_exit_ = exit_status::from_wait(wait_status);
  last_exit_wall_ = std::chrono::system_clock::now();
  exits_.add(*last_exit_);
  run_.length = duration_cast<milliseconds>(host_.now() - run_.started);
  run_.pid = 0;
  if (!last_exit_->is_success()) run_.failed = true;
  if (run_.length > cfg_.backoff.max) attempt_ = 0;
  ++attempt_;
  checks_.reset();
  if (state_ != state::stopping) deadline_->cancel();
  run_.has_leftovers = leftovers_->find(signal_for_found());
  // kill_mode = "mixed": the main process was asked to stop and is gone; what it left gets the
  // stop signal now, and SIGKILL when stop_timeout passes.
  if (state_ == state::stopping && run_.has_leftovers && !run_.killing && !run_.all_signalled) {
    leftovers_->signal(cfg_.stop_signal);
    run_.all_signalled = true;
  }
  handle(event::exited);
}

void instance::on_leftovers_changed() {
  if (run_.pid != 0 || !run_.has_leftovers) return;
  run_.has_leftovers = leftovers_->find(signal_for_found());
  if (!run_.has_leftovers) handle(event::group_gone);
}

int instance::signal_for_found() const {
  if (state_ != state::stopping) return 0;
  if (run_.killing) return SIGKILL;
  return run_.all_signalled ? cfg_.stop_signal : 0;
}

void instance::signal_stop() {
  checks_.reset();  // nothing they could find matters once the run is being stopped
  if (cfg_.kill_mode == config::kill_mode::mixed && run_.pid != 0) {
    leftovers_->signal_main(cfg_.stop_signal);
  } else {
    leftovers_->signal(cfg_.stop_signal);
    run_.all_signalled = true;
  }
  deadline_->arm(cfg_.stop_timeout, [this] { handle(event::stop_timeout); });
}

void instance::kill_group() {
  run_.killing = true;
  // Counted for the shutdown's last line: an earlier cleanup's SIGKILL is not the shutdown's.
  if (host_.shutting_down()) run_.needed_kill = true;
  leftovers_->kill();
  deadline_->arm(kill_recheck, [this] {
    if (run_.pid == 0 && run_.has_leftovers) {
      run_.has_leftovers = leftovers_->find(SIGKILL);
      if (!run_.has_leftovers) return handle(event::group_gone);
    }
    if (has_processes()) kill_group();
  });
}

void instance::on_notify(const notify::message& m) {
  // The child can be quicker than the spawner thread's news of it: READY=1 waits for `started`.
  if (spawning_) {
    held_.push_back(m);
    return;
  }
  if (m.ready && std::holds_alternative<config::ready_notify>(cfg_.ready) && state_ == state::running)
    handle(event::ready_passed);
  if (m.error_number) run_.reported_errno = m.error_number;
  if (m.status) {
    run_.status = logs::valid_utf8(*m.status);
    emit({report_event::progress, route::status, *run_.status, {}, {}});
  }
  if (m.fault) emit({report_event::fault, route::fault, *m.fault, {}, {}});
  if (m.success) emit({report_event::success, route::success, *m.success, {}, {}});
  if (m.watchdog && checks_ && is_up(state_)) checks_->arm_watchdog();
  if (m.watchdog_trigger && is_up(state_) && cfg_.watchdog)
    handle(event::watchdog_expired, "watchdog: the task sent WATCHDOG=trigger");
}

bool instance::owns(const process::process_view& p) const {
  if (spawning_) return p.mark() == run_.mark;
  return has_processes() && leftovers_->owns(p);
}

void instance::report(action a) {
  if (a == action::report_leftovers) run_.exit_reported = true;  // with the exit, before the cleanup
  emit(report_for(a, {cfg_, run_, state_, last_exit_, pending_delay_, blocked_by_, forced_by_}));
}

void instance::emit(const report_line& l) {
  event_record r;
  r.ts = std::chrono::system_clock::now();
  r.event = l.event;
  r.to = l.to;
  r.task = cfg_.name;
  r.ns = cfg_.namespace_;
  r.instance = index_;
  r.pid = run_.pid ? run_.pid : run_.pgid;
  r.state = std::string(to_string(state_));
  r.exit = last_exit_;
  r.restarts = restarts_;
  r.message = l.message;
  r.run_time = l.run_time;
  r.delay = l.delay;
  r.console = l.console;
  // Only this run's words: older runs' lines are in the ring too.
  if (l.to == route::fault)
    r.output = output_.last_err_lines(std::min(fault_output_lines, output_.err_lines() - run_.err_lines_before));
  host_.emit(r);
}

bool instance::is_idle() const {
  // A spawn under way leaves the state as it was (stopped, exited...) until it comes back.
  if (spawning_) return false;
  return state_ == state::stopped || state_ == state::exited || state_ == state::fatal;
}

bool instance::has_failed_for_good() const {
  return state_ == state::fatal || (state_ == state::exited && run_.failed);
}

bool instance::counts_as_ready() const {
  if (state_ == state::ready) return true;
  if (cfg_.is_looped()) return state_ == state::waiting || (state_ == state::running && spawns_ > 1);
  return state_ == state::exited && last_exit_ && last_exit_->is_success();
}

std::optional<std::chrono::system_clock::time_point> instance::next_run() const {
  if (!cfg_.is_looped() || state_ != state::waiting) return std::nullopt;
  return std::chrono::system_clock::now() +
         duration_cast<std::chrono::system_clock::duration>(next_run_ - host_.now());
}

}  // namespace taskmux::supervisor
