#include "migrate/task_table.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "config/signal_names.hpp"
#include "migrate/explain.hpp"
#include "migrate/toml_text.hpp"

namespace taskmux::migrate {
namespace {

/// The start_limit window for `retries` + 1 starts that each end within `startsecs`, with
/// taskmux's default backoff between them (100 ms doubling to 30 s, +20% jitter at most) and
/// one second to spare.
long start_window(long retries, long startsecs) {
  double seconds = static_cast<double>(retries + 1) * static_cast<double>(startsecs);
  double backoff = 0.1;
  for (long k = 0; k < retries; ++k) {
    if (backoff >= 30) {
      seconds += static_cast<double>(retries - k) * 30 * 1.2;
      break;
    }
    seconds += backoff * 1.2;
    backoff *= 2;
  }
  return static_cast<long>(std::ceil(seconds)) + 1;
}

bool has_process_num(const pieces& value) {
  return has(value, piece::kind::process_num);
}

bool is_shell_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string restart_of(enum autorestart a) {
  return a == autorestart::always ? "always" : a == autorestart::never ? "never" : "on-failure";
}

/// TOML for the stop signal: its name ("QUIT"), or its number when it has none.
std::string signal_value(int signo) {
  auto name = config::signal_name(signo);
  return name.starts_with("SIG") ? toml_string(name.substr(3)) : std::to_string(signo);
}

/// Writes the keys of one [[task]] in order, and notes the settings taskmux does not keep.
class task_writer {
 public:
  task_writer(const program& p, const task_plan& plan) : p_(p), plan_(plan) {}

  std::string text();
  std::vector<std::string> differing;  ///< settings taskmux does not keep as they were

 private:
  std::string from(const char* key, std::string fallback = {}) {
    handled_.insert(key);
    auto* s = p_.find(key);
    return s ? std::string(key) + " = " + s->text : fallback;
  }
  void note(const std::string& key, const std::string& text, bool differs = true) {
    out_ += comment_lines(text);
    if (differs) differing.push_back(key);
  }
  void command();
  void env();
  void order();
  void start_limit();
  void stop();
  void rest();

