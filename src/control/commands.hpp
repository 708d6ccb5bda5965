// The control commands as one table, name -> handler, and the dispatch of a request to its
// handler. The handlers are registered by whoever owns what they act on (cli/run.cpp), so the
// table knows no supervisor.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskmux::control {

/// The "tasks" of a request: its string elements, in order; empty when absent (all tasks).
std::vector<std::string> task_names(const boost::json::object& request);

class commands {
 public:
  /// Answers one request of its command (the whole request, "command" included) with
  /// control::ok or control::error. Runs on the loop thread. May throw std::invalid_argument
  /// for a request naming what does not exist (answered as a usage error, exit 2); any other
  /// exception is answered as a failure (exit 1): a bad request never ends the supervisor.
  using handler = std::function<boost::json::object(const boost::json::object& request)>;

  /// Adds command `name`; a second handler for a name replaces the first.
  void add(std::string name, handler h);

  /// The reply to `request`: its command's handler's, or an error (exit 2) when it has no
  /// string "command" or one that is not in the table (the reply lists the supported ones).
  boost::json::object dispatch(const boost::json::object& request) const;

  /// The command names, in the order they were added.
  std::vector<std::string> names() const;

 private:
  const handler* find(std::string_view name) const;

  std::vector<std::pair<std::string, handler>> table_;  ///< a handful: a linear search is enough
};

}  // namespace taskmux::control
