#include "supervisor/supervisor.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <map>
#include <random>
#include <utility>

#include "config/diagnostics.hpp"
#include "config/duration.hpp"
#include "config/load.hpp"
#include "config/signal_names.hpp"
#include "logs/level.hpp"
#include "notify/datagram.hpp"
#include "process/children.hpp"
#include "process/signals.hpp"
#include "process/spawn.hpp"
#include "supervisor/config_warnings.hpp"
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
  format_.timestamps = cfg_.supervisor.log_timestamps;
  format_.color = opts.color;
  ::signal(SIGPIPE, SIG_IGN);
  process::ignore_fault_signals_from_others();
  for (int signo : process::loop_signals()) signals_.add(signo);
  for (auto& c : cfg_.tasks) add_task(c, tasks_.end());
  link_tasks();
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
  } catch (const std::system_error& e) {
    log("error", std::string("notify sockets: ") + e.what());
    return false;
  }
  for (auto& t : tasks_) open_notify(t);
  return true;
}

void supervisor::open_notify(task& t) {
  if (!notify_dir_) return;  // before run(): run() opens every task's
  try {
    t.notify = std::make_unique<notify::listener>(loop_, notify_dir_->socket_for(t.cfg->name),
                                                  [this, &t](const notify::listener::datagram& d) { on_notify(t, d); });
    t.launch.set_notify_socket(t.notify->path().string());
    if (auto& id = t.launch.user()) t.notify->allow(id->uid, id->gid);
  } catch (const std::system_error& e) {
    // A task a reload added may not fit where the others' sockets are: it runs without one.
    log("error", "notify socket of " + t.cfg->name + ": " + e.what() + "; its processes get no NOTIFY_SOCKET");
  }
}

task& supervisor::add_task(const config::task& c, std::list<task>::iterator where) {
  auto& t = *tasks_.emplace(where, c, cfg_.secret_vars);
  by_config_[t.cfg] = &t;
  for (int i = 0; i < c.instances; ++i) t.instances.push_back(std::make_unique<instance>(*this, *t.cfg, i));
  open_notify(t);
  return t;
}

