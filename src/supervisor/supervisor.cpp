#include "supervisor/supervisor.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>
#include <utility>

#include "config/duration.hpp"
#include "config/signal_names.hpp"
#include "logs/level.hpp"
#include "notify/datagram.hpp"
#include "process/children.hpp"
#include "process/signals.hpp"
#include "process/spawn.hpp"
#include "supervisor/depgraph.hpp"
#include "supervisor/loop_deadline.hpp"
#include "supervisor/run_lock.hpp"

extern char** environ;

namespace taskmux::supervisor {
namespace {

/// Grace between SIGTERM and SIGKILL for orphans that belong to no instance.
constexpr std::chrono::seconds orphan_grace{2};

/// What `stop` waits beyond the longest stop_timeout: its SIGKILL and the leftovers' re-checks.
constexpr std::chrono::seconds stop_grace{5};

/// How long `start` waits for spawns to come back (they take milliseconds).
constexpr std::chrono::seconds start_limit_wait{30};

/// Refused notify datagrams are logged at most this often per task (with a count).
constexpr std::chrono::seconds notify_warning_gap{60};

std::string make_run_id() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06x", static_cast<unsigned>(rd()) & 0xffffff);
  return buf;
}

}  // namespace

supervisor::supervisor(config::config cfg, options opts)
    : cfg_(std::move(cfg)),
      reaper_(loop_),
      signals_(loop_),
      out_(STDOUT_FILENO, {cfg_.supervisor.log_format}),
      err_(STDERR_FILENO, {cfg_.supervisor.log_format}),
      run_id_(make_run_id()),
      spawner_(loop_),
      spawns_(loop_, reaper_, spawner_),
      shutdown_timer_(loop_),
      orphan_timer_(loop_) {
  format_.format = cfg_.supervisor.log_format;
  format_.color = opts.color;
  ::signal(SIGPIPE, SIG_IGN);
  process::ignore_fault_signals_from_others();
  for (int signo : process::loop_signals()) signals_.add(signo);
  auto graph = make_depgraph(cfg_);
  // Reserved: instances keep references to their task's launch.
  tasks_.reserve(cfg_.tasks.size());
  for (size_t n = 0; n < cfg_.tasks.size(); ++n) {
    auto& c = cfg_.tasks[n];
    index_.emplace(c.name, n);
    auto& t = tasks_.emplace_back(c, cfg_.secret_vars);
    t.deps = std::move(graph.deps[n]);
    t.dependents = std::move(graph.dependents[n]);
    for (int i = 0; i < c.instances; ++i) t.instances.push_back(std::make_unique<instance>(*this, c, i));
  }
  arm_signals();
}

supervisor::~supervisor() = default;

void supervisor::log(std::string_view level, std::string_view text) {
  if (!logs::is_shown(level, cfg_.supervisor.log_level)) return;
  std::string line;
  format_.own_line(line, level, text);
  err_.append(line);
}

bool supervisor::open_notify_sockets() {
  try {
    notify_dir_ = std::make_unique<notify::socket_directory>(cfg_.supervisor.state_dir, notify::task_sockets_of(cfg_));
    for (auto& t : tasks_) {
      t.notify = std::make_unique<notify::listener>(loop_, notify_dir_->socket_for(t.cfg->name),
                                                    [this, &t](const notify::listener::datagram& d) { on_notify(t, d); });
      t.launch.set_notify_socket(t.notify->path().string());
      if (auto& id = t.launch.user()) t.notify->allow(id->uid, id->gid);
    }
  } catch (const std::system_error& e) {
    log("error", std::string("notify sockets: ") + e.what());
    return false;
  }
  return true;
}

std::unique_ptr<deadline> supervisor::make_deadline() { return std::make_unique<loop_deadline>(loop_); }

std::unique_ptr<leftovers> supervisor::track(const config::task& t, int index, const std::string& label,
                                             std::function<void()> changed) {
  return std::make_unique<os_leftovers>(
      reaper_, cgroups_, t.name + "." + std::to_string(index), label,
      [this](std::string_view level, std::string text) { log(level, text); }, std::move(changed));
}

