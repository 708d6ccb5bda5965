#include "supervisor/instance.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cstring>
#include <variant>

#include "config/duration.hpp"
#include "config/signal_names.hpp"
#include "logs/format.hpp"
#include "process/children.hpp"
#include "process/process_group.hpp"
#include "process/spawn.hpp"


namespace taskmux::supervisor {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using config::format_duration;

/// Re-check for leftovers this often once SIGKILL was sent: their exits may not reach us
/// (a group member whose parent is not ours), so this is the one deadline-driven check.
constexpr milliseconds kill_recheck{250};

/// tcp/http/exec ready probes: retried this often until one passes, each bounded by a timeout.
constexpr milliseconds ready_probe_interval{500};
constexpr milliseconds ready_probe_timeout{2000};

/// How many of the last stderr lines a fault report carries.
constexpr size_t fault_output_lines = 20;

std::string describe(const exit_status& e) {
  if (e.signal) return "killed by " + config::signal_name(e.signal);
  return "exited with code " + std::to_string(e.code);
}

}  // namespace

instance::instance(host& h, const config::task& cfg, int index)
    : host_(h),
      cfg_(cfg),
      index_(index),
      label_(cfg.name + "[" + std::to_string(index) + "]"),
      deadline_(h.loop()),
      ready_timer_(h.loop()),
      watchdog_timer_(h.loop()),
      health_timer_(h.loop()),
      // The run id is random once per run: hashing it with the label seeds every instance
      // differently without asking the kernel for entropy 500 times at start.
      rng_(static_cast<std::minstd_rand::result_type>(std::hash<std::string>{}(h.run_id() + label_))) {}

instance::~instance() {
  for (auto& p : pumps_) p->close();
  if (pid_) host_.reaper().unwatch(pid_);
  for (pid_t p : leftovers_) host_.reaper().unwatch(p);
  if (cgroup_watch_ >= 0) host_.cgroups()->unwatch(cgroup_watch_);
}

void instance::handle(event e) {
  if (spawning_) {
    deferred_.push_back([this, e] { handle(e); });
    return;
  }
  auto t = next(state_, e, current_facts());
  if (!t.applies) return;
  apply(t);
}

void instance::request_stop() {
  stop_requested_ = true;
  handle(event::stop);
}

void instance::kill_now() {
  if (pid_ || has_leftovers_) kill_group();
}

facts instance::current_facts() {
  facts f;
  f.is_looped = cfg_.is_looped();
  f.deps_ready = host_.deps_ready(cfg_);
  blocked_by_ = f.deps_ready ? std::string() : host_.failed_dependency(cfg_);
  f.deps_failed = !blocked_by_.empty();
  f.stop_requested = stop_requested_ || host_.shutting_down();
  f.has_leftovers = has_leftovers_;
  f.run_failed = run_failed_;
  f.wants_restart = wants_restart(cfg_.restart, run_failed_);
  auto now = clock::now();
  if (f.wants_restart && !f.is_looped) {
    f.start_limit_hit = history_.would_exceed(cfg_.start_limit, now);
    std::uniform_real_distribution<double> jitter(-1.0, 1.0);
    f.backoff_delay = backoff_delay(cfg_.backoff, attempt_, jitter(rng_));
  }
  if (f.is_looped) f.until_next_cycle = duration_cast<milliseconds>(next_run_ - now);
  pending_delay_ = f.backoff_delay;
  return f;
}

void instance::apply(const transition& t) {
  auto before = state_;
  state_ = t.next;
  for (auto a : t.actions)
    if (a != action::none) perform(a);
  if (state_ != before) host_.on_state_change(*this);
}