  const program& p_;
  const task_plan& plan_;
  std::string out_;
  std::set<std::string> handled_;
};

std::string task_writer::text() {
  out_ = "[[task]]\nname = " + toml_string(plan_.name) + "\n";
  if (plan_.name != p_.name)
    note("name", "name: supervisord's \"" + p_.name + "\" is \"" + plan_.name +
                     "\" here: task names must match [A-Za-z0-9_.-]+ (at most 64 characters)");
  command();
  if (p_.find("numprocs"))
    out_ += key_line("instances = " + std::to_string(p_.numprocs), from("numprocs"));
  if (p_.directory && !has_process_num(*p_.directory)) {
    out_ += key_line("workdir = " + toml_string(load_time_text(*p_.directory)), from("directory"));
    if (!literal_text(*p_.directory).starts_with("/") && is_literal(*p_.directory))
      note("directory",
           "directory: supervisord read a relative directory from the one it was "
           "started in; taskmux reads it from this file's directory");
  }
  if (p_.user)
    out_ += key_line("user = " + toml_string(load_time_text(text_piece(*p_.user))), from("user"));
  env();
  out_ += key_line("restart = \"" + restart_of(p_.autorestart) + "\"",
                   from("autorestart", "autorestart = unexpected (supervisord's default)"));
  order();
  start_limit();
  stop();
  rest();
  return out_;
}

void task_writer::command() {
  auto raw = from("command");
  bool per_instance = has_process_num(p_.directory.value_or(pieces{})) ||
                      std::any_of(p_.command.begin(), p_.command.end(), has_process_num) ||
                      std::any_of(p_.environment.begin(), p_.environment.end(),
                                  [](auto& e) { return has_process_num(e.second); });
  if (!per_instance) {
    std::vector<std::string> argv;
    for (auto& arg : p_.command)
      argv.push_back(load_time_text(arg));
    out_ += key_line("command = " + toml_array(argv), raw);
    return;
  }
  std::string shell;
  if (p_.directory && has_process_num(*p_.directory)) {
    shell += "cd " + shell_word(*p_.directory) + " && ";
    handled_.insert("directory");
  }
  for (auto& [k, v] : p_.environment) {
    if (!has_process_num(v)) continue;
    if (is_shell_name(k))
      shell += "export " + k + "=" + shell_word(v) + "; ";
    else
      note("environment", "environment: " + k +
                              " holds %(process_num) but is no shell variable "
                              "name, so it cannot be set per instance: it is left out");
  }
  shell += "exec";
  for (auto& arg : p_.command)
    shell += " " + shell_word(arg);
  out_ += comment_lines(raw +
                        ": %(process_num) differs per instance, so taskmux runs this with "
                        "/bin/sh -c, where $TASK_INSTANCE is the instance number (0, 1, ...)" +
                        (p_.numprocs_start ? " and supervisord's number is $TASK_INSTANCE + " +
                                                 std::to_string(p_.numprocs_start)
                                           : std::string()));
  out_ += "command = " + toml_string(escape_for_load(shell)) + "\n";
}

void task_writer::env() {
  std::string items;
  for (auto& [k, v] : p_.environment)
    if (!has_process_num(v))
      items += (items.empty() ? "" : ", ") + toml_key(k) + " = " + toml_string(load_time_text(v));
  auto own = from("environment");
  if (items.empty()) return;
  auto global = std::string("[supervisord] environment");
  out_ += key_line("env = { " + items + " }", !plan_.has_global_env ? own
                                              : own.empty()         ? global
                                                                    : global + ", then " + own);
}

void task_writer::order() {
  auto own = from("priority");
  if (!p_.group.empty() && !own.empty())
    out_ += comment_lines(own + ": supervisord ordered the programs of [group:" + p_.group +
                          "] by the group's priority, " + std::to_string(p_.priority));
  std::string why = !p_.group.empty()
                        ? "priority " + std::to_string(p_.priority) + " of [group:" + p_.group + "]"
                    : !own.empty() ? own
                                   : "priority 999 (supervisord's default)";
  if (!plan_.depends_on.empty()) {
    out_ += key_line("depends_on = " + toml_array(plan_.depends_on),
                     why + ": starts once the tasks of priority " +
                         std::to_string(plan_.tier_below) + " are ready, stops before them");
  } else if (!own.empty() || !p_.group.empty()) {
    out_ += comment_lines(why + ": no task here has a lower priority, so it waits for none");
  }
}

void task_writer::start_limit() {
  auto* secs = p_.find("startsecs");
  auto* retries = p_.find("startretries");
  if (!secs && !retries) return;
  auto written = std::string(secs ? "startsecs = " + secs->text : "") +
                 (secs && retries ? ", " : "") + (retries ? "startretries = " + retries->text : "");
  handled_.insert("startsecs");
  handled_.insert("startretries");
  if (p_.startsecs <= 0) {
    out_ +=
        comment_lines(written +
                      ": supervisord counted no start as failed and never gave up; "
                      "no limit here either. taskmux counts the task ready once it has run 1 s");
    out_ += "start_limit = { burst = 0 }\n";
    return;
  }
  long tries = std::clamp(p_.startretries, 0L, 999'999L) + 1;
  out_ += comment_lines(
      written + ": supervisord gave up (FATAL) after " + std::to_string(tries) +
      " starts that each ended within " + std::to_string(p_.startsecs) +
      " s; taskmux gives up after " + std::to_string(tries) +
      " starts within the time those take with its backoff. It counts the task ready after 1 s" +
      (p_.startsecs == 1 ? ""
                         : ", not " + std::to_string(p_.startsecs) +
                               " s (for a real check: ready = { tcp = \"HOST:PORT\" })"));
  out_ += "start_limit = { burst = " + std::to_string(tries) + ", interval = \"" +
          std::to_string(start_window(tries - 1, p_.startsecs)) + "s\" }\n";
}

void task_writer::stop() {
  if (p_.find("stopsignal")) {
    int sig = p_.stopsignal == 19 ? 9 : p_.stopsignal;  // SIGSTOP stops nothing: SIGKILL did it
    if (sig != p_.stopsignal)
      note("stopsignal",
           "stopsignal = STOP only paused the program until supervisord's SIGKILL; "
           "taskmux refuses STOP, and KILL does what happened in the end");
    out_ += key_line("stop_signal = " + signal_value(sig), from("stopsignal"));
  }
  if (p_.find("stopwaitsecs"))
    out_ += key_line("stop_timeout = \"" + std::to_string(std::max(p_.stopwaitsecs, 1L)) + "s\"",
                     from("stopwaitsecs"));
  if (p_.stopasgroup) out_ += key_line("kill_mode = \"group\"", from("stopasgroup"));
}

void task_writer::rest() {
  for (auto& n : p_.notes)
    note("command", n);
  if (p_.uses_host_node_name)
    note("host_node_name",
         "%(host_node_name)s was written as the name of the host that ran "
         "`taskmux import`; supervisord used the host it ran on");
  for (auto& s : p_.settings) {
    if (handled_.count(s.key)) continue;
    auto e = explain_program_key(p_, s, plan_.name);
    out_ += comment_lines(s.key + " = " + s.text + ": " + e.text);
    if (e.differs) differing.push_back(s.key);
  }
}

}  // namespace

task_text write_task(const program& p, const task_plan& plan) {
  task_writer writer(p, plan);
  auto toml = writer.text();
  return {std::move(toml), std::move(writer.differing)};
}

}  // namespace taskmux::migrate
