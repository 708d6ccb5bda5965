#include "config/read_task.hpp"

#include <csignal>
#include <sstream>

#include "config/duration.hpp"
#include "config/name.hpp"
#include "config/signal_names.hpp"

namespace taskmux::config {
namespace {

void read_command(table_reader& r, task& t) {
  auto* n = r.node("command");
  if (!n) {
    r.error_here("task '" + t.name + "': missing required key 'command'");
    return;
  }
  if (n->is_string()) {
    auto s = r.expand_node(*n, "command");
    if (s && s->empty()) r.error("command", "command must not be empty");
    else if (s) t.cmd = {{"/bin/sh", "-c", *s}, true};
    return;
  }
  if (auto argv = r.string_array("command", true)) {
    if ((*argv)[0].empty()) r.error("command", "command[0] (the program) must not be empty");
    t.cmd = {std::move(*argv), false};
    return;
  }
}

void read_env(table_reader& r, task& t) {
  auto* env = r.table("env");
  if (!env) return;
  for (auto&& [key, value] : *env) {
    std::string k(key.str());
    if (k.find('\0') != std::string::npos) {
      r.context().error(key.source(), std::string("env name ") + nul_message);
      continue;
    }
    if (k.empty() || k.find('=') != std::string::npos) {
      r.context().error(key.source(), "env name \"" + k + "\" must not be empty or contain '='");
      continue;
    }
    if (value.is_integer() || value.is_floating_point() || value.is_boolean()) {
      std::ostringstream os;
      value.visit([&](auto&& v) { os << v; });
      t.env[k] = os.str();
    } else if (auto s = r.expand_node(value, "env." + k)) {
      t.env[k] = *s;
    }
  }
}

void read_backoff(table_reader& parent, task& t) {
  auto* tbl = parent.table("backoff");
  if (!tbl) return;
  table_reader r(*tbl, parent.context());
  if (auto d = r.positive_duration("initial", true)) t.backoff.initial = *d;
  if (auto d = r.positive_duration("max", true)) t.backoff.max = *d;
  if (t.backoff.initial > t.backoff.max)
    r.error("initial", "backoff.initial (" + format_duration(t.backoff.initial) +
                           ") must not exceed backoff.max (" + format_duration(t.backoff.max) +
                           ")");
  r.finish();
}

void read_start_limit(table_reader& parent, task& t) {
  auto* tbl = parent.table("start_limit");
  if (!tbl) return;
  table_reader r(*tbl, parent.context());
  if (auto b = r.integer("burst", 0, 1'000'000)) t.start_limit.burst = static_cast<int>(*b);
  if (auto d = r.positive_duration("interval")) t.start_limit.interval = *d;
  r.finish();
}

void read_ready(table_reader& parent, task& t) {
  auto* n = parent.node("ready");
  if (!n) return;
  const std::string forms =
      "ready must be \"started\", \"notify\", or one of { tcp = \"HOST:PORT\" }, "
      "{ http = \"URL\" }, { exec = [\"argv\", ...] }";
  if (n->is_string()) {
    if (auto s = parent.string("ready")) {
      if (*s == "started" || *s == "notify")
        t.ready = *s == "notify" ? ready_check{ready_notify{}} : ready_check{ready_started{}};
      else
        parent.error("ready", forms + ", not \"" + *s + "\"");
    }
    return;
  }
  auto* tbl = n->as_table();
  if (!tbl || tbl->size() != 1) {
    parent.error("ready", forms);
    return;
  }
  table_reader r(*tbl, parent.context());
  for (auto* form : {"tcp", "http", "exec"})
    r.node(form);  // known here, for finish()'s guess
  if (r.has("tcp")) {
    if (auto a = r.address("tcp", "ready.tcp")) t.ready = ready_tcp{std::move(*a)};
  } else if (r.has("http")) {
    if (auto u = r.url("http", "ready.http")) t.ready = ready_http{std::move(*u)};
  } else if (r.has("exec")) {
    if (auto argv = r.string_array("exec", true)) t.ready = ready_exec{*argv};
  }
  r.finish();
}

void read_health(table_reader& parent, task& t) {
  auto* tbl = parent.table("health");
  if (!tbl) return;
  table_reader r(*tbl, parent.context());
  health_check h;
  if (auto u = r.url("http", "health.http")) {
    h.url = std::move(*u);
  } else if (!r.has("http")) {
    r.error_here("health: missing required key 'http'");
  }
  if (auto d = r.positive_duration("interval")) h.interval = *d;
  if (auto d = r.positive_duration("timeout")) h.timeout = *d;
  if (auto f = r.integer("failures", 1, 1000)) h.failures = static_cast<int>(*f);
  t.health = h;
  r.finish();
}

std::optional<channel> read_channel(table_reader& parent, const char* key, bool is_input) {
  auto* tbl = parent.table(key);
  if (!tbl) return std::nullopt;
  table_reader r(*tbl, parent.context());
  channel ch;
  if (auto s = r.string("sftp")) ch.sftp = *s;
  if (auto p = r.string("path")) ch.path = *p;
  if (auto q = r.string("queue")) ch.queue = *q;
  if (is_input) {
    if (auto a = r.string("archive")) ch.archive = *a;
    if (auto m = r.integer("max_attempts", 1, 1000)) ch.max_attempts = static_cast<int>(*m);
  }
  if (ch.sftp && ch.path.empty() && !r.has("path"))
    r.error_here(std::string(key) + ": 'sftp' needs 'path' (the remote directory)");
  if (!ch.sftp && !ch.queue && !r.has("sftp") && !r.has("queue"))
    r.error_here(std::string(key) + ": set 'sftp' (with 'path') and/or 'queue'");
  r.finish();
  return ch;
}

task read_task(table_reader& r, const config& c) {
  task t;
  if (auto n = r.string("name")) {
    if (n->empty()) r.error("name", "task name must not be empty");
    else if (!is_valid_name(*n))
      r.error("name", invalid_name_message("task name", *n));
    t.name = *n;
  } else if (!r.has("name")) {
    r.error_here("[[task]]: missing required key 'name'");
  }
  read_command(r, t);
  t.workdir = r.path("workdir").value_or(c.file.parent_path());
  read_env(r, t);
  if (auto b = r.boolean("inherit_env")) t.inherit_env = *b;
  if (auto u = r.string("user")) t.user = *u;
  if (auto i = r.integer("instances", 1, 10'000)) t.instances = static_cast<int>(*i);
  if (auto p = r.one_of("restart", {"always", "on-failure", "never"}))
    t.restart = *p == "always" ? restart_policy::always
                : *p == "never" ? restart_policy::never
                                : restart_policy::on_failure;
  read_backoff(r, t);
  read_start_limit(r, t);
  if (auto* n = r.node("stop_signal")) {
    std::optional<int> sig;
    if (auto* i = n->as_integer()) sig = i->get() > 0 && i->get() < 65 ? std::optional<int>(i->get()) : std::nullopt;
    else if (auto s = r.expand_node(*n, "stop_signal")) sig = parse_signal(*s);
    else sig = 0;  // already reported
    if (!sig)
      r.error("stop_signal",
              "stop_signal must name a signal such as \"TERM\", \"INT\" or \"QUIT\"");
    else if (*sig == SIGSTOP)  // cannot be caught: the task would hang until stop_timeout's SIGKILL
      r.error("stop_signal",
              "stop_signal SIGSTOP pauses a process, it cannot stop one; use \"TERM\", \"INT\", "
              "\"QUIT\" or \"KILL\"");
    else if (*sig)
      t.stop_signal = *sig;
  }
  if (auto m = r.one_of("kill_mode", {"mixed", "group"})) t.kill_mode = *m == "group" ? kill_mode::group : kill_mode::mixed;
  if (auto d = r.positive_duration("stop_timeout")) t.stop_timeout = *d;
  if (auto deps = r.string_array("depends_on", false)) t.depends_on = *deps;
  read_ready(r, t);
  read_health(r, t);
  t.watchdog = r.positive_duration("watchdog");
  if (auto b = r.boolean("critical")) t.critical = *b;
  t.namespace_ = t.name;
  if (auto ns = r.string("namespace")) {
    if (!is_valid_name(*ns)) r.error("namespace", invalid_name_message("namespace", *ns));
    t.namespace_ = *ns;
  }
  t.every = r.positive_duration("every");
  t.timeout = r.positive_duration("timeout");
  t.input = read_channel(r, "input", true);
  t.output = read_channel(r, "output", false);
  r.finish();
  return t;
}

text_position command_position(const toml::table& task_table) {
  auto* n = task_table.get("command");
  if (auto* argv = n ? n->as_array() : nullptr; argv && !argv->empty()) n = argv->get(0);
  auto where = (n ? n->source() : task_table.source()).begin;
  return {static_cast<int>(where.line), static_cast<int>(where.column)};
}

}  // namespace

void read_tasks(table_reader& top, config& c, reader_context& ctx) {
  auto* n = top.node("task");
  if (!n) return;
  auto* tasks = n->as_array();
  if (!tasks || !tasks->is_array_of_tables()) {
    ctx.error(n->source(), "task must be written as [[task]] tables");
    return;
  }
  c.tasks.reserve(tasks->size());
  c.command_at.reserve(tasks->size());
  for (auto& item : *tasks) {
    auto& table = *item.as_table();
    ctx.task = {table.get_as<toml::table>("env"), table.get("command")};
    table_reader r(table, ctx);
    c.tasks.push_back(read_task(r, c));
    c.command_at.push_back(command_position(table));
  }
  ctx.task = {};
}

}  // namespace taskmux::config
