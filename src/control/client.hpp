// The client side of the control socket, for the CLI: blocking is fine here.
#pragma once

#include <boost/json/object.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace taskmux::control {

struct call_result {
  std::optional<boost::json::object> reply;  ///< the (last) reply line
  std::string error;  ///< "unable to reach taskmux at PATH: ..." when unreachable,
                      ///< or "control socket PATH is served by uid N, ..."
};

/// Sends `request`, returns the reply. `on_line`, when given, sees every reply line as it comes.
/// A socket served by a uid other than the caller's effective uid or root is not sent the
/// request: an error, as if unreachable.
call_result call(const std::filesystem::path& socket, const boost::json::object& request,
                 const std::function<void(const boost::json::object&)>& on_line = {});

}  // namespace taskmux::control
