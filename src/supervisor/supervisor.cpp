#include "supervisor/supervisor.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>

#include "config/duration.hpp"
#include "config/signal_names.hpp"
#include "notify/datagram.hpp"
#include "process/children.hpp"
#include "process/spawn.hpp"
#include "supervisor/depgraph.hpp"

extern char** environ;

namespace taskmux::supervisor {
namespace {

/// Grace between SIGTERM and SIGKILL for orphans that belong to no instance.
constexpr std::chrono::seconds orphan_grace{2};

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
      signals_(loop_, SIGTERM, SIGINT, SIGHUP),
      out_(STDOUT_FILENO),
      err_(STDERR_FILENO),
      run_id_(make_run_id()),
      spawner_(loop_),
      shutdown_timer_(loop_),
      orphan_timer_(loop_) {
  format_.format = cfg_.supervisor.log_format;
  format_.color = opts.color;
  ::signal(SIGPIPE, SIG_IGN);
  for (auto& t : cfg_.tasks) {
    task_slot slot{&t, {}, dependents_of(cfg_, t.name)};
    for (int i = 0; i < t.instances; ++i) slot.instances.push_back(std::make_unique<instance>(*this, t, i));
    tasks_.push_back(std::move(slot));
  }
  arm_signals();
}

supervisor::~supervisor() = default;

void supervisor::log(std::string_view level, std::string_view text) {
  std::string line;
  format_.own_line(line, level, text);
  err_.append(line);
}

bool supervisor::open_notify_sockets() {
  size_t longest = 0;
  bool shared = false;
  for (auto& t : cfg_.tasks) {
    longest = std::max(longest, t.name.size());
    shared = shared || t.user.has_value();
  }
  try {
    notify_dir_ = std::make_unique<notify::socket_directory>(cfg_.supervisor.state_dir, longest, shared);
    for (auto& slot : tasks_) {
      slot.notify = std::make_unique<notify::listener>(
          loop_, notify_dir_->socket_for(slot.cfg->name),
          [this, &slot](const notify::listener::datagram& d) { on_notify(slot, d); });
      if (slot.cfg->user)
        if (auto id = process::lookup_user(*slot.cfg->user)) slot.notify->allow(id->uid, id->gid);
    }
  } catch (const std::system_error& e) {
    log("error", std::string("notify sockets: ") + e.what());
    return false;
  }
  return true;
}

std::string supervisor::notify_socket(const config::task& t) {
  auto* slot = find(t.name);
  return slot && slot->notify ? slot->notify->path().string() : std::string();
}

std::shared_ptr<const std::vector<std::string>> supervisor::task_env(const config::task& t) {
  auto* slot = find(t.name);
  if (slot && slot->env) return slot->env;
  std::map<std::string, std::string> env;
  if (t.inherit_env)
    for (char** e = environ; *e; ++e) {
      std::string_view kv(*e);
      auto eq = kv.find('=');
      if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
  // taskmux's own, from a service manager above it
  for (auto* own : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "TASK_INSTANCE", process::instance_mark_name})
    env.erase(own);
  // taskmux's secrets (a broker password...) reach a task only when its own `env` names them.
  for (auto& secret : cfg_.secret_vars)
    env.erase(secret);
  env.emplace("PYTHONUNBUFFERED", "1");
  for (auto& [k, v] : t.env) env[k] = v;
  env["TASK_NAME"] = t.name;
  env["NAMESPACE"] = t.namespace_;
  if (auto socket = notify_socket(t); !socket.empty()) env["NOTIFY_SOCKET"] = socket;
  if (t.watchdog) env["WATCHDOG_USEC"] = std::to_string(t.watchdog->count() * 1000);
  if (t.every) env["FREQUENCY_SEC"] = std::to_string(std::max<long long>(1, t.every->count() / 1000));
  auto vars = std::make_shared<std::vector<std::string>>();
  for (auto& [k, v] : env) vars->push_back(k + "=" + v);
  if (slot) slot->env = vars;
  return vars;
}

std::string supervisor::program(const config::task& t) {
  auto* slot = find(t.name);
  if (slot && !slot->program.empty()) return slot->program;
  auto env = task_env(t);
  std::vector<const char*> vars;
  for (auto& kv : *env) vars.push_back(kv.c_str());
  auto path = t.cmd.argv.empty() ? std::string() : process::find_program(t.cmd.argv[0], vars);
  if (slot) slot->program = path;
  return path;
}

void supervisor::on_notify(task_slot& slot, const notify::listener::datagram& d) {
  if (d.truncated) return refuse_notify(slot, d.pid, "larger than " + std::to_string(notify::max_datagram) + " bytes");
  auto parsed = notify::parse(d.payload);
  if (!parsed.value) return refuse_notify(slot, d.pid, parsed.error);
  // The socket names the task; the kernel's pid names the instance, and proves the sender
  // is one of its processes (main process, its process group, or marked as started by it).
  instance* from = nullptr;
  for (auto& i : slot.instances)
    if (d.pid != 0 && i->pid() == d.pid) from = i.get();
  if (!from) {
    auto info = process::read_process(d.pid);
    for (auto& i : slot.instances)
      if (info && i->pgid() != 0 && info->pgid == i->pgid() && i->has_processes()) from = i.get();
  }
  if (!from)
    if (auto mark = process::instance_mark(d.pid))
      for (auto& i : slot.instances)
        if (*mark == i->mark() && (i->has_processes() || i->is_spawning())) from = i.get();
  if (!from) return refuse_notify(slot, d.pid, "sender is no process of " + slot.cfg->name);
  ++notify_stats_.accepted;
  from->on_notify(*parsed.value);
}

void supervisor::refuse_notify(task_slot& slot, pid_t pid, const std::string& why) {
  ++notify_stats_.refused;
  ++slot.notify_refused_unlogged;
  auto now = std::chrono::steady_clock::now();
  if (slot.notify_warned_at != std::chrono::steady_clock::time_point{} && now - slot.notify_warned_at < notify_warning_gap)
    return;
  std::string count = slot.notify_refused_unlogged > 1
                          ? " (" + std::to_string(slot.notify_refused_unlogged) + " refused since the last warning)"
                          : "";
  log("warn", "notify socket of " + slot.cfg->name + ": ignored a datagram from pid " + std::to_string(pid) + ": " +
                  why + count);
  slot.notify_warned_at = now;
  slot.notify_refused_unlogged = 0;
}

int supervisor::run() {
  size_t count = 0;
  for (auto& slot : tasks_) count += slot.instances.size();
  log("info", "taskmux " TASKMUX_VERSION " (pid " + std::to_string(::getpid()) + ", run " + run_id_ + "): " +
                  std::to_string(tasks_.size()) + " tasks, " + std::to_string(count) + " instances from " +
                  cfg_.file.string());
  if (!open_notify_sockets()) {
    err_.flush();
    return 1;
  }
  open_cgroups();
  if (!spawner_.has_own_descriptors())
    log("info", "spawning with taskmux's own descriptor table (" + spawner_.shared_table_reason() +
                    "): each spawn copies every open descriptor, which grows with the number of instances");
  for (auto& slot : tasks_)
    for (auto& i : slot.instances) i->handle(event::start);
  if (tasks_.empty()) log("info", "no [[task]] in the config; waiting for a signal");
  loop_.run();
  if (cgroups_)
    for (auto& stays : cgroups_->remove()) log("warn", "unable to remove cgroup " + stays);
  out_.flush();
  err_.flush();
  return exit_code_;
}

void supervisor::open_cgroups() {
  std::string why;
  cgroups_ = process::cgroup_tree::create(loop_, run_id_, why);
  if (!cgroups_) {
    log("info", "cgroup tracking off (" + why + "): leftovers are found by process group and instance mark");
    return;
  }
  log("info", "cgroup tracking on: " + cgroups_->dir());
  for (auto& dir : cgroups_->stale_runs())
    log("warn", "cgroup " + dir + " of a taskmux that was killed still holds processes; left in place");
}

void supervisor::arm_signals() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    on_signal(signo);
    arm_signals();
  });
}

