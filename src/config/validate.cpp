#include "config/validate.hpp"

#include <unistd.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <unordered_map>

#include "process/spawn.hpp"

namespace taskmux::config {
namespace {

/// Where a key of the i-th [[task]] is written (the table itself when the key is absent).
toml::source_region where(const toml::table& task_table, std::string_view key) {
  if (auto* n = task_table.get(key)) return n->source();
  return task_table.source();
}

/// Task index by name, built once: looking names up one by one in the task list made
/// validation quadratic in the number of tasks.
using task_index = std::unordered_map<std::string_view, size_t>;

task_index index_tasks(const config& c) {
  task_index index;
  index.reserve(c.tasks.size());
  for (size_t i = 0; i < c.tasks.size(); ++i)
    index.emplace(c.tasks[i].name, i);
  return index;
}

void check_duplicate_names(const std::vector<const toml::table*>& tables, const config& c,
                           reader_context& ctx) {
  std::unordered_map<std::string_view, size_t> first;
  first.reserve(c.tasks.size());
  for (size_t i = 0; i < c.tasks.size(); ++i) {
    auto& t = c.tasks[i];
    if (t.name.empty()) continue;
    auto [it, inserted] = first.emplace(t.name, i);
    if (!inserted) {
      auto line = tables[it->second]->get("name")->source().begin.line;
      ctx.error(where(*tables[i], "name"),
                "duplicate task name \"" + t.name + "\" (first defined on line " + std::to_string(line) + ")");
    }
  }
}

void check_references(const std::vector<const toml::table*>& tables, const config& c,
                      const task_index& index, reader_context& ctx) {
  for (size_t i = 0; i < c.tasks.size(); ++i) {
    auto& t = c.tasks[i];
    if (auto* deps = tables[i]->get_as<toml::array>("depends_on")) {
      for (size_t d = 0; d < t.depends_on.size() && d < deps->size(); ++d) {
        auto& dep = t.depends_on[d];
        if (dep == t.name) ctx.error((*deps)[d].source(), "task \"" + t.name + "\" depends on itself");
        else if (!index.contains(dep))
          ctx.error((*deps)[d].source(), "depends_on: unknown task \"" + dep + "\"");
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

/// "a -> b -> c -> a"; a cycle longer than `shown_in_full` keeps its first tasks and its last,
/// so that a cycle through thousands of tasks stays one readable line.
std::string describe_cycle(const config& c, std::span<const size_t> cycle) {
  constexpr size_t shown_in_full = 8, shown_first = 4;
  const auto& first = c.tasks[cycle.front()].name;
  if (cycle.size() <= shown_in_full) {
    std::string text = "dependency cycle: ";
    for (size_t i : cycle)
      text += c.tasks[i].name + " -> ";
    return text + first;
  }
  std::string text = "dependency cycle of " + std::to_string(cycle.size()) + " tasks: ";
  for (size_t i : cycle.first(shown_first))
    text += c.tasks[i].name + " -> ";
  return text + "... -> " + c.tasks[cycle.back()].name + " -> " + first;
}

/// Depth-first search with a stack of its own (recursion overflowed the thread's stack on a
/// chain ~31,000 tasks deep); each back edge is one cycle, reported where it closes.
void check_cycles(const std::vector<const toml::table*>& tables, const config& c,
                  const task_index& index, reader_context& ctx) {
  constexpr size_t unvisited = SIZE_MAX, done = SIZE_MAX - 1;
  // For a task on the path: its position there; else unvisited or done.
  std::vector<size_t> state(c.tasks.size(), unvisited);
  struct frame {
    size_t task;
    size_t next_dep = 0;
  };
  std::vector<frame> stack;
  std::vector<size_t> path;  // the tasks of `stack`, for describe_cycle
  for (size_t root = 0; root < c.tasks.size(); ++root) {
    if (state[root] != unvisited) continue;
    state[root] = 0;
    stack.push_back({root});
    path.push_back(root);
    while (!stack.empty()) {
      auto& top = stack.back();
      auto& t = c.tasks[top.task];
      if (top.next_dep == t.depends_on.size()) {
        state[top.task] = done;
        stack.pop_back();
        path.pop_back();
        continue;
      }
      const auto& dep = t.depends_on[top.next_dep++];
      auto it = index.find(dep);
      if (it == index.end() || dep == t.name) continue;
      size_t d = it->second;
      if (state[d] == unvisited) {
        state[d] = path.size();
        stack.push_back({d});
        path.push_back(d);
      } else if (state[d] != done) {
        ctx.error(where(*tables[top.task], "depends_on"),
                  describe_cycle(c, std::span(path).subspan(state[d])));
      }
    }
  }
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
      // The same lookup as the spawn's: a name, or a numeric uid that has a passwd entry.
      auto id = process::lookup_user(*t.user);
      if (!id)
        ctx.error(where(*tables[i], "user"), "user \"" + *t.user + "\" does not exist on this system");
      else if (::geteuid() != 0 && id->uid != ::geteuid())
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
  auto index = index_tasks(c);
  check_duplicate_names(tables, c, ctx);
  check_references(tables, c, index, ctx);
  check_cycles(tables, c, index, ctx);
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
