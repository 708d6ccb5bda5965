// One [[task]] of the conversion: a program's settings as taskmux keys, in the order of
// config.toml's schema, each with the supervisord key it came from, and a comment for the rest.
#pragma once

#include <string>
#include <vector>

#include "migrate/programs.hpp"

namespace taskmux::migrate {

/// What the conversion as a whole decided for one program.
struct task_plan {
  std::string name;                     ///< its task name, unique in the file
  std::vector<std::string> depends_on;  ///< the tasks of the next lower priority tier
  long tier_below = 0;                  ///< that tier's priority (when depends_on is not empty)
  bool has_global_env = false;          ///< [supervisord] environment is part of its env
};

struct task_text {
  std::string toml;                    ///< "[[task]]" and its keys and comments
  std::vector<std::string> differing;  ///< settings taskmux does not keep as they were
};

task_text write_task(const program& p, const task_plan& plan);

}  // namespace taskmux::migrate
