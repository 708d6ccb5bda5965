// What every client command does with the supervisor's answer to its request.
#pragma once

#include <boost/json/object.hpp>
#include <optional>

#include "cli/exit_code.hpp"
#include "control/client.hpp"

namespace taskmux::cli {

/// The "result" object of a successful reply. Otherwise writes why to stderr ("taskmux: " and
/// the error; `prefixed` false for errors that are whole lines of their own, as FILE:LINE:COL)
/// and sets `code`: unreachable, or the exit code the reply names.
std::optional<boost::json::object> result_of(control::call_result r, exit_code& code, bool prefixed = true);

}  // namespace taskmux::cli