void instance::perform(action a) {
  switch (a) {
    case action::none: break;
    case action::spawn:
      // A failed spawn that restarts at once would recurse (spawn -> spawn_failed -> spawn):
      // the retry goes through the loop instead.
      if (in_spawn_) boost::asio::post(host_.loop(), [this] { spawn(); });
      else spawn();
      break;
    case action::arm_ready_check: arm_ready_check(); break;
    case action::arm_health_check:
      health_failures_ = 0;
      if (cfg_.health) arm_health_check(cfg_.health->interval);
      break;
    case action::arm_run_timeout:
      if (cfg_.timeout)
        arm_deadline(*cfg_.timeout, [this] {
          run_failed_ = true;
          failure_reason_ = "timed out after " + format_duration(*cfg_.timeout);
          handle(event::run_timeout);
        });
      break;
    case action::signal_stop: signal_stop(); break;
    case action::kill_group: kill_group(); break;
    case action::arm_backoff: arm_deadline(pending_delay_, [this] { handle(event::backoff_elapsed); }); break;
    case action::arm_cycle:
      arm_deadline(duration_cast<milliseconds>(next_run_ - clock::now()), [this] { handle(event::cycle_due); });
      break;
    case action::cancel_timers: cancel_timers(); break;
    case action::report_started: report("started", route::status, "started (pid " + std::to_string(pid_) + ")"); break;
    case action::report_ready: report("ready", route::status, "ready"); break;
    case action::report_exited: {
      std::string msg = spawn_error_.empty() ? exit_text() : spawn_error_;
      if (state_ == state::backoff)
        msg += pending_delay_.count() ? "; restarting in " + format_duration(pending_delay_) : "; restarting now";
      else if (state_ == state::exited)
        msg += "; not restarting (restart = " + std::string(config::to_string(cfg_.restart)) + ")";
      report("exited", run_failed_ ? route::fault : route::status, msg,
             {last_run_time_, state_ == state::backoff ? std::optional(pending_delay_) : std::nullopt});
      break;
    }
    case action::report_backoff: report("backoff", route::status, "restarting in " + format_duration(pending_delay_), {std::nullopt, pending_delay_}); break;
    case action::report_fatal:
      report("fatal", route::fault,
             "fatal: more than " + std::to_string(cfg_.start_limit.burst) + " starts within " +
                 format_duration(cfg_.start_limit.interval) + "; not restarting until `taskmux start " + cfg_.name + "`");
      break;
    case action::report_stopping:
      report("stopping", route::status, "stopping (" + config::signal_name(cfg_.stop_signal) + " to process group " +
                                            std::to_string(pgid_) + ")");
      break;
    case action::report_stopped: report("stopped", route::status, "stopped"); break;
    case action::report_cycle_started:
      report("cycle_started", route::status,
             "cycle started (pid " + std::to_string(pid_) + ")" + (late_ ? ", late" : ""));
      break;
    case action::report_cycle_succeeded:
      report("cycle_succeeded", route::success, "cycle succeeded in " + format_duration(last_run_time_), {last_run_time_});
      break;
    case action::report_cycle_failed: report("cycle_failed", route::fault, "cycle failed: " + (spawn_error_.empty() ? exit_text() : spawn_error_),
             {last_run_time_});
      break;
    case action::report_health_failed: report("health_failed", route::fault, failure_reason_); break;
    case action::report_watchdog_expired: report("watchdog_expired", route::fault, failure_reason_); break;
    case action::report_killed:
      report("fault", route::fault, "did not stop within " + format_duration(cfg_.stop_timeout) + " of " +
                                        config::signal_name(cfg_.stop_signal) + "; sent SIGKILL to its process group");
      break;
    case action::report_blocked:
      report("blocked", route::fault, "blocked: dependency " + blocked_by_ + "; starts once it is ready again");
      break;
  }
}

std::string instance::exit_text() const {
  std::string text = last_exit_ ? describe(*last_exit_) : "exited";
  text += " after " + format_duration(last_run_time_);
  if (!failure_reason_.empty()) text = failure_reason_ + "; " + text;
  if (reported_errno_) text += " (ERRNO=" + std::to_string(*reported_errno_) + ": " + std::strerror(*reported_errno_) + ")";
  return text;
}

void instance::prepare_launch() {
  // Shared with the other instances of the task: 500 copies of an environment add up.
  shared_env_ = host_.task_env(cfg_);
  instance_var_ = "TASK_INSTANCE=" + std::to_string(index_);
  env_.clear();
  for (auto& kv : *shared_env_) env_.push_back(kv.c_str());
  env_.push_back(instance_var_.c_str());
  mark_index_ = env_.size();
  env_.push_back(mark_var_.c_str());
  if (cfg_.user) user_ = process::lookup_user(*cfg_.user);
  argv_ = cfg_.cmd.argv;
  // A program that is not there (yet) is looked up again at the next spawn.
  if (auto path = host_.program(cfg_); !path.empty()) argv_[0] = path;
}

