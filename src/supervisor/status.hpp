// The status rows of SPEC (`status --json`, the snapshot report, /status): one per instance.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

namespace taskmux::supervisor {

class supervisor;

/// {"supervisor": name, "run": id, "tasks": [row...]} as JSON text on one line; only the rows
/// of `only`'s tasks when it is not empty. Unknown names in `only` are an error
/// (std::invalid_argument naming them).
std::string status_json(const supervisor&, const std::vector<std::string>& only);

/// Only its rows: [row...].
std::string status_rows_json(const supervisor&, const std::vector<std::string>& only);

/// The same document as a boost::json tree, for those that read it rather than pass it on.
boost::json::object status_document(const supervisor&, const std::vector<std::string>& only);

}  // namespace taskmux::supervisor