std::unique_ptr<probes::attempt> supervisor::probe(const probes::target& t, std::chrono::milliseconds timeout,
                                                   probes::done_fn done) {
  return probes::start(loop_, spawns_, t, timeout, std::move(done));
}

void supervisor::on_notify(task& t, const notify::listener::datagram& d) {
  if (d.truncated) return refuse_notify(t, d.pid, "larger than " + std::to_string(notify::max_datagram) + " bytes");
  auto parsed = notify::parse(d.payload);
  if (!parsed.value) return refuse_notify(t, d.pid, parsed.error);
  auto* from = sender_of(t, d.pid);
  if (!from) return refuse_notify(t, d.pid, "sender is no process of " + t.cfg->name);
  ++notify_stats_.accepted;
  from->on_notify(*parsed.value);
}

// The socket names the task; the kernel's pid names the instance, and proves the sender is one
// of its processes (instance::owns, the same rule that finds what a run left behind).
instance* supervisor::sender_of(task& t, pid_t pid) {
  if (pid == 0) return nullptr;
  // The main process is the usual sender and needs no look in /proc.
  for (auto& i : t.instances)
    if (i->pid() == pid) return i.get();
  process::process_view sender(pid);
  for (auto& i : t.instances)
    if (i->owns(sender)) return i.get();
  return nullptr;
}

void supervisor::refuse_notify(task& t, pid_t pid, const std::string& why) {
  ++notify_stats_.refused;
  ++t.notify_refused_unlogged;
  auto now = std::chrono::steady_clock::now();
  if (t.notify_warned_at != std::chrono::steady_clock::time_point{} && now - t.notify_warned_at < notify_warning_gap)
    return;
  std::string count = t.notify_refused_unlogged > 1
                          ? " (" + std::to_string(t.notify_refused_unlogged) + " refused since the last warning)"
                          : "";
  log("warn", "notify socket of " + t.cfg->name + ": ignored a datagram from pid " + std::to_string(pid) + ": " +
                  why + count);
  t.notify_warned_at = now;
  t.notify_refused_unlogged = 0;
}

int supervisor::run() {
  size_t count = 0;
  for (auto& t : tasks_) count += t.instances.size();
  log("info", "taskmux " TASKMUX_VERSION " (pid " + std::to_string(::getpid()) + ", run " + run_id_ + "): " +
                  std::to_string(tasks_.size()) + " tasks, " + std::to_string(count) + " instances from " +
                  cfg_.file.string());
  if (!open_notify_sockets()) {
    err_.flush();
    return 1;
  }
  open_cgroups();
  take_run_lock();
  if (!spawner_.has_own_descriptors())
    log("info", "spawning with taskmux's own descriptor table (" + spawner_.shared_table_reason() +
                    "): each spawn copies every open descriptor, which grows with the number of instances");
  for (auto& t : tasks_)
    for (auto& i : t.instances) i->handle(event::start);
  if (tasks_.empty()) log("info", "no [[task]] in the config; waiting for a signal");
  loop_.run();
  if (cgroups_)
    for (auto& stays : cgroups_->remove()) log("warn", "unable to remove cgroup " + stays);
  return exit_code_;
}

void supervisor::close_output() {
  using clock = logs::output::clock;
  // Within the shutdown budget; when the tasks used all of it, a last moment for the lines.
  auto deadline = clock::now() + logs::output::default_stall;
  if (shutting_down()) deadline = std::max(shutdown_deadline_, clock::now() + std::chrono::milliseconds(500));
  out_.close(deadline);
  err_.close(deadline);
}

void supervisor::take_run_lock() {
  std::string previous, why;
  run_lock_ = run_lock::take(cfg_.supervisor.state_dir, run_id_, previous, why);
  if (!why.empty()) log("warn", why);
  if (!previous.empty()) stop_strays(previous);
}