void instance::spawn() {
  struct guard {
    bool& flag;
    explicit guard(bool& f) : flag(f) { flag = true; }
    ~guard() { flag = false; }
  } in_spawn(in_spawn_);
  auto now = clock::now();
  if (cfg_.is_looped()) {
    late_ = spawn_count_ > 0 && now - next_run_ > milliseconds(50);
  } else if (spawn_count_ > 0) {
    ++restarts_;
  }
  history_.record(now);
  ++spawn_count_;
  run_failed_ = false;
  failure_reason_.clear();
  spawn_error_.clear();
  status_.reset();
  reported_errno_.reset();
  stop_requested_ = false;
  killing_ = false;
  has_leftovers_ = false;
  tracked_ = false;
  mark_ = host_.run_id() + "/" + label_ + "/" + std::to_string(spawn_count_);
  run_started_ = now;
  err_lines_at_spawn_ = err_lines_;
  if (cfg_.is_looped()) next_run_ = now + *cfg_.every;

  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    spawn_error_ = "unable to start " + label_ + ": pipe: " + std::strerror(errno);
  } else if (::pipe2(err, O_CLOEXEC) != 0) {
    spawn_error_ = "unable to start " + label_ + ": pipe: " + std::strerror(errno);
    ::close(out[0]);
    ::close(out[1]);
  }
  if (spawn_error_.empty() && (argv_.empty() || argv_[0].find('/') == std::string::npos || (cfg_.user && !user_)))
    prepare_launch();
  if (spawn_error_.empty() && cfg_.user && !user_) {
    // Never fall back to running as root.
    spawn_error_ = "unable to start " + label_ + ": user \"" + *cfg_.user + "\" does not exist";
    ::close(out[0]); ::close(out[1]); ::close(err[0]); ::close(err[1]);
  }
  if (spawn_error_.empty() && user_) {
    // A pipe belongs to its creator with mode 0600: without this, a task that reopens its
    // output (nginx's `access_log /dev/stdout`) as another user gets EACCES. runc does the same.
    for (int fd : {out[1], err[1]})
      if (::fchown(fd, user_->uid, user_->gid) != 0)
        host_.log("warn", "unable to hand the output pipe of " + label_ + " to its user: " + std::strerror(errno));
  }
  if (spawn_error_.empty()) {
    process::spawn_request req;
    mark_var_ = std::string(process::instance_mark_name) + "=" + mark_;
    env_[mark_index_] = mark_var_.c_str();
    req.argv = argv_;
    req.env = env_;
    req.workdir = cfg_.workdir;
    req.user = user_;
    req.stdout_fd = out[1];
    req.stderr_fd = err[1];
    int join_error = 0;
    req.cgroup_fd = open_cgroup_join(join_error);
    // argv_, env_ and the descriptors stay as they are until the spawner is done with them:
    // every event that comes in meanwhile waits in deferred_ (handle()).
    spawning_ = true;
    host_.reaper().expect();
    host_.spawner().submit(req, [this, out, err, join_fd = req.cgroup_fd, join_error](process::spawn_result r) {
      ::close(out[1]);
      ::close(err[1]);
      if (join_fd >= 0) ::close(join_fd);
      if (join_error) r.cgroup_error = join_error;
      on_spawn_done(std::move(r), out[0], err[0]);
    });
    return;
  }
  fail_spawn();
}

void instance::fail_spawn() {
  run_failed_ = true;
  last_exit_.reset();
  last_exit_wall_ = std::chrono::system_clock::now();
  last_run_time_ = milliseconds(0);
  ++attempt_;
  handle(event::spawn_failed);
}

void instance::on_spawn_done(process::spawn_result result, int out_read, int err_read) {
  spawning_ = false;
  host_.reaper().settle(result, [this](pid_t, int status) { on_main_exit(status); });
  if (result.pid <= 0) {
    ::close(out_read);
    ::close(err_read);
    spawn_error_ = result.error;
    fail_spawn();
  } else {
    pid_ = pgid_ = result.pid;
    tracked_ = cgroup_ && result.cgroup_error == 0;
    if (cgroup_ && !tracked_) {
      host_.log("warn", "cgroup tracking off for " + label_ + ": unable to move it into " + cgroup_->dir() + ": " +
                            std::strerror(result.cgroup_error));
      if (cgroup_watch_ >= 0) host_.cgroups()->unwatch(cgroup_watch_);
      cgroup_watch_ = -1;
      cgroup_.reset();
    }
    started_wall_ = std::chrono::system_clock::now();
    for (auto [fd, which] : {std::pair{out_read, logs::stream::out}, std::pair{err_read, logs::stream::err}}) {
      auto p = std::make_shared<logs::pump>(host_.loop(), fd, which, *this);
      p->start();
      pumps_.push_back(std::move(p));
    }
    arm_watchdog();
    handle(event::spawned);
  }
  // What came in while the spawn was under way (a stop at shutdown, the child's first
  // notify datagrams), in order.
  auto later = std::move(deferred_);
  deferred_.clear();
  for (auto& f : later) f();
  // No longer spawning: idle again if the spawn failed into the state it started from.
  host_.on_state_change(*this);
}