void supervisor::on_signal(int signo) {
  if (signo == SIGHUP) {
    log("info", "received SIGHUP: reload is not available in this version; the running set is unchanged");
    return;
  }
  if (shutting_down_) {
    log("info", "received " + config::signal_name(signo) + " again: killing everything now");
    force_kill();
    return;
  }
  shutdown(0, "received " + config::signal_name(signo));
}

void supervisor::shutdown(int code, const std::string& why) {
  if (shutting_down_) return;
  shutting_down_ = true;
  exit_code_ = code;
  log("info", why + ": stopping all tasks (shutdown_timeout " +
                  config::format_duration(cfg_.supervisor.shutdown_timeout) + ")");
  shutdown_timer_.expires_after(cfg_.supervisor.shutdown_timeout);
  shutdown_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || finished_) return;
    log("fault", "shutdown_timeout passed: killing what is left");
    force_kill();
  });
  advance_shutdown();
}

void supervisor::advance_shutdown() {
  bool all_idle = true;
  for (auto& slot : tasks_) {
    if (!slot.stop_sent) {
      bool dependents_gone = true;
      for (auto& name : slot.dependents)
        for (auto& i : find(name)->instances) dependents_gone = dependents_gone && i->is_idle();
      if (dependents_gone) {
        slot.stop_sent = true;
        for (auto& i : slot.instances) i->request_stop();
      }
    }
    for (auto& i : slot.instances) all_idle = all_idle && i->is_idle();
  }
  if (all_idle && !orphan_phase_) stop_orphans();
}

