// Whether taskmux counts as ready (/readyz, /actuator/health), and the words that say why
// not. Pure: supervisor_view gathers the facts.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "supervisor/lifecycle.hpp"

namespace taskmux::http {

/// An instance that does not count as ready (instance::counts_as_ready).
struct not_ready {
  std::string label;  ///< "web[1]"
  supervisor::state state;
};

struct readiness {
  bool shutting_down = false;
  std::vector<not_ready> waiting_for;  ///< in config order

  /// Every instance counts as ready and taskmux is not stopping.
  bool is_ready() const { return !shutting_down && waiting_for.empty(); }
};

/// The /readyz body: "ok", else "not ready: shutting down" or
/// "not ready: web[1] (backoff), db[0] (starting)"; one line.
std::string readiness_text(const readiness&);

/// The /actuator/health body: {"status":"UP"}, or
/// {"status":"DOWN","details":{"shutting_down":false,"not_ready":{"web[1]":"backoff"}}}.
boost::json::object actuator_health(const readiness&);

}  // namespace taskmux::http