void instance::on_main_exit(int wait_status) {
  for (auto& p : pumps_) p->drain();
  auto now = clock::now();
  last_exit_ = exit_status::from_wait(wait_status);
  last_exit_wall_ = std::chrono::system_clock::now();
  last_run_time_ = duration_cast<milliseconds>(now - run_started_);
  pid_ = 0;
  if (!last_exit_->is_success()) run_failed_ = true;
  if (last_run_time_ > cfg_.backoff.max) attempt_ = 0;
  ++attempt_;
  ready_timer_.cancel();
  watchdog_timer_.cancel();
  health_timer_.cancel();
  probe_.reset();
  if (state_ != state::stopping) cancel_timers();
  has_leftovers_ = collect_leftovers();
  handle(event::exited);
}

int instance::open_cgroup_join(int& error) {
  if (!cgroup_tried_ && host_.cgroups()) {
    cgroup_tried_ = true;
    std::string why;
    cgroup_ = host_.cgroups()->make_leaf(cfg_.name + "." + std::to_string(index_), why);
    if (!cgroup_) host_.log("warn", "cgroup tracking off for " + label_ + ": " + why);
  }
  if (!cgroup_) return -1;
  int fd = cgroup_->open_join();
  if (fd < 0) error = errno;
  return fd;
}

bool instance::collect_leftovers() {
  if (tracked_) return collect_cgroup_leftovers();
  for (pid_t child : process::list_children()) {
    if (host_.reaper().is_watched(child)) continue;
    auto info = process::read_process(child);
    if (!info) continue;
    if (info->pgid != pgid_ && process::instance_mark(child) != mark_) continue;
    leftovers_.insert(child);
    host_.reaper().watch(child, [this](pid_t p, int) {
      leftovers_.erase(p);
      on_leftover_exit();
    });
    if (state_ == state::stopping) ::kill(child, killing_ ? SIGKILL : cfg_.stop_signal);
  }
  return process::group_exists(pgid_) || !leftovers_.empty();
}

// Everything the run started is in its cgroup, whatever its group, session or environment.
// A process leaves the cgroup when it exits, before it is reaped: zombies never count.
bool instance::collect_cgroup_leftovers() {
  if (cgroup_->is_empty()) return false;
  if (cgroup_watch_ < 0) {
    cgroup_watch_ = host_.cgroups()->watch(*cgroup_, [this] {
      if (pid_ == 0 && has_leftovers_) on_leftover_exit();
    });
    if (cgroup_->is_empty()) return false;  // emptied before the watch was there
  }
  if (state_ == state::stopping) killing_ ? cgroup_->kill_all() : signal_cgroup(cfg_.stop_signal);
  return true;
}

// The process group got `sig` already: only the members that left it get it here, so the
// group's processes do not see a second stop signal (which can mean "now" to a program).
void instance::signal_cgroup(int sig) {
  for (pid_t p : cgroup_->procs()) {
    if (::getpgid(p) == pgid_) continue;
    ::kill(p, sig);
    ::kill(p, SIGCONT);
  }
}

void instance::on_leftover_exit() {
  if (pid_ != 0 || !has_leftovers_) return;
  has_leftovers_ = collect_leftovers();
  if (!has_leftovers_) handle(event::group_gone);
}

void instance::signal_stop() {
  process::signal_group(pgid_, cfg_.stop_signal);
  process::signal_group(pgid_, SIGCONT);  // a stopped (SIGSTOP) process must wake to die
  for (pid_t p : leftovers_) {
    ::kill(p, cfg_.stop_signal);
    ::kill(p, SIGCONT);
  }
  if (tracked_) signal_cgroup(cfg_.stop_signal);
  arm_deadline(cfg_.stop_timeout, [this] { handle(event::stop_timeout); });
}

