#include "migrate/to_toml.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
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

bool has_process_num(const pieces& value) { return has(value, piece::kind::process_num); }

bool is_shell_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

/// `toml` with where it came from as a trailing comment, or above it when that is long.
std::string key_line(const std::string& toml, const std::string& from) {
  auto shown = printable(from);
  if (shown.size() <= 60 && toml.size() + shown.size() <= 96) return toml + "  # " + shown + "\n";
  return comment_lines(from) + toml + "\n";
}

std::string commented(const std::string& block) {
  std::string out;
  size_t begin = 0;
  while (begin < block.size()) {
    size_t end = block.find('\n', begin);
    out += "# " + block.substr(begin, end - begin) + "\n";
    begin = end + 1;
  }
  return out;
}

std::string restart_of(enum autorestart a) {
  return a == autorestart::always ? "always" : a == autorestart::never ? "never" : "on-failure";
}

/// TOML for the stop signal: its name ("QUIT"), or its number when it has none.
std::string signal_value(int signo) {
  auto name = config::signal_name(signo);
  return name.starts_with("SIG") ? toml_string(name.substr(3)) : std::to_string(signo);
}

/// One [[task]] (or its commented-out text), and which of its settings differ in taskmux.
class task_writer {
 public:
  task_writer(const program& p, std::string name, std::vector<std::string> depends_on,
              long tier_below, bool has_global_env)
      : p_(p),
        name_(std::move(name)),
        depends_on_(std::move(depends_on)),
        tier_below_(tier_below),
        has_global_env_(has_global_env) {}

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
  std::string name_;
  std::vector<std::string> depends_on_;
  long tier_below_;
  bool has_global_env_;
  std::string out_;
  std::set<std::string> handled_;
};

std::string task_writer::text() {
  out_ = "[[task]]\nname = " + toml_string(name_) + "\n";
  if (name_ != p_.name)
    note("name", "name: supervisord's \"" + p_.name + "\" is \"" + name_ +
                     "\" here: task names must match [A-Za-z0-9_.-]+ (at most 64 characters)");
  command();
  if (p_.find("numprocs"))
    out_ += key_line("instances = " + std::to_string(p_.numprocs), from("numprocs"));
  if (p_.directory && !has_process_num(*p_.directory)) {
    out_ += key_line("workdir = " + toml_string(load_time_text(*p_.directory)), from("directory"));
    if (!literal_text(*p_.directory).starts_with("/") && is_literal(*p_.directory))
      note("directory", "directory: supervisord read a relative directory from the one it was "
                        "started in; taskmux reads it from this file's directory");
  }
  if (p_.user) out_ += key_line("user = " + toml_string(load_time_text(text_piece(*p_.user))), from("user"));
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
    for (auto& arg : p_.command) argv.push_back(load_time_text(arg));
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
    if (is_shell_name(k)) shell += "export " + k + "=" + shell_word(v) + "; ";
    else note("environment", "environment: " + k + " holds %(process_num) but is no shell variable "
                             "name, so it cannot be set per instance: it is left out");
  }
  shell += "exec";
  for (auto& arg : p_.command) shell += " " + shell_word(arg);
  out_ += comment_lines(raw + ": %(process_num) differs per instance, so taskmux runs this with "
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
  out_ += key_line("env = { " + items + " }",
                   !has_global_env_ ? own : own.empty() ? global : global + ", then " + own);
}

void task_writer::order() {
  auto own = from("priority");
  if (!p_.group.empty() && !own.empty())
    out_ += comment_lines(own + ": supervisord ordered the programs of [group:" + p_.group +
                          "] by the group's priority, " + std::to_string(p_.priority));
  std::string why = !p_.group.empty() ? "priority " + std::to_string(p_.priority) + " of [group:" + p_.group + "]"
                    : !own.empty()    ? own
                                      : "priority 999 (supervisord's default)";
  if (!depends_on_.empty()) {
    out_ += key_line("depends_on = " + toml_array(depends_on_),
                     why + ": starts once the tasks of priority " + std::to_string(tier_below_) +
                         " are ready, stops before them");
  } else if (!own.empty() || !p_.group.empty()) {
    out_ += comment_lines(why + ": no task here has a lower priority, so it waits for none");
  }
}