// Without a cgroup (or beside one), what a killed run left is found by its instance mark: its
// tasks' grandchildren, which PDEATHSIG does not reach. Before any task of this run starts:
// they may hold the ports and files the new tasks need.
void supervisor::stop_strays(const std::string& dead_run) {
  auto prefix = dead_run + "/";
  auto pids = process::marked_processes(prefix);
  if (pids.empty()) return;
  for (pid_t p : pids) {
    ::kill(p, SIGTERM);
    ::kill(p, SIGCONT);
  }
  auto until = std::chrono::steady_clock::now() + orphan_grace;
  auto left = pids;
  while (!left.empty() && std::chrono::steady_clock::now() < until) {
    ::usleep(20'000);  // once, at start-up, before the loop runs
    left = process::marked_processes(prefix);
  }
  for (pid_t p : left) ::kill(p, SIGKILL);
  log("warn", "run " + dead_run + " of a taskmux that was killed left " + std::to_string(pids.size()) +
                  " processes (" + process::instance_mark_name + "=" + prefix + "...): stopped them (SIGTERM" +
                  (left.empty() ? ")" : ", then SIGKILL)"));
}

void supervisor::open_cgroups() {
  std::string why;
  cgroups_ = process::cgroup_tree::create(loop_, run_id_, why);
  if (!cgroups_) {
    log("info", "cgroup tracking off (" + why + "): leftovers are found by process group and instance mark");
    return;
  }
  log("info", "cgroup tracking on: " + cgroups_->dir());
  for (auto& r : cgroups_->stale_runs()) {
    if (r.stopped)
      log("warn", "cgroup " + r.dir + " of a taskmux that was killed still held " + std::to_string(r.stopped) +
                      " processes: stopped them (SIGTERM" + (r.needed_kill ? ", then SIGKILL)" : ")"));
    if (!r.left.empty()) log("warn", "unable to remove cgroup " + r.left);
  }
}

void supervisor::arm_signals() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    on_signal(signo);
    arm_signals();
  });
}

void supervisor::on_signal(int signo) {
  auto name = config::signal_name(signo);
  switch (signo) {
    case SIGHUP:
      log("info", "received SIGHUP: reload is not available in this version; the running set is unchanged");
      return;
    case SIGUSR1:
      log("info", "received SIGUSR1: status follows");
      if (status_to_log_) status_to_log_();
      return;
    case SIGTERM:
    case SIGINT:
    case SIGQUIT:  // supervisord and s6-svscan stop on QUIT too
    case SIGPWR:   // what LXC and sysvinit send to ask init to shut down
      if (shutting_down()) {
        log("info", "received " + name + " again: killing everything now");
        force_kill("taskmux received " + name + " again");
        return;
      }
      shutdown(0, "received " + name);
      return;
    default:
      // Outside PID 1 their default action would end taskmux and leave every task running.
      log("info", "received " + name + ": ignored");
  }
}

void supervisor::shutdown(int code, const std::string& why) {
  if (shutting_down()) return;
  phase_ = phase::stopping_tasks;
  shutdown_deadline_ = std::chrono::steady_clock::now() + cfg_.supervisor.shutdown_timeout;
  exit_code_ = code;
  log("info", why + ": stopping all tasks (shutdown_timeout " +
                  config::format_duration(cfg_.supervisor.shutdown_timeout) + ")");
  shutdown_timer_.expires_after(cfg_.supervisor.shutdown_timeout);
  shutdown_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || phase_ == phase::finished) return;
    log("fault", "shutdown_timeout passed: killing what is left");
    force_kill("shutdown_timeout (" + config::format_duration(cfg_.supervisor.shutdown_timeout) + ") passed");
  });
  // Reverse dependency order: a task stops once none of its dependents has anything left.
  // Counted, not searched, so a chain of 10,000 tasks stops in linear time.
  for (auto& t : tasks_) {
    t.busy = std::any_of(t.instances.begin(), t.instances.end(), [](auto& i) { return !i->is_idle(); });
    busy_tasks_ += t.busy;
  }
  for (auto& t : tasks_)
    for (size_t d : t.dependents) t.busy_dependents += tasks_[d].busy;
  bool was_draining = std::exchange(draining_, true);
  for (auto& t : tasks_)
    if (t.busy_dependents == 0) stop_task(t);
  draining_ = was_draining;
  if (!draining_) drain_changes();
  if (busy_tasks_ == 0 && phase_ == phase::stopping_tasks) stop_orphans();
}