void instance::kill_group() {
  killing_ = true;
  // Counted for the shutdown's last line: an earlier cleanup's SIGKILL is not the shutdown's.
  if (host_.shutting_down()) needed_kill_ = true;
  process::signal_group(pgid_, SIGKILL);
  for (pid_t p : leftovers_) {
    ::kill(-p, SIGKILL);
    ::kill(p, SIGKILL);
  }
  if (tracked_) cgroup_->kill_all();
  std::function<void()> recheck = [this] {
    if (pid_ == 0 && has_leftovers_) {
      has_leftovers_ = collect_leftovers();
      if (!has_leftovers_) return handle(event::group_gone);
      process::signal_group(pgid_, SIGKILL);
    }
    if (pid_ != 0 || has_leftovers_) kill_group();
  };
  arm_deadline(kill_recheck, recheck);
}

void instance::arm_deadline(milliseconds after, std::function<void()> fire) {
  auto gen = ++deadline_gen_;
  deadline_.expires_after(after);
  deadline_.async_wait([this, gen, fire = std::move(fire)](boost::system::error_code ec) {
    if (ec || gen != deadline_gen_) return;
    fire();
  });
}

void instance::arm_ready_check() {
  if (std::holds_alternative<config::ready_notify>(cfg_.ready)) return;  // READY=1 will say it
  if (!std::holds_alternative<config::ready_started>(cfg_.ready)) return run_ready_probe();
  // "started": up for 1 s means ready.
  auto spawn_id = spawn_count_;
  ready_timer_.expires_after(std::chrono::seconds(1));
  ready_timer_.async_wait([this, spawn_id](boost::system::error_code ec) {
    if (ec || spawn_id != spawn_count_ || state_ != state::running) return;
    handle(event::ready_passed);
  });
}

void instance::run_ready_probe() {
  auto spawn_id = spawn_count_;
  auto done = [this, spawn_id](bool ok, std::string) {
    if (spawn_id != spawn_count_ || state_ != state::running) return;
    if (ok) return handle(event::ready_passed);
    ready_timer_.expires_after(ready_probe_interval);
    ready_timer_.async_wait([this, spawn_id](boost::system::error_code ec) {
      if (!ec && spawn_id == spawn_count_ && state_ == state::running) run_ready_probe();
    });
  };
  auto& loop = host_.loop();
  if (auto* t = std::get_if<config::ready_tcp>(&cfg_.ready)) {
    probe_ = probes::tcp(loop, t->address, ready_probe_timeout, std::move(done));
  } else if (auto* h = std::get_if<config::ready_http>(&cfg_.ready)) {
    probe_ = probes::http(loop, h->url, ready_probe_timeout, std::move(done));
  } else if (auto* e = std::get_if<config::ready_exec>(&cfg_.ready)) {
    probe_ = probes::exec(loop, host_.reaper(), host_.spawner(), {e->argv, env_, cfg_.workdir.string()},
                          ready_probe_timeout, std::move(done));
  }
}

void instance::arm_health_check(milliseconds after) {
  auto spawn_id = spawn_count_;
  health_timer_.expires_after(after);
  health_timer_.async_wait([this, spawn_id](boost::system::error_code ec) {
    if (!ec && spawn_id == spawn_count_ && state_ == state::ready) run_health_probe();
  });
}

void instance::run_health_probe() {
  auto spawn_id = spawn_count_;
  probe_ = probes::http(host_.loop(), cfg_.health->url, cfg_.health->timeout, [this, spawn_id](bool ok, std::string detail) {
    if (spawn_id != spawn_count_ || state_ != state::ready) return;
    health_failures_ = ok ? 0 : health_failures_ + 1;
    if (health_failures_ >= cfg_.health->failures) {
      run_failed_ = true;
      failure_reason_ = "health check failed " + std::to_string(health_failures_) + " times in a row (" +
                        config::to_string(cfg_.health->url) + ": " + detail + ")";
      return handle(event::health_failed);
    }
    arm_health_check(cfg_.health->interval);
  });
}

