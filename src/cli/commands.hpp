// Every `taskmux` command: registers itself on the CLI11 app, runs, and returns an exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "cli/exit_code.hpp"
#include "config/load.hpp"

namespace taskmux::cli {

/// Options shared by all commands; `-c` and `--socket` may come before or after the command.
struct global_options {
  std::string config;  ///< -c; empty: $TASKMUX_CONFIG, else ./config.toml
  std::string socket;  ///< --socket; empty: $TASKMUX_SOCKET, else <state_dir>/control.sock

  std::string config_path() const;
  /// `state_dir`: the loaded config's, when the caller has it (else the config is read).
  std::string socket_path(const std::filesystem::path* state_dir = nullptr) const;
};

/// A command's body, run after parsing.
using command_body = std::function<exit_code()>;

command_body add_run(CLI::App& app, const global_options& g);
command_body add_check(CLI::App& app, const global_options& g);
command_body add_status(CLI::App& app, const global_options& g);
command_body add_start(CLI::App& app, const global_options& g);
command_body add_stop(CLI::App& app, const global_options& g);
command_body add_restart(CLI::App& app, const global_options& g);
command_body add_logs(CLI::App& app, const global_options& g);
command_body add_reload(CLI::App& app, const global_options& g);
command_body add_queue(CLI::App& app, const global_options& g);
command_body add_notify(CLI::App& app);
command_body add_import(CLI::App& app);
command_body add_version(CLI::App& app);

/// Loads the config; prints each problem as FILE:LINE:COL: message to stderr. The warnings of
/// a valid config go to `warnings` when given, for the command to say its way.
std::optional<config::config> load_or_report(const std::string& path,
                                             config::diagnostics* warnings = nullptr);

}  // namespace taskmux::cli
