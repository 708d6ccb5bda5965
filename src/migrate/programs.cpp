#include "migrate/programs.hpp"

#include <pwd.h>

#include <algorithm>
#include <map>

#include "config/signal_names.hpp"
#include "migrate/percent_format.hpp"
#include "migrate/section_reader.hpp"

namespace taskmux::migrate {
namespace {

// clang-format off
constexpr std::string_view program_keys[] = {
    "command", "process_name", "numprocs", "numprocs_start", "priority", "autostart",
    "startsecs", "startretries", "autorestart", "exitcodes", "stopsignal", "stopwaitsecs",
    "stopasgroup", "killasgroup", "user", "redirect_stderr", "stdout_logfile",
    "stdout_logfile_maxbytes", "stdout_logfile_backups", "stdout_capture_maxbytes",
    "stdout_events_enabled", "stdout_syslog", "stderr_logfile", "stderr_logfile_maxbytes",
    "stderr_logfile_backups", "stderr_capture_maxbytes", "stderr_events_enabled",
    "stderr_syslog", "environment", "directory", "umask", "serverurl"};
// clang-format on
constexpr std::string_view fcgi_keys[] = {"socket", "socket_backlog", "socket_owner",
                                          "socket_mode"};
constexpr std::string_view listener_keys[] = {"buffer_size", "events", "result_handler"};

template <size_t N>
bool contains(const std::string_view (&keys)[N], std::string_view key) {
  return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
}

bool knows(std::string_view kind, std::string_view key) {
  return is_program_key(key) || (kind == "fcgi-program" && contains(fcgi_keys, key)) ||
         (kind == "eventlistener" && contains(listener_keys, key));
}

/// Checks a name as supervisord's process_or_group_name does.
std::string checked_name(std::string_view written, const source& where,
                         std::vector<ini_note>& errors) {
  auto name = std::string(strip_blanks(written));
  for (char c : std::string_view(" :/"))
    if (name.find(c) != std::string::npos)
      errors.push_back({where, "invalid name \"" + name + "\": it must not contain '" +
                                   std::string(1, c) + "'"});
  if (name.empty()) errors.push_back({where, "a section without a name after the colon"});
  return name;
}

void read_stop(section_reader& r, program& p, const names& n) {
  if (auto sig = r.literal("stopsignal", n)) {
    std::string upper = *sig;
    for (auto& c : upper)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (auto num = config::parse_signal(std::string(strip_blanks(upper))))
      p.stopsignal = *num;
    else
      r.error(r.raw("stopsignal")->where, "stopsignal: not a signal: \"" + *sig + "\"");
  }
  p.stopwaitsecs = r.integer("stopwaitsecs", 10, n);
  p.stopasgroup = r.boolean("stopasgroup", false, n);
  p.killasgroup = r.boolean("killasgroup", p.stopasgroup, n);
  if (p.stopasgroup && !p.killasgroup)
    r.error(r.raw("killasgroup")->where, "cannot set stopasgroup=true and killasgroup=false");
}

void read_restart(section_reader& r, program& p, const names& n) {
  if (auto a = r.literal("autorestart", n)) {
    auto v = ascii_lower(*a);
    if (v == "yes" || v == "true" || v == "on" || v == "1")
      p.autorestart = autorestart::always;
    else if (v == "no" || v == "false" || v == "off" || v == "0")
      p.autorestart = autorestart::never;
    else if (v == "unexpected")
      p.autorestart = autorestart::unexpected;
    else
      r.error(r.raw("autorestart")->where,
              "autorestart: must be true, false or unexpected, not \"" + *a + "\"");
  }
  if (auto codes = r.literal("exitcodes", n)) {
    p.exitcodes.clear();
    size_t begin = 0;
    while (!codes->empty() && begin <= codes->size()) {
      size_t comma = std::min(codes->find(',', begin), codes->size());
      auto code = parse_integer(std::string_view(*codes).substr(begin, comma - begin));
      if (!code || *code < 0 || *code > 255) {
        r.error(r.raw("exitcodes")->where,
                "exitcodes: not a list of exit codes (0-255): \"" + *codes + "\"");
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
void read_per_process(section_reader& r, program& p, names& n, const key_values& global_env,
                      const host_facts& host) {
  n.fixed["process_num"] = process_number{p.numprocs_start};
  n.fixed["numprocs"] = p.numprocs;
  key_values own;
  if (auto env = r.expanded("environment", n)) {
    auto pairs = key_value_pairs(*env);
    if (auto* err = std::get_if<std::string>(&pairs))
      r.error(r.raw("environment")->where, "environment: " + *err);
    else
      own = std::get<key_values>(pairs);
  }
  p.environment = global_env;
  for (auto& [k, v] : own) {
    auto it = std::find_if(p.environment.begin(), p.environment.end(),
                           [&](auto& e) { return e.first == k; });
    if (it == p.environment.end())
      p.environment.emplace_back(k, v);
    else
      it->second = v;
  }
  n.envs.insert(n.envs.begin(), &own);
  p.directory = r.expanded("directory", n);
  for (auto* key : {"stdout_logfile", "stderr_logfile", "process_name", "stdout_logfile_maxbytes",
                    "stdout_logfile_backups", "stdout_syslog", "stderr_logfile_maxbytes",
                    "stderr_logfile_backups", "stderr_syslog"})
    r.expanded(key, n);
  if (auto name = r.raw("process_name");
      p.numprocs > 1 && (!name || name->text.find("%(process_num)") == std::string::npos))
    r.error(name ? name->where : p.where,
            "process_name must contain %(process_num) when numprocs > 1");
  auto* command = r.raw("command");
  if (!command) {
    r.error(p.where, "no command");
  } else if (auto value = r.expanded("command", n)) {
    auto argv = shlex_split(*value);
    if (auto* err = std::get_if<std::string>(&argv))
      r.error(command->where, "command: " + *err);
    else if (std::get<std::vector<pieces>>(argv).empty())
      r.error(command->where, "command is empty");
    else
      p.command = std::get<std::vector<pieces>>(argv);
  }
  for (auto& arg : p.command)
    for (auto& part : arg)
      if (auto v = part.what == piece::kind::env ? host.env(part.text) : std::nullopt;
          v && v->find_first_of(" \t\n'\"\\") != std::string::npos)
        p.notes.push_back("command: $" + part.text +
                          " stays one argument in taskmux; supervisord "
                          "split its value into words (here: \"" +
                          *v + "\")");
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
  section_reader r(doc, s, host, errors, &p.notes);
  p.priority = r.integer("priority", kind == "eventlistener" ? -1 : 999, n);
  if (!group.empty()) p.priority = group_priority;
  p.autostart = r.boolean("autostart", true, n);
  read_restart(r, p, n);
  read_stop(r, p, n);
  p.numprocs = r.integer("numprocs", 1, n);
  p.numprocs_start = r.integer("numprocs_start", 0, n);
  for (auto* key : {"redirect_stderr", "stdout_events_enabled", "stderr_events_enabled"})
    r.boolean(key, false, n);
  for (auto* key : {"stdout_capture_maxbytes", "stderr_capture_maxbytes", "serverurl", "umask"})
    r.expanded(key, n);
  p.user = r.literal("user", n);
  if (p.user && parse_integer(*p.user)) {  // supervisord takes a uid too; taskmux wants a name
    if (auto* pw = ::getpwuid(static_cast<uid_t>(*parse_integer(*p.user)))) {
      p.notes.push_back("user = " + *p.user + ": uid " + *p.user + " is \"" + pw->pw_name +
                        "\" on the host that ran taskmux import");
      p.user = pw->pw_name;
    }
  }
  read_per_process(r, p, n, global_env, host);
  for (auto& [key, value] : s.entries)
    p.settings.push_back({key, value.text, value.where});
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
    section_reader r(doc, s, host, errors);
    long priority = r.integer("priority", 999, n);
    auto listed = r.literal("programs", n);
    if (!listed) {
      if (!r.raw("programs")) r.error(s.where, "no programs");
      continue;
    }
    size_t begin = 0;
    while (begin <= listed->size()) {
      size_t comma = std::min(listed->find(',', begin), listed->size());
      auto name = std::string(strip_blanks(std::string_view(*listed).substr(begin, comma - begin)));
      begin = comma + 1;
      bool is_program = doc.find("program:" + name), is_fcgi = doc.find("fcgi-program:" + name);
      if (!is_program && !is_fcgi)
        r.error(r.raw("programs")->where,
                "programs: names unknown program or fcgi-program \"" + name + "\"");
      else if (is_program && is_fcgi)
        r.error(r.raw("programs")->where,
                "programs: \"" + name + "\" is ambiguous (a program and an fcgi-program)");
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
  section_reader r(doc, *s, host, errors);
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
    auto more = expand_percent(
        p.text, [&](std::string_view name) { return look_up(second, written->where, name); });
    if (auto* err = std::get_if<std::string>(&more)) {
      r.error(written->where, "environment: " + *err +
                                  " (supervisord expands this value twice: write %%%% for a %)");
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

bool is_program_key(std::string_view key) {
  return contains(program_keys, key);
}

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
