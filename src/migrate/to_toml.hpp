// supervisord's programs as config.toml text: one [[task]] per [program:x], and a comment
// for every setting taskmux has no key for, saying what it did and what taskmux does instead.
// docs/import.md lists each mapping and why.
#pragma once

#include <string>
#include <vector>

#include "migrate/programs.hpp"

namespace taskmux::migrate {

struct conversion {
  std::string toml;  ///< the config.toml text
  /// One line per section whose settings taskmux does not keep as they were:
  /// "FILE:LINE [section] key, key".
  std::vector<std::string> summary;
  size_t tasks = 0;          ///< [[task]] tables written
  size_t commented_out = 0;  ///< programs written as comments only (autostart = false, ...)
};

/// The conversion of `conf`; every string in it survives a TOML parser and taskmux's ${VAR}
/// expansion with the value supervisord would have used.
conversion to_toml(const supervisord_conf& conf);

/// A task name for supervisord's program name: each character outside [A-Za-z0-9_.-] becomes
/// '_', and it is cut to 64 characters.
std::string task_name_for(std::string_view program_name);

}  // namespace taskmux::migrate