void supervisor::link_tasks() {
  index_.clear();
  for (auto& t : tasks_) {
    if (t.retiring) continue;
    index_.emplace(t.cfg->name, &t);
    t.deps.clear();
    t.dependents.clear();
  }
  for (auto& t : tasks_) {
    if (t.retiring) continue;
    for (auto& name : t.cfg->depends_on) {
      auto it = index_.find(name);
      // Unknown names were refused when the config was read; a repeated one counts once.
      if (it == index_.end() || std::find(t.deps.begin(), t.deps.end(), it->second) != t.deps.end()) continue;
      t.deps.push_back(it->second);
      it->second->dependents.push_back(&t);
    }
  }
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

bool supervisor::has_exited(pid_t pid) {
  return process::has_exited(pid);
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
  apply_watch();
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
      log("info", "received SIGHUP: reloading " + cfg_.file.string());
      if (!shutting_down()) reload_file();
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
    for (auto* d : t.dependents) t.busy_dependents += d->busy;
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
  for (auto* d : t.deps)
    if (--d->busy_dependents == 0) stop_task(*d);
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
  for (auto* d : task_of(t).deps)
    for (auto& i : d->instances)
      if (!i->counts_as_ready()) return false;
  return true;
}

std::string supervisor::failed_dependency(const config::task& t) {
  for (auto* d : task_of(t).deps)
    for (auto& i : d->instances) {
      if (i->state() == state::fatal) return i->label() + " is fatal";
      if (i->has_failed_for_good()) return i->label() + " exited with a failure and does not restart";
      if (i->state() == state::blocked) return i->label() + " is blocked";
    }
  return {};
}

std::vector<instance*> supervisor::instances_of(const std::vector<std::string>& names) {
  // Live tasks only: one a reload removed is no longer a name to act on.
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
    if (!t.retiring && (names.empty() || std::find(names.begin(), names.end(), t.cfg->name) != names.end()))
      for (size_t n = 0; n < std::min(t.instances.size(), t.keep); ++n) out.push_back(t.instances[n].get());
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
  instances_of(names);  // unknown names are refused before anything is done
  start_existing(names, std::move(done));
}

std::vector<instance*> supervisor::existing_instances_of(const std::vector<std::string>& names) {
  std::vector<std::string> known;
  for (auto& n : names)
    if (index_.count(n)) known.push_back(n);
  if (known.empty() && !names.empty()) return {};
  return instances_of(known);
}

// Instances are looked up by name at each step, never kept across one: a reload may remove
// them while the request waits (the waits forget those).
void supervisor::start_existing(const std::vector<std::string>& names, request_done done) {
  auto targets = existing_instances_of(names);
  std::chrono::milliseconds limit{0};
  for (auto* i : targets) limit = std::max(limit, std::chrono::milliseconds(i->task().stop_timeout));
  // An instance being stopped starts once it is stopped: `start` means nothing while stopping.
  waits_.add(
      targets, [](const instance& i) { return i.state() != state::stopping && !i.is_spawning(); },
      limit + stop_grace, [this, names, done = std::move(done)](std::vector<instance*>) {
        if (shutting_down()) return done(existing_instances_of(names));
        auto now = existing_instances_of(names);
        for (auto* i : now) i->request_start();
        waits_.add(now, [](const instance& i) { return !i.is_spawning(); }, start_limit_wait,
                   [this, names, done](std::vector<instance*> unsettled) {
                     for (auto* i : existing_instances_of(names))
                       if (i->state() == state::stopping) unsettled.push_back(i);
                     done(std::move(unsettled));
                   });
      });
}

void supervisor::restart(const std::vector<std::string>& names, request_done done) {
  stop(names, [this, names, done = std::move(done)](std::vector<instance*> not_stopped) {
    if (!not_stopped.empty() || shutting_down()) return done(std::move(not_stopped));
    start_existing(names, done);
  });
}

uint64_t supervisor::follow(const std::string& name, std::function<void(std::string_view)> line,
                            std::function<void()> end) {
  auto it = index_.find(name);
  if (it == index_.end()) throw std::invalid_argument("unknown task: " + name);
  auto& t = *it->second;
  auto id = ++next_follower_;
  if (t.followers.empty()) tap_followers(t);
  t.followers.emplace(id, task::follower{std::move(line), std::move(end)});
  return id;
}

void supervisor::tap_followers(task& t) {
  for (auto& i : t.instances)
    i->tap_output([&t](std::string_view text) {
      // A follower may unfollow itself while it is called (its reader went away).
      for (auto it = t.followers.begin(); it != t.followers.end();) {
        auto next = std::next(it);
        it->second.line(text);
        it = next;
      }
    });
}

void supervisor::unfollow(const std::string& name, uint64_t id) {
  auto it = index_.find(name);
  if (it == index_.end()) return;
  auto& t = *it->second;
  t.followers.erase(id);
  if (t.followers.empty())
    for (auto& i : t.instances) i->tap_output({});
}

supervisor::reload_summary supervisor::reload(config::config next) {
  if (shutting_down()) throw std::runtime_error("taskmux is shutting down");
  reload_summary sum;
  // What needs taskmux itself to restart keeps its running value, and is said.
  auto keep = [&](auto& running, auto& wanted, const char* key) {
    if (running == wanted) return;
    sum.needs_restart.push_back(key);
    wanted = running;
  };
  keep(cfg_.supervisor.name, next.supervisor.name, "[supervisor] name");
  keep(cfg_.supervisor.state_dir, next.supervisor.state_dir, "[supervisor] state_dir");
  keep(cfg_.supervisor.log_format, next.supervisor.log_format, "[supervisor] log_format");
  keep(cfg_.reports, next.reports, "[reports]");
  keep(cfg_.http, next.http, "[http]");
  keep(cfg_.sftp, next.sftp, "[sftp]");
  for (auto& key : sum.needs_restart) log("warn", "reload: " + key + " changed; it applies when taskmux restarts");

  std::map<std::string, const config::task*, std::less<>> wanted;
  for (auto& c : next.tasks) wanted.emplace(c.name, &c);
  std::vector<task*> gone;  // removed, or changed (then replaced once stopped)
  std::vector<task*> grown;
  for (auto& t : tasks_) {
    if (t.retiring) continue;
    auto it = wanted.find(t.cfg->name);
    if (it == wanted.end()) {
      sum.removed.push_back(t.cfg->name);
      gone.push_back(&t);
      continue;
    }
    auto c = *it->second;
    c.instances = t.cfg->instances;
    if (!(c == *t.cfg) || next.secret_vars != t.secret_vars) {
      sum.restarted.push_back(t.cfg->name);
      t.replacement = *it->second;
      gone.push_back(&t);
      continue;
    }
    int now = static_cast<int>(std::min(t.instances.size(), t.keep)), want = it->second->instances;
    if (now == want) {
      sum.unchanged.push_back(t.cfg->name);
      continue;
    }
    sum.scaled.push_back(t.cfg->name + " " + std::to_string(now) + " -> " + std::to_string(want));
    t.config.instances = want;
    if (want < now) {
      t.keep = static_cast<size_t>(want);
      for (size_t n = t.keep; n < t.instances.size(); ++n) t.instances[n]->request_stop();
    } else {
      // Instances being scaled away come back; new ones are added after them.
      t.keep = SIZE_MAX;
      for (int n = static_cast<int>(t.instances.size()); n < want; ++n)
        t.instances.push_back(std::make_unique<instance>(*this, *t.cfg, n));
      if (!t.followers.empty()) tap_followers(t);  // `logs -f` sees the new instances too
      grown.push_back(&t);
    }
  }
  // New tasks come after the others (status lists them last until taskmux restarts).
  std::vector<task*> added;
  for (auto& c : next.tasks) {
    bool known = std::any_of(tasks_.begin(), tasks_.end(), [&](const task& t) { return !t.retiring && t.cfg->name == c.name; });
    if (known) continue;
    sum.added.push_back(c.name);
    added.push_back(&add_task(c, tasks_.end()));
  }
  // The supervisor's own live settings (log_level, log_timestamps, report_interval,
  // shutdown_timeout, watch).
  cfg_ = std::move(next);
  format_.timestamps = cfg_.supervisor.log_timestamps;
  for (auto* t : gone) t->retiring = true;
  link_tasks();
  retire(gone);
  for (auto* t : added)
    for (auto& i : t->instances) i->handle(event::start);
  for (auto* t : grown)
    for (auto& i : t->instances)
      if (i->state() == state::stopped && !i->is_spawning()) i->request_start();
  post_settle();
  return sum;
}

supervisor::reload_outcome supervisor::reload_file() {
  reload_outcome out;
  auto began = std::chrono::steady_clock::now();
  auto loaded = config::load(cfg_.file);
  if (!loaded.value) {
    std::string all;
    for (auto& d : loaded.problems) {
      out.problems.push_back(config::format(d));
      all += (all.empty() ? "" : "\n") + out.problems.back();
    }
    report_config_error(all);
    return out;
  }
  for (auto& w : warnings_about(*loaded.value, cfg_.file.string(), std::move(loaded.warnings)))
    log("warn", config::format(w));
  out.applied = reload(std::move(*loaded.value));
  auto& s = *out.applied;
  auto list = [](const std::vector<std::string>& v) {
    std::string text;
    for (auto& x : v) text += (text.empty() ? "" : ", ") + x;
    return text;
  };
  std::string said;
  for (auto [what, names] : {std::pair{"added", &s.added}, {"removed", &s.removed}, {"restarted", &s.restarted},
                             {"scaled", &s.scaled}})
    if (!names->empty()) said += (said.empty() ? "" : "; ") + std::string(what) + ": " + list(*names);
  out.took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - began);
  char took[32];
  std::snprintf(took, sizeof took, "%.1f ms", static_cast<double>(out.took.count()) / 1000);
  log("info", "reload: " + (said.empty() ? std::string("nothing changed") : said) + " (" +
                  std::to_string(s.unchanged.size()) + " unchanged; read and applied in " + took + ")");
  apply_watch();
  return out;
}

