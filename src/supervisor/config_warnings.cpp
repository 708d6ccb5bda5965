#include "supervisor/config_warnings.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <unordered_map>
#include <vector>

#include "process/program_path.hpp"
#include "supervisor/launch.hpp"

namespace taskmux::supervisor {
namespace {

/// Words that sh (dash, bash) reads as a keyword or runs itself: nothing to look up in PATH.
constexpr std::string_view shell_words[] = {
    // keywords
    "case", "do", "done", "elif", "else", "esac", "fi", "for", "function", "if", "in", "select",
    "then", "time", "until", "while",
    // builtins
    ".", ":", "alias", "bg", "break", "builtin", "cd", "command", "continue", "declare", "echo",
    "eval", "exec", "exit", "export", "false", "fc", "fg", "getopts", "hash", "jobs", "kill", "let",
    "local", "printf", "pwd", "read", "readonly", "return", "set", "shift", "source", "test",
    "times", "trap", "true", "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait"};

bool is_plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_./+-:@%,").find(c) != std::string_view::npos;
}

bool ends_word(char c) {
  return std::string_view(" \t\n;&|<>()").find(c) != std::string_view::npos;
}

/// Where the lookup's PATH comes from, as the task's environment is made (task_launch::env).
std::string path_origin(const config::task& t) {
  if (t.env.contains("PATH")) return "set in the task's env";
  if (t.inherit_env && std::getenv("PATH")) return "taskmux's own";
  return "the default: the task gets no PATH";
}

/// Where a lookup of `program` that failed looked: " in PATH ... (whence)", or the file.
std::string where_looked(const config::task& t, const std::string& program, task_launch& launch) {
  if (program.find('/') == std::string::npos) {
    std::vector<const char*> vars;
    for (auto& kv : *launch.env())
      vars.push_back(kv.c_str());
    return " in PATH " + process::search_path(vars) + " (" + path_origin(t) + ")";
  }
  if (program.starts_with('/')) return "";
  return ": looked for " + (t.workdir / program).lexically_normal().string() +
         " (relative to its workdir)";
}

/// What the lookup of a task's program depends on: tasks that agree on it (the thousands of
/// tasks of a big file that run one program) are looked up once.
std::string lookup_key(const config::task& t, const std::string& program) {
  auto path = t.env.find("PATH");
  return program + '\0' +
         (path != t.env.end() ? "=" + path->second
          : t.inherit_env     ? "inherited"
                              : "none") +
         '\0' + t.workdir.string() + '\0' + t.user.value_or("");
}

}  // namespace

std::string shell_program(std::string_view script) {
  size_t begin = script.find_first_not_of(" \t\n");
  if (begin == std::string_view::npos) return {};
  size_t end = begin;
  while (end < script.size() && !ends_word(script[end]))
    ++end;
  auto word = script.substr(begin, end - begin);
  // "name()" defines a function; anything but plain characters is the shell's to expand.
  if (word.empty() || (end < script.size() && script[end] == '(')) return {};
  if (!std::all_of(word.begin(), word.end(), is_plain_char)) return {};
  if (std::find(std::begin(shell_words), std::end(shell_words), word) != std::end(shell_words))
    return {};
  return std::string(word);
}

config::diagnostics missing_programs(const config::config& c, const std::string& shown) {
  config::diagnostics out;
  std::unordered_map<std::string, std::optional<std::string>> looked_up;  // nothing: found
  for (size_t i = 0; i < c.tasks.size(); ++i) {
    auto& t = c.tasks[i];
    if (t.cmd.argv.empty()) continue;
    std::string program = t.cmd.is_shell ? shell_program(t.cmd.argv.back()) : t.cmd.argv[0];
    if (program.empty()) continue;
    auto [it, is_new] = looked_up.try_emplace(lookup_key(t, program));
    if (is_new) {
      task_launch launch(t, c.secret_vars);
      // A user that does not exist is load's error already.
      if ((!t.user || launch.user()) && launch.find(program).empty())
        it->second = where_looked(t, program, launch);
    }
    if (!it->second) continue;
    std::string who = t.user ? " for user \"" + *t.user + "\"" : "";
    auto at = i < c.command_at.size() ? c.command_at[i] : config::text_position{};
    out.push_back(
        {shown, at.line, at.column,
         "task \"" + t.name + "\": no executable program \"" + program + "\"" + who + *it->second,
         true});
  }
  return out;
}

config::diagnostics warnings_about(const config::config& c, const std::string& shown,
                                   config::diagnostics from_load) {
  auto programs = missing_programs(c, shown);
  from_load.insert(from_load.end(), programs.begin(), programs.end());
  std::stable_sort(from_load.begin(), from_load.end(), [](auto& a, auto& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return from_load;
}

}  // namespace taskmux::supervisor
