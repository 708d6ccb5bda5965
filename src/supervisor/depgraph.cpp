#include "supervisor/depgraph.hpp"

#include <algorithm>

namespace taskmux::supervisor {

std::vector<std::string> dependents_of(const config::config& c, const std::string& name) {
  std::vector<std::string> out;
  for (auto& t : c.tasks)
    if (std::find(t.depends_on.begin(), t.depends_on.end(), name) != t.depends_on.end()) out.push_back(t.name);
  return out;
}

}  // namespace taskmux::supervisor