void instance::arm_watchdog() {
  if (!cfg_.watchdog) return;
  // Its clock starts at spawn and restarts at every WATCHDOG=1 (SPEC).
  auto spawn_id = spawn_count_;
  watchdog_timer_.expires_after(*cfg_.watchdog);
  watchdog_timer_.async_wait([this, spawn_id](boost::system::error_code ec) {
    if (ec || spawn_id != spawn_count_ || !is_up(state_)) return;
    run_failed_ = true;
    failure_reason_ = "watchdog: no WATCHDOG=1 within " + format_duration(*cfg_.watchdog);
    handle(event::watchdog_expired);
  });
}

void instance::on_notify(const notify::message& m) {
  // The child can be quicker than the spawner thread's news of it: READY=1 waits for `started`.
  if (spawning_) {
    deferred_.push_back([this, m] { on_notify(m); });
    return;
  }
  if (m.ready && std::holds_alternative<config::ready_notify>(cfg_.ready) && state_ == state::running)
    handle(event::ready_passed);
  if (m.error_number) reported_errno_ = m.error_number;
  if (m.status) {
    status_ = logs::valid_utf8(*m.status);
    report("progress", route::status, *status_);
  }
  if (m.fault) report("fault", route::fault, *m.fault);
  if (m.success) report("success", route::success, *m.success);
  if (m.watchdog && is_up(state_)) arm_watchdog();
  if (m.watchdog_trigger && is_up(state_) && cfg_.watchdog) {
    run_failed_ = true;
    failure_reason_ = "watchdog: the task sent WATCHDOG=trigger";
    handle(event::watchdog_expired);
  }
}

void instance::cancel_timers() {
  ++deadline_gen_;
  deadline_.cancel();
}

void instance::report(const char* name, route to, std::string message, report_timing timing) {
  event_record r;
  r.ts = std::chrono::system_clock::now();
  r.event = name;
  r.to = to;
  r.task = cfg_.name;
  r.ns = cfg_.namespace_;
  r.instance = index_;
  r.pid = pid_ ? pid_ : pgid_;
  r.state = std::string(to_string(state_));
  r.exit = last_exit_;
  r.restarts = restarts_;
  r.message = std::move(message);
  r.run_time = timing.run_time;
  r.delay = timing.delay;
  if (to == route::fault) {
    // Only this run's words: older runs' lines are in the ring too.
    size_t n = std::min<uint64_t>(fault_output_lines, err_lines_ - err_lines_at_spawn_);
    for (auto& line : recent_.last(n, logs::stream::err)) r.output.push_back(std::move(line.text));
  }
  host_.emit(r);
}

bool instance::is_idle() const {
  // A spawn under way leaves the state as it was (stopped, exited...) until it comes back.
  if (spawning_) return false;
  return state_ == state::stopped || state_ == state::exited || state_ == state::fatal;
}

bool instance::has_failed_for_good() const {
  return state_ == state::fatal || (state_ == state::exited && run_failed_);
}

bool instance::counts_as_ready() const {
  if (state_ == state::ready) return true;
  if (cfg_.is_looped()) return state_ == state::waiting || (state_ == state::running && spawn_count_ > 1);
  return state_ == state::exited && last_exit_ && last_exit_->is_success();
}

std::optional<std::chrono::system_clock::time_point> instance::next_run() const {
  if (!cfg_.is_looped() || state_ != state::waiting) return std::nullopt;
  return std::chrono::system_clock::now() + duration_cast<std::chrono::system_clock::duration>(next_run_ - clock::now());
}

void instance::on_line(logs::stream from, std::string_view line) {
  recent_.push(from, line);
  bool is_err = from == logs::stream::err;
  err_lines_ += is_err;
  host_.format().task_line(is_err ? staged_err_ : staged_out_, cfg_.name, index_, label_, from, line);
  ++(is_err ? staged_err_lines_ : staged_out_lines_);
}

void instance::on_batch_end(logs::stream from) {
  bool is_err = from == logs::stream::err;
  auto& staged = is_err ? staged_err_ : staged_out_;
  auto& lines = is_err ? staged_err_lines_ : staged_out_lines_;
  if (staged.empty()) return;
  (is_err ? host_.err() : host_.out()).append(staged, lines);
  staged.clear();
  if (staged.capacity() > 256 * 1024) staged.shrink_to_fit();
  lines = 0;
}

void instance::on_eof(logs::stream) {
  std::erase_if(pumps_, [](const std::shared_ptr<logs::pump>& p) { return !p->is_open(); });
}

}  // namespace taskmux::supervisor