void supervisor::stop_task(task& t) {
  if (t.stop_sent) return;
  t.stop_sent = true;
  for (auto& i : t.instances) i->request_stop();
}

void supervisor::on_task_idle(task& t) {
  t.busy = false;
  --busy_tasks_;
  for (size_t d : t.deps)
    if (--tasks_[d].busy_dependents == 0) stop_task(tasks_[d]);
  if (busy_tasks_ == 0 && phase_ == phase::stopping_tasks) stop_orphans();
}

void supervisor::stop_orphans() {
  phase_ = phase::stopping_orphans;
  // Orphans are reaped as unknown pids; the last one ends the shutdown.
  reaper_.set_orphan_handler([this] {
    if (phase_ != phase::finished && !reaper_.has_unwatched_children()) finish();
  });
  auto count = signal_orphans(SIGTERM);
  if (count == 0) return finish();
  log("info", "stopping " + std::to_string(count) + " orphaned processes");
  orphan_timer_.expires_after(orphan_grace);
  orphan_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || phase_ == phase::finished) return;
    if (signal_orphans(SIGKILL) == 0) finish();
  });
}

size_t supervisor::signal_orphans(int signo) {
  reaper_.reap_now();
  size_t count = 0;
  for (pid_t p : process::list_children()) {
    if (reaper_.is_watched(p)) continue;
    ::kill(p, signo);
    ::kill(p, SIGCONT);
    ++count;
  }
  return count;
}

void supervisor::force_kill(const std::string& why) {
  for (auto& t : tasks_)
    for (auto& i : t.instances) i->kill_now(why);
  signal_orphans(SIGKILL);
  if (!shutting_down()) shutdown(exit_code_, "forced");
  // Whatever is left now can only be reaped; give it a moment, then leave regardless.
  shutdown_timer_.expires_after(std::chrono::seconds(2));
  shutdown_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && phase_ != phase::finished) {
      log("fault", "processes still present after SIGKILL; exiting anyway");
      finish();
    }
  });
}

void supervisor::finish() {
  if (phase_ == phase::finished) return;
  phase_ = phase::finished;
  size_t killed = 0;
  for (auto& t : tasks_)
    for (auto& i : t.instances) killed += i->needed_kill();
  log("info", "all tasks stopped" + (killed ? " (" + std::to_string(killed) + " needed SIGKILL)" : std::string()) +
                  "; " + std::to_string(reaper_.orphans_reaped()) + " orphans reaped; exit code " +
                  std::to_string(exit_code_));
  shutdown_timer_.cancel();
  orphan_timer_.cancel();
  loop_.stop();
}

bool supervisor::deps_ready(const config::task& t) {
  for (size_t d : task_of(t).deps)
    for (auto& i : tasks_[d].instances)
      if (!i->counts_as_ready()) return false;
  return true;
}

std::string supervisor::failed_dependency(const config::task& t) {
  for (size_t d : task_of(t).deps)
    for (auto& i : tasks_[d].instances) {
      if (i->state() == state::fatal) return i->label() + " is fatal";
      if (i->has_failed_for_good()) return i->label() + " exited with a failure and does not restart";
      if (i->state() == state::blocked) return i->label() + " is blocked";
    }
  return {};
}

