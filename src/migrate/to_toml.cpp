#include "migrate/to_toml.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "migrate/explain.hpp"
#include "migrate/task_table.hpp"
#include "migrate/toml_text.hpp"

namespace taskmux::migrate {
namespace {

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

bool is_active(const program& p) {
  return p.kind == "program" && p.autostart && p.numprocs >= 1;
}

void converter::plan_tasks() {
  std::set<std::string> taken;
  std::map<long, std::vector<std::string>> tiers;
  for (auto& p : conf_.programs) {
    if (p.kind != "program") continue;
    auto name = task_name_for(p.name);
    for (int n = 2; taken.count(name); ++n)
      name = task_name_for(p.name + "-" + std::to_string(n));
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
  for (size_t i = 0; i < keys.size(); ++i)
    line += (i ? ", " : " ") + keys[i];
  result_.summary.push_back(line);
}

void converter::header() {
  auto file = std::filesystem::absolute(conf_.file).lexically_normal().string();
  auto& out = result_.toml;
  out += comment_lines("config.toml for taskmux, converted by `taskmux import` from " + file +
                       (conf_.ini.included.empty() ? "" : " and the files of its [include]") + ".");
  out += comment_lines(
      "Check it with `taskmux check -c config.toml` (the path you saved it to); "
      "`taskmux run -c config.toml` runs it.");
  out += comment_lines(
      "Each supervisord setting without a taskmux key is a comment saying what it "
      "did and what taskmux does instead; docs/import.md has the whole mapping.");
  out += "\n";
}

void converter::supervisor_table() {
  auto* s = conf_.ini.find("supervisord");
  auto& out = result_.toml;
  if (!s) {
    out += comment_lines(
               "No [supervisord] section: supervisord would refuse this file; its "
               "programs are converted anyway.") +
           "\n";
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
      for (auto& c : v)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (auto it = levels.find(v); it != levels.end()) {
        out += key_line("log_level = \"" + it->second + "\"", "loglevel = " + value.text);
        continue;
      }
    }
    auto e = explain_supervisord_key(key, value.text);
    if (key == "loglevel")
      e = {"not a level supervisord knows (critical, error, warn, info, debug, trace, blather)"};
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
      listen =
          (host.empty() || host == "*" ? "0.0.0.0" : host) + ":" + value.text.substr(colon + 1);
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
  for (auto& [key, value] : s.entries)
    out += comment_lines(key + " = " + value.text, "  ");
  std::string read;
  for (auto& f : conf_.ini.included)
    read += (read.empty() ? "" : ", ") + f;
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
    for (auto& s : p.settings)
      out += comment_lines(s.key + " = " + s.text, "  ");
    differs(p.where, section, {"(not converted)"});
    out += "\n";
    return;
  }
  auto deps = depends_on_.find(section);
  task_plan plan{
      names_.at(section), deps == depends_on_.end() ? std::vector<std::string>{} : deps->second,
      tier_below_.count(section) ? tier_below_.at(section) : 0, !conf_.environment.empty()};
  auto [text, differing] = write_task(p, plan);
  if (is_active(p)) {
    out += comment_lines(where) + text + "\n";
    ++result_.tasks;
  } else {
    out += comment_lines(where + ": " +
                         (p.autostart ? "numprocs = " + std::to_string(p.numprocs) +
                                            ": supervisord ran no process of it"
                                      : "autostart = false: supervisord left it stopped; taskmux "
                                        "starts every task it has") +
                         ", so it is left as a comment (remove the \"# \" to run it)") +
           commented(text) + "\n";
    if (p.autostart) differing.insert(differing.begin(), "numprocs");
    ++result_.commented_out;
  }
  differs(p.where, section, differing);
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
    if (s.name == "include")
      include_section(s);
    else
      server_section(s);
  }
  if (!conf_.ini.defaults.entries.empty()) server_section(conf_.ini.defaults);
  size_t next = 0;  // the programs come in the order of their sections
  for (auto& s : conf_.ini.sections) {
    if (s.name.starts_with("group:")) {
      result_.toml +=
          comment_lines("[" + s.name + "] " + s.where.to_string() + ": " + explain_section(s.name));
      for (auto& [key, value] : s.entries)
        result_.toml += comment_lines(key + " = " + value.text, "  ");
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

conversion to_toml(const supervisord_conf& conf) {
  return converter(conf).run();
}

}  // namespace taskmux::migrate
