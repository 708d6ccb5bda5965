// The client side of the control socket, for the CLI: blocking is fine here.
#pragma once

#include <boost/json/object.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

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

/// For a streaming reply (`logs`): sends `request`; the first line is the reply, the rest of
/// the connection is raw bytes, each chunk given to `on_bytes` as it comes, until the server
/// closes (or on_bytes returns false). Errors as call().
call_result stream(const std::filesystem::path& socket, const boost::json::object& request,
                   const std::function<bool(std::string_view bytes)>& on_bytes);

}  // namespace taskmux::control
