// depends_on as a graph of task indices, in both directions: a task's dependencies and its
// dependents. Only the lists: the supervisor uses them to start a task once its dependencies
// are ready, and to stop a task only once its dependents have stopped (supervisor.cpp).
// Built once, in time linear in the number of tasks and edges.
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
