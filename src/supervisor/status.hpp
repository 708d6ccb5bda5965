// The status rows of SPEC (`status --json`, the snapshot report, /status): one per instance.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

namespace taskmux::supervisor {

class supervisor;

/// {"supervisor": name, "run": id, "tasks": [row...]}; only `tasks` when the list is not empty.
/// Unknown names in `only` are an error (std::invalid_argument naming them).
boost::json::object status_document(const supervisor&, const std::vector<std::string>& only);

}  // namespace taskmux::supervisor
