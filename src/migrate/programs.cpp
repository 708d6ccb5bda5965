#include "migrate/programs.hpp"

#include <pwd.h>

#include <algorithm>
#include <map>

#include "config/signal_names.hpp"
#include "migrate/percent_format.hpp"

namespace taskmux::migrate {
namespace {

constexpr std::string_view program_keys[] = {
    "command", "process_name", "numprocs", "numprocs_start", "priority", "autostart",
    "startsecs", "startretries", "autorestart", "exitcodes", "stopsignal", "stopwaitsecs",
    "stopasgroup", "killasgroup", "user", "redirect_stderr", "stdout_logfile",
    "stdout_logfile_maxbytes", "stdout_logfile_backups", "stdout_capture_maxbytes",
    "stdout_events_enabled", "stdout_syslog", "stderr_logfile", "stderr_logfile_maxbytes",
    "stderr_logfile_backups", "stderr_capture_maxbytes", "stderr_events_enabled",
    "stderr_syslog", "environment", "directory", "umask", "serverurl"};
constexpr std::string_view fcgi_keys[] = {"socket", "socket_backlog", "socket_owner", "socket_mode"};
constexpr std::string_view listener_keys[] = {"buffer_size", "events", "result_handler"};

template <size_t N>
bool contains(const std::string_view (&keys)[N], std::string_view key) {
  return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
}

bool knows(std::string_view kind, std::string_view key) {
  return is_program_key(key) || (kind == "fcgi-program" && contains(fcgi_keys, key)) ||
         (kind == "eventlistener" && contains(listener_keys, key));
}

/// A name taskmux's ${X} and the shell's "$X" can both read.
bool is_variable_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Python's int(): optional sign, digits with single underscores between them, spaces around.
std::optional<long> parse_integer(std::string_view s) {
  s = strip(s);
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty() || s.front() == '_' || s.back() == '_' || s.find("__") != std::string_view::npos)
    return std::nullopt;
  long value = 0;
  for (char c : s) {
    if (c == '_') continue;
    if (c < '0' || c > '9' || value > 100'000'000'000L) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

/// The names a value may use, besides `here` (the directory of the file it is written in).
struct names {
  std::map<std::string, binding, std::less<>> fixed;
  std::vector<const key_values*> envs;  ///< ENV_X from these first (most specific first)
  bool* uses_host_node_name = nullptr;
};

std::optional<binding> look_up(const names& n, const source& where, std::string_view name) {
  if (name == "here") return text_piece(where.here());
  if (auto it = n.fixed.find(name); it != n.fixed.end()) {
    if (name == "host_node_name" && n.uses_host_node_name) *n.uses_host_node_name = true;
    return it->second;
  }
  if (!name.starts_with("ENV_")) return std::nullopt;
  auto var = name.substr(4);
  for (auto* env : n.envs)
    for (auto& [k, v] : *env)
      if (k == var) return v;
  if (!is_variable_name(var)) return std::nullopt;
  return pieces{{piece::kind::env, std::string(var)}};
}

/// Typed, expanded keys of one section; problems are added to `errors` as FILE:LINE.
class reader {
 public:
  reader(const ini_document& doc, const ini_section& section, const host_facts& host,
         std::vector<ini_note>& errors, std::vector<std::string>* notes = nullptr)
      : doc_(doc), section_(section), host_(host), errors_(errors), notes_(notes) {}

  const ini_value* raw(std::string_view key) const { return doc_.get(section_, key); }

  void error(const source& where, const std::string& message) {
    errors_.push_back({where, "[" + section_.name + "] " + message});
  }

  /// The key's value after %(name)s expansion; nothing when absent or wrong (reported).
  std::optional<pieces> expanded(std::string_view key, const names& n) {
    auto* v = raw(key);
    if (!v) return std::nullopt;
    auto r = expand_percent(v->text, [&](std::string_view name) { return look_up(n, v->where, name); });
    if (auto* err = std::get_if<std::string>(&r)) {
      error(v->where, std::string(key) + ": " + *err);
      return std::nullopt;
    }
    return std::get<pieces>(r);
  }

  /// The value as text known now: %(ENV_X)s read from the environment of the conversion.
  std::optional<std::string> literal(std::string_view key, const names& n) {
    auto value = expanded(key, n);
    if (!value) return std::nullopt;
    std::string out;
    for (auto& p : *value) {
      if (p.what == piece::kind::text) {
        out += p.text;
      } else if (auto env = host_.env(p.text)) {
        out += *env;
        if (notes_)
          notes_->push_back(std::string(key) + ": %(ENV_" + p.text + ")s was read when converting (" +
                            p.text + "=" + *env + "); taskmux takes " + std::string(key) +
                            " as written here");
      } else {
        error(raw(key)->where, std::string(key) + ": %(ENV_" + p.text + ")s: " + p.text +
                                   " must be set when converting (taskmux reads " + std::string(key) +
                                   " as a fixed value)");
        return std::nullopt;
      }
    }
    return out;
  }

  long integer(std::string_view key, long fallback, const names& n) {
    auto text = literal(key, n);
    if (!text) return fallback;
    auto value = parse_integer(*text);
    if (!value) error(raw(key)->where, std::string(key) + ": not an integer: \"" + *text + "\"");
    return value.value_or(fallback);
  }

  bool boolean(std::string_view key, bool fallback, const names& n) {
    auto text = literal(key, n);
    if (!text) return fallback;
    auto b = lower(*text);
    if (b == "yes" || b == "true" || b == "on" || b == "1") return true;
    if (b == "no" || b == "false" || b == "off" || b == "0") return false;
    error(raw(key)->where, std::string(key) + ": not a valid boolean value: \"" + *text + "\"");
    return fallback;
  }

 private:
  const ini_document& doc_;
  const ini_section& section_;
  const host_facts& host_;
  std::vector<ini_note>& errors_;
  std::vector<std::string>* notes_;
};

/// Checks a name as supervisord's process_or_group_name does.
std::string checked_name(std::string_view written, const source& where,
                         std::vector<ini_note>& errors) {
  auto name = std::string(strip(written));
  for (char c : std::string_view(" :/"))
    if (name.find(c) != std::string::npos)
      errors.push_back({where, "invalid name \"" + name + "\": it must not contain '" +
                                   std::string(1, c) + "'"});
  if (name.empty()) errors.push_back({where, "a section without a name after the colon"});
  return name;
}

void read_stop(reader& r, program& p, const names& n) {
  if (auto sig = r.literal("stopsignal", n)) {
    std::string upper = *sig;
    for (auto& c : upper)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (auto num = config::parse_signal(std::string(strip(upper)))) p.stopsignal = *num;
    else r.error(r.raw("stopsignal")->where, "stopsignal: not a signal: \"" + *sig + "\"");
  }
  p.stopwaitsecs = r.integer("stopwaitsecs", 10, n);
  p.stopasgroup = r.boolean("stopasgroup", false, n);
  p.killasgroup = r.boolean("killasgroup", p.stopasgroup, n);
  if (p.stopasgroup && !p.killasgroup)
    r.error(r.raw("killasgroup")->where, "cannot set stopasgroup=true and killasgroup=false");
}

void read_restart(reader& r, program& p, const names& n) {
  if (auto a = r.literal("autorestart", n)) {
    auto v = lower(*a);
    if (v == "yes" || v == "true" || v == "on" || v == "1") p.autorestart = autorestart::always;
    else if (v == "no" || v == "false" || v == "off" || v == "0") p.autorestart = autorestart::never;
    else if (v == "unexpected") p.autorestart = autorestart::unexpected;
    else r.error(r.raw("autorestart")->where, "autorestart: must be true, false or unexpected, not \"" + *a + "\"");
  }
  if (auto codes = r.literal("exitcodes", n)) {
    p.exitcodes.clear();
    size_t begin = 0;
    while (!codes->empty() && begin <= codes->size()) {
      size_t comma = std::min(codes->find(',', begin), codes->size());
      auto code = parse_integer(std::string_view(*codes).substr(begin, comma - begin));
      if (!code || *code < 0 || *code > 255) {
        r.error(r.raw("exitcodes")->where, "exitcodes: not a list of exit codes (0-255): \"" + *codes + "\"");
        break;
      }
      p.exitcodes.push_back(*code);
      begin = comma + 1;
    }
  }
  p.startsecs = r.integer("startsecs", 1, n);
  p.startretries = r.integer("startretries", 3, n);
}

/// The keys supervisord reads and expands once per process (with process_num).
void read_per_process(reader& r, program& p, names& n, const key_values& global_env,
                      const host_facts& host) {
  n.fixed["process_num"] = process_number{p.numprocs_start};
  n.fixed["numprocs"] = p.numprocs;
  key_values own;
  if (auto env = r.expanded("environment", n)) {
    auto pairs = key_value_pairs(*env);
    if (auto* err = std::get_if<std::string>(&pairs)) r.error(r.raw("environment")->where, "environment: " + *err);
    else own = std::get<key_values>(pairs);
  }
  p.environment = global_env;
  for (auto& [k, v] : own) {
    auto it = std::find_if(p.environment.begin(), p.environment.end(), [&](auto& e) { return e.first == k; });
    if (it == p.environment.end()) p.environment.emplace_back(k, v);
    else it->second = v;
  }
  n.envs.insert(n.envs.begin(), &own);
  p.directory = r.expanded("directory", n);
  for (auto* key : {"stdout_logfile", "stderr_logfile", "process_name", "stdout_logfile_maxbytes",
                    "stdout_logfile_backups", "stdout_syslog", "stderr_logfile_maxbytes",
                    "stderr_logfile_backups", "stderr_syslog"})
    r.expanded(key, n);
  if (auto name = r.raw("process_name"); p.numprocs > 1 &&
                                         (!name || name->text.find("%(process_num)") == std::string::npos))
    r.error(name ? name->where : p.where, "process_name must contain %(process_num) when numprocs > 1");
  auto* command = r.raw("command");
  if (!command) {
    r.error(p.where, "no command");
  } else if (auto value = r.expanded("command", n)) {
    auto argv = shlex_split(*value);
    if (auto* err = std::get_if<std::string>(&argv)) r.error(command->where, "command: " + *err);
    else if (std::get<std::vector<pieces>>(argv).empty()) r.error(command->where, "command is empty");
    else p.command = std::get<std::vector<pieces>>(argv);
  }
  for (auto& arg : p.command)
    for (auto& part : arg)
      if (auto v = part.what == piece::kind::env ? host.env(part.text) : std::nullopt;
          v && v->find_first_of(" \t\n'\"\\") != std::string::npos)
        p.notes.push_back("command: $" + part.text + " stays one argument in taskmux; supervisord "
                          "split its value into words (here: \"" + *v + "\")");
  n.envs.erase(n.envs.begin());
}

program read_program(const ini_document& doc, const ini_section& s, const std::string& kind,
                     const std::string& group, long group_priority, const key_values& global_env,
                     const host_facts& host, std::vector<ini_note>& errors) {
  program p;
  p.kind = kind;
  p.name = checked_name(std::string_view(s.name).substr(kind.size() + 1), s.where, errors);
  p.group = group;
  p.where = s.where;
  names n;
  n.fixed = {{"program_name", text_piece(p.name)},
             {"group_name", text_piece(group.empty() ? p.name : group)},
             {"host_node_name", text_piece(host.node_name)}};
  n.envs = {&global_env};
  n.uses_host_node_name = &p.uses_host_node_name;
  reader r(doc, s, host, errors, &p.notes);
  p.priority = r.integer("priority", kind == "eventlistener" ? -1 : 999, n);
  if (!group.empty()) p.priority = group_priority;
  p.autostart = r.boolean("autostart", true, n);
  read_restart(r, p, n);
  read_stop(r, p, n);
  p.numprocs = r.integer("numprocs", 1, n);
  p.numprocs_start = r.integer("numprocs_start", 0, n);
  for (auto* key : {"redirect_stderr", "stdout_events_enabled", "stderr_events_enabled"}) r.boolean(key, false, n);
  for (auto* key : {"stdout_capture_maxbytes", "stderr_capture_maxbytes", "serverurl", "umask"}) r.expanded(key, n);
  p.user = r.literal("user", n);
  if (p.user && parse_integer(*p.user)) {  // supervisord takes a uid too; taskmux wants a name
    if (auto* pw = ::getpwuid(static_cast<uid_t>(*parse_integer(*p.user)))) {
      p.notes.push_back("user = " + *p.user + ": uid " + *p.user + " is \"" + pw->pw_name +
                        "\" on the host that ran taskmux import");
      p.user = pw->pw_name;
    }
  }
  read_per_process(r, p, n, global_env, host);
  for (auto& [key, value] : s.entries) p.settings.push_back({key, value.text, value.where});
  for (auto& [key, value] : doc.defaults.entries)
    if (!s.find(key) && knows(kind, key)) p.settings.push_back({key, value.text, value.where});
  return p;
}

/// [group:x]: which program is in which group, and the group's priority.
std::map<std::string, std::pair<std::string, long>> read_groups(const ini_document& doc,
                                                                const host_facts& host,
                                                                std::vector<ini_note>& errors) {
  std::map<std::string, std::pair<std::string, long>> member_of;
  for (auto& s : doc.sections) {
    if (!s.name.starts_with("group:")) continue;
    auto group = checked_name(std::string_view(s.name).substr(6), s.where, errors);
    names n{{{"host_node_name", text_piece(host.node_name)}}, {}, nullptr};
    reader r(doc, s, host, errors);
    long priority = r.integer("priority", 999, n);
    auto listed = r.literal("programs", n);
    if (!listed) {
      if (!r.raw("programs")) r.error(s.where, "no programs");
      continue;
    }
    size_t begin = 0;
    while (begin <= listed->size()) {
      size_t comma = std::min(listed->find(',', begin), listed->size());
      auto name = std::string(strip(std::string_view(*listed).substr(begin, comma - begin)));
      begin = comma + 1;
      bool is_program = doc.find("program:" + name), is_fcgi = doc.find("fcgi-program:" + name);
      if (!is_program && !is_fcgi)
        r.error(r.raw("programs")->where, "programs: names unknown program or fcgi-program \"" + name + "\"");
      else if (is_program && is_fcgi)
        r.error(r.raw("programs")->where, "programs: \"" + name + "\" is ambiguous (a program and an fcgi-program)");
      else
        member_of[(is_program ? "program:" : "fcgi-program:") + name] = {group, priority};
    }
  }
  return member_of;
}

/// [supervisord] environment. supervisord (4.2, 4.3) expands it twice: once as every key of
/// the section, once more with host_node_name; a literal % is written %%%% there.
key_values read_global_environment(const ini_document& doc, const host_facts& host,
                                   std::vector<ini_note>& errors) {
  auto* s = doc.find("supervisord");
  if (!s) return {};
  reader r(doc, *s, host, errors);
  auto once = r.expanded("environment", names{});
  if (!once) return {};
  auto* written = r.raw("environment");
  names second{{{"host_node_name", text_piece(host.node_name)}}, {}, nullptr};
  pieces twice;
  for (auto& p : *once) {
    if (p.what != piece::kind::text) {
      twice.push_back(p);
      continue;
    }
    auto more = expand_percent(p.text, [&](std::string_view name) { return look_up(second, written->where, name); });
    if (auto* err = std::get_if<std::string>(&more)) {
      r.error(written->where, "environment: " + *err + " (supervisord expands this value twice: write %%%% for a %)");
      return {};
    }
    append(twice, std::get<pieces>(more));
  }
  auto pairs = key_value_pairs(twice);
  if (auto* err = std::get_if<std::string>(&pairs)) {
    r.error(written->where, "environment: " + *err);
    return {};
  }
  return std::get<key_values>(pairs);
}

}  // namespace

const setting* program::find(std::string_view key) const {
  for (auto& s : settings)
    if (s.key == key) return &s;
  return nullptr;
}

bool is_program_key(std::string_view key) { return contains(program_keys, key); }

std::variant<supervisord_conf, std::vector<ini_note>> read_programs(const std::string& file,
                                                                    ini_document ini,
                                                                    const host_facts& host) {
  std::vector<ini_note> errors;
  supervisord_conf conf;
  conf.file = file;
  conf.node_name = host.node_name;
  conf.environment = read_global_environment(ini, host, errors);
  auto groups = read_groups(ini, host, errors);
  for (auto& s : ini.sections) {
    for (std::string kind : {"program", "fcgi-program", "eventlistener"}) {
      if (!s.name.starts_with(kind + ":")) continue;
      auto g = groups.find(s.name);
      auto [group, priority] = g == groups.end() ? std::pair<std::string, long>{} : g->second;
      conf.programs.push_back(
          read_program(ini, s, kind, group, priority, conf.environment, host, errors));
    }
  }
  conf.ini = std::move(ini);
  if (!errors.empty()) return errors;
  return conf;
}

}  // namespace taskmux::migrate