std::vector<instance*> supervisor::instances_of(const std::vector<std::string>& names) {
  std::vector<std::string> unknown;
  for (auto& n : names)
    if (!index_.count(n)) unknown.push_back(n);
  if (!unknown.empty()) {
    std::string list;
    for (auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
    throw std::invalid_argument("unknown task: " + list);
  }
  std::vector<instance*> out;
  for (auto& t : tasks_)
    if (names.empty() || std::find(names.begin(), names.end(), t.cfg->name) != names.end())
      for (auto& i : t.instances) out.push_back(i.get());
  return out;
}

void supervisor::stop(const std::vector<std::string>& names, request_done done) {
  if (shutting_down()) throw std::runtime_error("taskmux is shutting down");
  auto targets = instances_of(names);
  std::chrono::milliseconds limit{0};
  for (auto* i : targets) limit = std::max(limit, std::chrono::milliseconds(i->task().stop_timeout));
  for (auto* i : targets)
    if (!i->is_idle()) i->request_stop();
  waits_.add(targets, [](const instance& i) { return i.is_idle(); }, limit + stop_grace, std::move(done));
}

void supervisor::start(const std::vector<std::string>& names, request_done done) {
  if (shutting_down()) throw std::runtime_error("taskmux is shutting down");
  auto targets = instances_of(names);
  std::chrono::milliseconds limit{0};
  for (auto* i : targets) limit = std::max(limit, std::chrono::milliseconds(i->task().stop_timeout));
  // An instance being stopped starts once it is stopped: `start` means nothing while stopping.
  waits_.add(
      targets, [](const instance& i) { return i.state() != state::stopping && !i.is_spawning(); },
      limit + stop_grace, [this, targets, done = std::move(done)](std::vector<instance*> still_stopping) {
        if (shutting_down()) return done(targets);
        for (auto* i : targets) i->request_start();
        waits_.add(targets, [](const instance& i) { return !i.is_spawning(); }, start_limit_wait,
                   [done, still_stopping](std::vector<instance*> unsettled) {
                     unsettled.insert(unsettled.end(), still_stopping.begin(), still_stopping.end());
                     done(std::move(unsettled));
                   });
      });
}

void supervisor::restart(const std::vector<std::string>& names, request_done done) {
  stop(names, [this, names, done = std::move(done)](std::vector<instance*> not_stopped) {
    if (!not_stopped.empty() || shutting_down()) return done(std::move(not_stopped));
    start(names, done);
  });
}

uint64_t supervisor::follow(const std::string& name, std::function<void(std::string_view)> line) {
  auto it = index_.find(name);
  if (it == index_.end()) throw std::invalid_argument("unknown task: " + name);
  auto& t = tasks_[it->second];
  auto id = ++next_follower_;
  if (t.followers.empty())
    for (auto& i : t.instances)
      i->tap_output([&t](std::string_view text) {
        // A follower may unfollow itself while it is called (its reader went away).
        for (auto it = t.followers.begin(); it != t.followers.end();) {
          auto next = std::next(it);
          it->second(text);
          it = next;
        }
      });
  t.followers.emplace(id, std::move(line));
  return id;
}

void supervisor::unfollow(const std::string& name, uint64_t id) {
  auto it = index_.find(name);
  if (it == index_.end()) return;
  auto& t = tasks_[it->second];
  t.followers.erase(id);
  if (t.followers.empty())
    for (auto& i : t.instances) i->tap_output({});
}

void supervisor::emit(const event_record& r) {
  for (auto* s : sinks_) s->on_event(r);
}

void supervisor::on_state_change(instance& i) {
  heap_trim_.activity();
  changed_.push_back(&i);
  if (!draining_) drain_changes();
  if (waits_.size() > 0) waits_.check();
}

void supervisor::drain_changes() {
  draining_ = true;
  while (!changed_.empty()) {
    auto* i = changed_.front();
    changed_.pop_front();
    after_change(*i);
  }
  draining_ = false;
}

void supervisor::after_change(instance& i) {
  auto& t = task_of(i.task());
  if (shutting_down()) {
    if (t.busy && std::all_of(t.instances.begin(), t.instances.end(), [](auto& x) { return x->is_idle(); }))
      on_task_idle(t);
    return;
  }
  if (i.task().critical && (i.state() == state::fatal || i.state() == state::blocked)) {
    shutdown(1, "critical task " + i.label() + " is " + std::string(to_string(i.state())));
    return;
  }
  if (i.counts_as_ready()) {
    for (size_t d : t.dependents) {
      auto& dependent = tasks_[d];
      if (!deps_ready(*dependent.cfg)) continue;
      for (auto& x : dependent.instances)
        if (x->state() == state::starting || x->state() == state::blocked) x->handle(event::deps_ready);
    }
  } else if (i.has_failed_for_good() || i.state() == state::blocked) {
    for (size_t d : t.dependents)
      for (auto& x : tasks_[d].instances)
        if (x->state() == state::starting) x->handle(event::deps_failed);
  }
}

}  // namespace taskmux::supervisor
