#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "control/protocol.hpp"

namespace taskmux::cli {
namespace {

/// The state_dir an invalid config names, so that `taskmux reload` of a broken file still
/// reaches the supervisor (which then reports every problem): the `state_dir = "..."` line of
/// its [supervisor] table, read as plain lines. Empty when there is none.
std::filesystem::path state_dir_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  bool in_supervisor = false;
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    if (line[first] == '[') {
      in_supervisor = line.compare(first, 12, "[supervisor]") == 0;
      continue;
    }
    if (!in_supervisor || line.compare(first, 9, "state_dir") != 0) continue;
    auto open = line.find('"', first);
    auto close = open == std::string::npos ? open : line.find('"', open + 1);
    if (close == std::string::npos) return {};
    std::filesystem::path dir = line.substr(open + 1, close - open - 1);
    if (dir.empty() || dir.string().find("${") != std::string::npos) return {};
    return dir.is_absolute() ? dir : file.parent_path() / dir;
  }
  return {};
}

}  // namespace

std::string global_options::config_path() const {
  if (!config.empty()) return config;
  if (const char* env = std::getenv("TASKMUX_CONFIG"); env && *env) return env;
  return "config.toml";
}

std::string global_options::socket_path(const std::filesystem::path* state_dir) const {
  if (!socket.empty()) return socket;
  if (const char* env = std::getenv("TASKMUX_SOCKET"); env && *env) return env;
  if (state_dir) return control::socket_path(*state_dir).string();
  auto file = std::filesystem::absolute(config_path());
  auto loaded = config::load(file);
  std::filesystem::path dir;
  if (loaded.value) dir = loaded.value->supervisor.state_dir;
  else if (dir = state_dir_line(file); dir.empty()) dir = file.parent_path() / ".taskmux";
  return control::socket_path(dir).string();
}

std::optional<config::config> load_or_report(const std::string& path,
                                             config::diagnostics* warnings) {
  auto result = config::load(path);
  if (warnings && result.value) *warnings = std::move(result.warnings);
  for (auto& d : result.problems) std::cerr << config::format(d) << "\n";
  if (!result.problems.empty())
    std::cerr << path << ": " << result.problems.size() << (result.problems.size() == 1 ? " problem" : " problems")
              << "; nothing was started\n";
  return std::move(result.value);
}

}  // namespace taskmux::cli
