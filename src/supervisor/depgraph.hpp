// depends_on as a graph of task indices: who must be ready before a task starts, who must
// stop before it stops. Built once, in time linear in the number of tasks and edges.
#pragma once

#include <cstddef>
#include <vector>

#include "config/model.hpp"

namespace taskmux::supervisor {

struct depgraph {
  std::vector<std::vector<size_t>> deps;        ///< deps[i]: the tasks that task i depends on
  std::vector<std::vector<size_t>> dependents;  ///< dependents[i]: the tasks that depend on task i
};

/// Indices are those of c.tasks; unknown names and repeated entries are left out (the
/// config's validation reports them).
depgraph make_depgraph(const config::config& c);

}  // namespace taskmux::supervisor
