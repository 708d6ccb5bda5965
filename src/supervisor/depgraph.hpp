// depends_on as a graph: who must be ready before a task starts, who must stop before it stops.
#pragma once

#include <string>
#include <vector>

#include "config/model.hpp"

namespace taskmux::supervisor {

/// Names of the tasks that list `name` in their depends_on.
std::vector<std::string> dependents_of(const config::config& c, const std::string& name);

}  // namespace taskmux::supervisor