void task_writer::start_limit() {
  auto* secs = p_.find("startsecs");
  auto* retries = p_.find("startretries");
  if (!secs && !retries) return;
  auto written = std::string(secs ? "startsecs = " + secs->text : "") + (secs && retries ? ", " : "") +
                 (retries ? "startretries = " + retries->text : "");
  handled_.insert("startsecs");
  handled_.insert("startretries");
  if (p_.startsecs <= 0) {
    out_ += comment_lines(written + ": supervisord counted no start as failed and never gave up; "
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
      (p_.startsecs == 1 ? "" : ", not " + std::to_string(p_.startsecs) + " s (for a real check: ready = { tcp = \"HOST:PORT\" })"));
  out_ += "start_limit = { burst = " + std::to_string(tries) + ", interval = \"" +
          std::to_string(start_window(tries - 1, p_.startsecs)) + "s\" }\n";
}

void task_writer::stop() {
  if (p_.find("stopsignal")) {
    int sig = p_.stopsignal == 19 ? 9 : p_.stopsignal;  // SIGSTOP stops nothing: SIGKILL did it
    if (sig != p_.stopsignal)
      note("stopsignal", "stopsignal = STOP only paused the program until supervisord's SIGKILL; "
                         "taskmux refuses STOP, and KILL does what happened in the end");
    out_ += key_line("stop_signal = " + signal_value(sig), from("stopsignal"));
  }
  if (p_.find("stopwaitsecs"))
    out_ += key_line("stop_timeout = \"" + std::to_string(std::max(p_.stopwaitsecs, 1L)) + "s\"",
                     from("stopwaitsecs"));
  if (p_.stopasgroup) out_ += key_line("kill_mode = \"group\"", from("stopasgroup"));
}

void task_writer::rest() {
  for (auto& n : p_.notes) note("command", n);
  if (p_.uses_host_node_name)
    note("host_node_name", "%(host_node_name)s was written as the name of the host that ran "
                           "`taskmux import`; supervisord used the host it ran on");
  for (auto& s : p_.settings) {
    if (handled_.count(s.key)) continue;
    auto e = explain_program_key(p_, s, name_);
    out_ += comment_lines(s.key + " = " + s.text + ": " + e.text);
    if (e.differs) differing.push_back(s.key);
  }
}

class converter {
 public:
  explicit converter(const supervisord_conf& conf) : conf_(conf) {}
  conversion run();

 private:
  void header();
  void supervisor_table();
  void server_section(const ini_section& s);
  void include_section(const ini_section& s);
  void program_section(const program& p);
  void plan_tasks();
  void differs(const source& where, const std::string& section, std::vector<std::string> keys);

  const supervisord_conf& conf_;
  conversion result_;
  std::map<std::string, std::string> names_;  ///< section -> task name
  std::map<std::string, std::vector<std::string>> depends_on_;
  std::map<std::string, long> tier_below_;
};

bool is_active(const program& p) { return p.kind == "program" && p.autostart && p.numprocs >= 1; }

void converter::plan_tasks() {
  std::set<std::string> taken;
  std::map<long, std::vector<std::string>> tiers;
  for (auto& p : conf_.programs) {
    if (p.kind != "program") continue;
    auto name = task_name_for(p.name);
    for (int n = 2; taken.count(name); ++n) name = task_name_for(p.name + "-" + std::to_string(n));
    taken.insert(name);
    names_[p.kind + ":" + p.name] = name;
    if (is_active(p)) tiers[p.priority].push_back(name);
  }
  for (auto& p : conf_.programs) {
    if (!is_active(p)) continue;
    auto tier = tiers.find(p.priority);
    if (tier == tiers.begin()) continue;
    depends_on_[p.kind + ":" + p.name] = std::prev(tier)->second;
    tier_below_[p.kind + ":" + p.name] = std::prev(tier)->first;
  }
}

void converter::differs(const source& where, const std::string& section,
                        std::vector<std::string> keys) {
  if (keys.empty()) return;
  std::string line = where.to_string() + " [" + section + "]";
  for (size_t i = 0; i < keys.size(); ++i) line += (i ? ", " : " ") + keys[i];
  result_.summary.push_back(line);
}

void converter::header() {
  auto file = std::filesystem::absolute(conf_.file).lexically_normal().string();
  auto& out = result_.toml;
  out += comment_lines("config.toml for taskmux, converted by `taskmux import` from " + file +
                       (conf_.ini.included.empty() ? "" : " and the files of its [include]") + ".");
  out += comment_lines("Check it with `taskmux check -c config.toml` (the path you saved it to); "
                       "`taskmux run -c config.toml` runs it.");
  out += comment_lines("Each supervisord setting without a taskmux key is a comment saying what it "
                       "did and what taskmux does instead; docs/import.md has the whole mapping.");
  out += "\n";
}

void converter::supervisor_table() {
  auto* s = conf_.ini.find("supervisord");
  auto& out = result_.toml;
  if (!s) {
    out += comment_lines("No [supervisord] section: supervisord would refuse this file; its "
                         "programs are converted anyway.") + "\n";
    differs({conf_.file, 0}, "supervisord", {"(missing)"});
    return;
  }
  out += "[supervisor]\n" + comment_lines("[supervisord] " + s->where.to_string());
  std::vector<std::string> keys;
  for (auto& [key, value] : s->entries) {
    if (key == "loglevel") {
      static const std::map<std::string, std::string> levels{
          {"critical", "error"}, {"error", "error"}, {"warn", "warning"}, {"info", "info"},
          {"debug", "debug"},    {"trace", "debug"}, {"blather", "debug"}};
      std::string v = value.text;
      for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (auto it = levels.find(v); it != levels.end()) {
        out += key_line("log_level = \"" + it->second + "\"", "loglevel = " + value.text);
        continue;
      }
    }
    auto e = explain_supervisord_key(key, value.text);
    if (key == "loglevel") e = {"not a level supervisord knows (critical, error, warn, info, debug, trace, blather)"};
    out += comment_lines(key + " = " + value.text + ": " + e.text);
    if (e.differs) keys.push_back(key);
  }
  differs(s->where, s->name, keys);
  out += "\n";
}

void converter::server_section(const ini_section& s) {
  auto& out = result_.toml;
  out += comment_lines("[" + s.name + "] " + s.where.to_string() + ": " + explain_section(s.name));
  std::vector<std::string> keys;
  std::string listen, token;
  for (auto& [key, value] : s.entries) {
    auto e = explain_server_key(s.name, key, value.text);
    out += comment_lines(key + " = " + value.text + ": " + e.text, "  ");
    if (e.differs) keys.push_back(key);
    if (s.name == "inet_http_server" && key == "port") {
      auto colon = value.text.rfind(':');
      auto host = colon == std::string::npos ? "" : value.text.substr(0, colon);
      listen = (host.empty() || host == "*" ? "0.0.0.0" : host) + ":" + value.text.substr(colon + 1);
    }
  }
  if (!listen.empty())
    out += "# [http]\n# listen = " + toml_string(listen) + "\n" +
           (s.find("password") ? "# token = \"${TASKMUX_TOKEN}\"\n" : "");
  differs(s.where, s.name, keys);
  out += "\n";
}

void converter::include_section(const ini_section& s) {
  auto& out = result_.toml;
  out += comment_lines("[include] " + s.where.to_string() + ": " + explain_section("include"));
  for (auto& [key, value] : s.entries) out += comment_lines(key + " = " + value.text, "  ");
  std::string read;
  for (auto& f : conf_.ini.included) read += (read.empty() ? "" : ", ") + f;
  out += comment_lines("read: " + (read.empty() ? std::string("no file") : read), "  ");
  std::vector<std::string> keys;
  for (auto& n : conf_.ini.notes) {
    out += comment_lines(n.to_string(), "  ");
    keys.push_back("(" + n.message + ")");
  }
  differs(s.where, s.name, keys);
  out += "\n";
}

void converter::program_section(const program& p) {
  auto& out = result_.toml;
  auto section = p.kind + ":" + p.name;
  std::string where = "[" + section + "] " + p.where.to_string() +
                      (p.group.empty() ? "" : ", in [group:" + p.group + "]");
  if (p.kind != "program") {
    out += comment_lines(where + ": " + explain_section(section));
    for (auto& s : p.settings) out += comment_lines(s.key + " = " + s.text, "  ");
    differs(p.where, section, {"(not converted)"});
    out += "\n";
    return;
  }
  auto deps = depends_on_.find(section);
  task_writer task(p, names_.at(section),
                   deps == depends_on_.end() ? std::vector<std::string>{} : deps->second,
                   tier_below_.count(section) ? tier_below_.at(section) : 0,
                   !conf_.environment.empty());
  auto text = task.text();
  if (is_active(p)) {
    out += comment_lines(where) + text + "\n";
    ++result_.tasks;
  } else {
    out += comment_lines(where + ": " +
                         (p.autostart ? "numprocs = " + std::to_string(p.numprocs) + ": supervisord ran no process of it"
                                      : "autostart = false: supervisord left it stopped; taskmux starts every task it has") +
                         ", so it is left as a comment (remove the \"# \" to run it)") +
           commented(text) + "\n";
    if (p.autostart) task.differing.insert(task.differing.begin(), "numprocs");
    ++result_.commented_out;
  }
  differs(p.where, section, task.differing);
}

conversion converter::run() {
  plan_tasks();
  header();
  supervisor_table();
  for (auto& s : conf_.ini.sections) {
    if (s.name == "supervisord" || s.name.starts_with("program:") ||
        s.name.starts_with("fcgi-program:") || s.name.starts_with("eventlistener:") ||
        s.name.starts_with("group:"))
      continue;
    if (s.name == "include") include_section(s);
    else server_section(s);
  }
  if (!conf_.ini.defaults.entries.empty()) server_section(conf_.ini.defaults);
  size_t next = 0;  // the programs come in the order of their sections
  for (auto& s : conf_.ini.sections) {
    if (s.name.starts_with("group:")) {
      result_.toml += comment_lines("[" + s.name + "] " + s.where.to_string() + ": " + explain_section(s.name));
      for (auto& [key, value] : s.entries) result_.toml += comment_lines(key + " = " + value.text, "  ");
      result_.toml += "\n";
      differs(s.where, s.name, {"(no groups in taskmux)"});
      continue;
    }
    auto& at = next < conf_.programs.size() ? conf_.programs[next].where : source{};
    if (at.file == s.where.file && at.line == s.where.line) program_section(conf_.programs[next++]);
  }
  return std::move(result_);
}

}  // namespace

std::string task_name_for(std::string_view program_name) {
  std::string out;
  for (size_t i = 0; i < program_name.size() && out.size() < 64;) {
    auto c = static_cast<unsigned char>(program_name[i]);
    size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    bool ok = len == 1 && (std::isalnum(c) || c == '_' || c == '.' || c == '-');
    out += ok ? static_cast<char>(c) : '_';
    i += len;
  }
  return out.empty() ? "_" : out;
}

conversion to_toml(const supervisord_conf& conf) { return converter(conf).run(); }

}  // namespace taskmux::migrate
