#include <cstdlib>
#include <iostream>

#include "cli/commands.hpp"
#include "control/protocol.hpp"

namespace taskmux::cli {

std::string global_options::config_path() const {
  if (!config.empty()) return config;
  if (const char* env = std::getenv("TASKMUX_CONFIG"); env && *env) return env;
  return "config.toml";
}

std::string global_options::socket_path(const std::filesystem::path* state_dir) const {
  if (!socket.empty()) return socket;
  if (const char* env = std::getenv("TASKMUX_SOCKET"); env && *env) return env;
  if (state_dir) return control::socket_path(*state_dir).string();
  // Without a usable config, guess the default state_dir beside the config file.
  auto file = std::filesystem::absolute(config_path());
  auto loaded = config::load(file);
  auto dir = loaded.value ? loaded.value->supervisor.state_dir : file.parent_path() / ".taskmux";
  return control::socket_path(dir).string();
}

std::optional<config::config> load_or_report(const std::string& path) {
  auto result = config::load(path);
  for (auto& d : result.problems) std::cerr << config::format(d) << "\n";
  if (!result.problems.empty())
    std::cerr << path << ": " << result.problems.size() << (result.problems.size() == 1 ? " problem" : " problems")
              << "; nothing was started\n";
  return std::move(result.value);
}

}  // namespace taskmux::cli
