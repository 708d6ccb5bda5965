// The control commands as one table, name -> handler, and the dispatch of a request to its
// handler. The handlers are registered by whoever owns what they act on (cli/run.cpp), so the
// table knows no supervisor.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "control/responder.hpp"

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
  /// The same for a command that answers later, or streams: through `r`, once. Throwing
  /// before it answered is answered as above.
  using async_handler = std::function<void(const boost::json::object& request, std::shared_ptr<responder> r)>;

  /// Adds command `name`; a second handler for a name replaces the first.
  void add(std::string name, handler h);
  void add_async(std::string name, async_handler h);

  /// The reply to `request` through `r`: its command's handler's, or an error (exit 2) when it
  /// has no string "command" or one that is not in the table (the reply lists the supported ones).
  void dispatch(const boost::json::object& request, const std::shared_ptr<responder>& r) const;
  /// The same, for a command that answers at once (tests, and the table's own errors).
  boost::json::object dispatch(const boost::json::object& request) const;

  /// The command names, in the order they were added.
  std::vector<std::string> names() const;

 private:
  const async_handler* find(std::string_view name) const;
  /// The error for a request without a known command; nullptr when it has one.
  std::optional<boost::json::object> refuse(const boost::json::object& request, const async_handler*& h) const;

  std::vector<std::pair<std::string, async_handler>> table_;  ///< a handful: a linear search is enough
};

}  // namespace taskmux::control
