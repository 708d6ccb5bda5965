// Reads config.toml with toml++ into config::config, checking every key of SPEC's schema.
#pragma once

#include <filesystem>
#include <optional>

#include "config/diagnostics.hpp"
#include "config/expand.hpp"
#include "config/model.hpp"

namespace taskmux::config {

struct load_result {
  std::optional<config> value;  ///< set only when there is no diagnostic
  diagnostics problems;
  /// What looks wrong but does not stop it from running (a ${VAR:-default} that takes its
  /// default while the task's env sets VAR); in file order, also beside problems.
  diagnostics warnings;
};

/// Reads and validates `file`. All problems of the file are collected, not just the first;
/// a TOML syntax error stops at that error. `env` resolves ${VAR} (default: the process env).
load_result load(const std::filesystem::path& file, const env_lookup& env = {});

/// Same, for text already in memory (`file` names it in diagnostics and anchors relative paths).
load_result load_string(std::string_view text, const std::filesystem::path& file,
                        const env_lookup& env = {});

/// The process environment as an env_lookup.
std::optional<std::string> process_env(const std::string& name);

}  // namespace taskmux::config
