// Config problems as data: each one FILE:LINE:COL: message, all reported in one run.
#pragma once

#include <string>
#include <vector>

namespace taskmux::config {

struct diagnostic {
  std::string file;
  int line = 0;    ///< 1-based; 0 when the problem has no place in the file
  int column = 0;  ///< 1-based
  std::string message;
  bool is_warning = false;  ///< something to fix that does not stop taskmux from running
};

/// "FILE:LINE:COL: message" (or "FILE: message" without a place); "warning: " before the
/// message of a warning.
std::string format(const diagnostic&);

using diagnostics = std::vector<diagnostic>;

}  // namespace taskmux::config
