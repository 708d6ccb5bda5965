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
  std::string error;                         ///< "unable to reach taskmux at PATH: ..." when unreachable
};

/// Sends `request`, returns the reply. `on_line`, when given, sees every reply line as it comes.
call_result call(const std::filesystem::path& socket, const boost::json::object& request,
                 const std::function<void(const boost::json::object&)>& on_line = {});

}  // namespace taskmux::control
