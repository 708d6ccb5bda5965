#include "config/validate.hpp"

#include <pwd.h>
#include <unistd.h>

#include <functional>
#include <map>

namespace taskmux::config {
namespace {

bool is_valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
  return true;
}

/// Where a key of the i-th [[task]] is written (the table itself when the key is absent).
toml::source_region where(const toml::table& task_table, std::string_view key) {
  if (auto* n = task_table.get(key)) return n->source();
  return task_table.source();
}

void check_names(const std::vector<const toml::table*>& tables, const config& c, reader_context& ctx) {
  std::map<std::string, size_t> first;
  for (size_t i = 0; i < c.tasks.size(); ++i) {
    auto& t = c.tasks[i];
    if (t.name.empty()) continue;
    if (!is_valid_name(t.name))
      ctx.error(where(*tables[i], "name"), "task name \"" + t.name + "\" must match [A-Za-z0-9_.-]+ (at most 64)");
    if (!is_valid_name(t.namespace_) && tables[i]->contains("namespace"))
      ctx.error(where(*tables[i], "namespace"), "namespace \"" + t.namespace_ + "\" must match [A-Za-z0-9_.-]+");
    auto [it, inserted] = first.emplace(t.name, i);
    if (!inserted) {
      auto line = tables[it->second]->get("name")->source().begin.line;
      ctx.error(where(*tables[i], "name"),
                "duplicate task name \"" + t.name + "\" (first defined on line " + std::to_string(line) + ")");
    }
  }
}

void check_references(const std::vector<const toml::table*>& tables, const config& c, reader_context& ctx) {
  for (size_t i = 0; i < c.tasks.size(); ++i) {
    auto& t = c.tasks[i];
    if (auto* deps = tables[i]->get_as<toml::array>("depends_on")) {
      for (size_t d = 0; d < t.depends_on.size() && d < deps->size(); ++d) {
        auto& dep = t.depends_on[d];
        if (dep == t.name) ctx.error((*deps)[d].source(), "task \"" + t.name + "\" depends on itself");
        else if (!c.find_task(dep)) ctx.error((*deps)[d].source(), "depends_on: unknown task \"" + dep + "\"");
      }
    }
    auto check_sftp = [&](const std::optional<channel>& ch, const char* key) {
      if (!ch || !ch->sftp || c.sftp.count(*ch->sftp)) return;
      auto* tbl = tables[i]->get_as<toml::table>(key);
      ctx.error(tbl ? where(*tbl, "sftp") : tables[i]->source(),
                std::string(key) + ".sftp: unknown sftp endpoint \"" + *ch->sftp + "\" (define [sftp." + *ch->sftp + "])");
    };
    check_sftp(t.input, "input");
    check_sftp(t.output, "output");
  }
}

void check_cycles(const std::vector<const toml::table*>& tables, const config& c, reader_context& ctx) {
  enum class mark { unvisited, active, done };
  std::map<std::string, mark> marks;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < c.tasks.size(); ++i) index.emplace(c.tasks[i].name, i);
  std::vector<std::string> path;
  std::function<void(size_t)> visit = [&](size_t i) {
    auto& t = c.tasks[i];
    marks[t.name] = mark::active;
    path.push_back(t.name);
    for (auto& dep : t.depends_on) {
      auto it = index.find(dep);
      if (it == index.end() || dep == t.name) continue;
      if (marks[dep] == mark::active) {
        std::string cycle;
        auto start = std::find(path.begin(), path.end(), dep);
        for (auto p = start; p != path.end(); ++p) cycle += *p + " -> ";
        ctx.error(where(*tables[i], "depends_on"), "dependency cycle: " + cycle + dep);
      } else if (marks[dep] == mark::unvisited) {
        visit(it->second);
      }
    }
    path.pop_back();
    marks[t.name] = mark::done;
  };
  for (size_t i = 0; i < c.tasks.size(); ++i)
    if (marks[c.tasks[i].name] == mark::unvisited) visit(i);
}

void check_task_rules(const std::vector<const toml::table*>& tables, const config& c, reader_context& ctx) {
  for (size_t i = 0; i < c.tasks.size(); ++i) {
    auto& t = c.tasks[i];
    bool queue_fed = t.input && t.input->queue && !t.input->sftp;
    if (t.timeout && !t.every && !queue_fed)
      ctx.error(where(*tables[i], "timeout"), "timeout applies to looped tasks ('every') and tasks fed by input.queue");
    if (t.input && t.input->sftp && !t.every)
      ctx.error(where(*tables[i], "input"), "input.sftp needs 'every': files are fetched before each run");
    if (queue_fed && t.every)
      ctx.error(where(*tables[i], "every"), "a task fed by input.queue runs once per message; remove 'every' or add input.sftp");
    if (t.output && t.output->sftp && !t.every)
      ctx.error(where(*tables[i], "output"), "output.sftp needs 'every': files are uploaded after each run");
    if (t.user) {
      errno = 0;
      struct passwd* pw = ::getpwnam(t.user->c_str());
      if (!pw)
        ctx.error(where(*tables[i], "user"), "user \"" + *t.user + "\" does not exist on this system");
      else if (::geteuid() != 0 && pw->pw_uid != ::geteuid())
        ctx.error(where(*tables[i], "user"), "user = \"" + *t.user + "\" needs taskmux to run as root (it runs as uid " +
                                                 std::to_string(::geteuid()) + ")");
    }
  }
}

}  // namespace

void validate(const toml::table& root, const config& c, reader_context& ctx) {
  auto* arr = root.get_as<toml::array>("task");
  std::vector<const toml::table*> tables;
  if (arr)
    for (auto& n : *arr) tables.push_back(n.as_table());
  if (tables.size() != c.tasks.size()) return;
  check_names(tables, c, ctx);
  check_references(tables, c, ctx);
  check_cycles(tables, c, ctx);
  check_task_rules(tables, c, ctx);
}

const task* config::find_task(std::string_view name) const {
  for (auto& t : tasks)
    if (t.name == name) return &t;
  return nullptr;
}

std::string_view to_string(restart_policy p) {
  switch (p) {
    case restart_policy::always: return "always";
    case restart_policy::on_failure: return "on-failure";
    case restart_policy::never: return "never";
  }
  return "?";
}

}  // namespace taskmux::config
