#include "supervisor/depgraph.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace taskmux::supervisor {

depgraph make_depgraph(const config::config& c) {
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < c.tasks.size(); ++i) index.emplace(c.tasks[i].name, i);
  depgraph g;
  g.deps.resize(c.tasks.size());
  g.dependents.resize(c.tasks.size());
  for (size_t i = 0; i < c.tasks.size(); ++i) {
    auto& deps = g.deps[i];
    for (auto& name : c.tasks[i].depends_on)
      if (auto it = index.find(name); it != index.end() && it->second != i) deps.push_back(it->second);
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    for (size_t d : deps) g.dependents[d].push_back(i);
  }
  return g;
}

}  // namespace taskmux::supervisor
