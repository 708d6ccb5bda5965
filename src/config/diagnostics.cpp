#include "config/diagnostics.hpp"

namespace taskmux::config {

std::string format(const diagnostic& d) {
  std::string message = d.is_warning ? "warning: " + d.message : d.message;
  if (d.line == 0) return d.file + ": " + message;
  return d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + message;
}

}  // namespace taskmux::config