void supervisor::stop_orphans() {
  orphan_phase_ = true;
  // Orphans are reaped as unknown pids; the last one ends the shutdown.
  reaper_.set_orphan_handler([this] {
    if (!finished_ && !reaper_.has_unwatched_children()) finish();
  });
  auto count = signal_orphans(SIGTERM);
  if (count == 0) return finish();
  log("info", "stopping " + std::to_string(count) + " orphaned processes");
  orphan_timer_.expires_after(orphan_grace);
  orphan_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || finished_) return;
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

void supervisor::force_kill() {
  for (auto& slot : tasks_)
    for (auto& i : slot.instances) i->kill_now();
  signal_orphans(SIGKILL);
  if (!shutting_down_) shutdown(exit_code_, "forced");
  // Whatever is left now can only be reaped; give it a moment, then leave regardless.
  shutdown_timer_.expires_after(std::chrono::seconds(2));
  shutdown_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !finished_) {
      log("fault", "processes still present after SIGKILL; exiting anyway");
      finish();
    }
  });
}

void supervisor::finish() {
  if (finished_) return;
  finished_ = true;
  size_t killed = 0;
  for (auto& slot : tasks_)
    for (auto& i : slot.instances) killed += i->needed_kill();
  log("info", "all tasks stopped" + (killed ? " (" + std::to_string(killed) + " needed SIGKILL)" : std::string()) +
                  "; " + std::to_string(reaper_.orphans_reaped()) + " orphans reaped; exit code " +
                  std::to_string(exit_code_));
  shutdown_timer_.cancel();
  orphan_timer_.cancel();
  loop_.stop();
}

task_slot* supervisor::find(const std::string& name) {
  for (auto& slot : tasks_)
    if (slot.cfg->name == name) return &slot;
  return nullptr;
}

bool supervisor::deps_ready(const config::task& t) {
  for (auto& dep : t.depends_on) {
    auto* slot = find(dep);
    if (!slot) continue;
    for (auto& i : slot->instances)
      if (!i->counts_as_ready()) return false;
  }
  return true;
}

void supervisor::emit(const event_record& r) {
  for (auto* s : sinks_) s->on_event(r);
}

void supervisor::on_state_change(instance& i) {
  if (shutting_down_) return advance_shutdown();
  if (i.state() == state::fatal && i.task().critical) {
    shutdown(1, "critical task " + i.label() + " is fatal");
    return;
  }
  if (!i.counts_as_ready()) return;
  for (auto& name : find(i.task().name)->dependents) {
    auto* slot = find(name);
    if (!deps_ready(*slot->cfg)) continue;
    for (auto& dependent : slot->instances)
      if (dependent->state() == state::starting) dependent->handle(event::deps_ready);
  }
}

}  // namespace taskmux::supervisor