void supervisor::apply_watch() {
  if (!cfg_.supervisor.watch) {
    watch_.reset();
    return;
  }
  if (watch_) return;
  try {
    watch_ = std::make_unique<config_watch>(loop_, cfg_.file, [this] {
      log("info", cfg_.file.string() + " changed: reloading");
      if (!shutting_down()) reload_file();
    });
  } catch (const std::system_error& e) {
    log("warn", std::string("watch = true: ") + e.what() + "; reload with `taskmux reload` or SIGHUP");
  }
}

void supervisor::report_config_error(const std::string& problems) {
  log("error", "reload: the config is invalid; the running tasks are kept:\n" + problems);
  event_record r;
  r.ts = std::chrono::system_clock::now();
  r.event = report_event::config_error;
  r.to = route_of(r.event, true);
  r.ns = cfg_.supervisor.name;
  r.state = "running";
  r.message = "reload refused, the running tasks are kept: " + problems;
  emit(r);
}

void supervisor::retire(const std::vector<task*>& gone) {
  // Reverse dependency order among them: a task stops once its retiring dependents are gone.
  for (auto* t : gone) {
    t->retire_sent = false;
    t->retiring_dependents = 0;
  }
  for (auto* t : gone)
    for (auto* d : t->deps)
      if (d->retiring) ++d->retiring_dependents;
  for (auto* t : gone)
    if (t->retiring_dependents == 0) stop_retiring(*t);
}

void supervisor::stop_retiring(task& t) {
  t.retire_sent = true;
  for (auto& i : t.instances)
    if (!i->is_idle()) i->request_stop();
  post_settle();
}

void supervisor::post_settle() {
  if (settle_posted_) return;
  settle_posted_ = true;
  boost::asio::post(loop_, [this] {
    settle_posted_ = false;
    settle_retired();
  });
}

void supervisor::settle_retired() {
  if (shutting_down()) return;
  bool relink = false;
  std::vector<task*> replaced;
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    auto& t = *it;
    auto idle = [](const std::unique_ptr<instance>& i) { return i->is_idle(); };
    if (t.retiring && t.retire_sent && std::all_of(t.instances.begin(), t.instances.end(), idle)) {
      for (auto* d : t.deps)
        if (d->retiring && --d->retiring_dependents == 0) stop_retiring(*d);
      for (auto& i : t.instances) waits_.forget(*i);
      // Its readers' streams end with it (a replacement's output is a new stream: follow again).
      for (auto& [id, f] : std::exchange(t.followers, {}))
        if (f.end) f.end();
      log("info", t.cfg->name + (t.replacement ? ": stopped for the new config" : ": removed by the reload"));
      if (t.replacement) replaced.push_back(&add_task(*t.replacement, it));
      by_config_.erase(t.cfg);
      it = tasks_.erase(it);
      relink = true;
      continue;
    }
    // Scaled down: the extra instances go once stopped, the last first.
    while (!t.retiring && t.instances.size() > t.keep && t.instances.back()->is_idle()) {
      waits_.forget(*t.instances.back());
      t.instances.pop_back();
    }
    if (t.instances.size() <= t.keep) t.keep = SIZE_MAX;
    ++it;
  }
  if (relink) link_tasks();
  for (auto* t : replaced)
    for (auto& i : t->instances) i->handle(event::start);
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
  if ((t.retiring || t.instances.size() > t.keep) && !shutting_down()) return post_settle();
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
    for (auto* d : t.dependents) {
      auto& dependent = *d;
      if (!deps_ready(*dependent.cfg)) continue;
      for (auto& x : dependent.instances)
        if (x->state() == state::starting || x->state() == state::blocked) x->handle(event::deps_ready);
    }
  } else if (i.has_failed_for_good() || i.state() == state::blocked) {
    for (auto* d : t.dependents)
      for (auto& x : d->instances)
        if (x->state() == state::starting) x->handle(event::deps_failed);
  }
}

}  // namespace taskmux::supervisor
