#include "supervisor/events.hpp"

namespace taskmux::supervisor {

std::string_view to_string(report_event e) {
  switch (e) {
    case report_event::started: return "started";
    case report_event::ready: return "ready";
    case report_event::progress: return "progress";
    case report_event::exited: return "exited";
    case report_event::backoff: return "backoff";
    case report_event::fatal: return "fatal";
    case report_event::stopping: return "stopping";
    case report_event::stopped: return "stopped";
    case report_event::cycle_started: return "cycle_started";
    case report_event::cycle_succeeded: return "cycle_succeeded";
    case report_event::cycle_failed: return "cycle_failed";
    case report_event::health_failed: return "health_failed";
    case report_event::watchdog_expired: return "watchdog_expired";
    case report_event::blocked: return "blocked";
    case report_event::fault: return "fault";
    case report_event::success: return "success";
    case report_event::transfer_failed: return "transfer_failed";
    case report_event::message_failed: return "message_failed";
    case report_event::config_error: return "config_error";
    case report_event::snapshot: return "snapshot";
  }
  return "?";
}

route route_of(report_event e, bool failed) {
  switch (e) {
    case report_event::exited: return failed ? route::fault : route::status;
    case report_event::fatal:
    case report_event::cycle_failed:
    case report_event::health_failed:
    case report_event::watchdog_expired:
    case report_event::blocked:
    case report_event::fault:
    case report_event::transfer_failed:
    case report_event::message_failed:
    case report_event::config_error: return route::fault;
    case report_event::cycle_succeeded:
    case report_event::success: return route::success;
    case report_event::started:
    case report_event::ready:
    case report_event::progress:
    case report_event::backoff:
    case report_event::stopping:
    case report_event::stopped:
    case report_event::cycle_started:
    case report_event::snapshot: break;
  }
  return route::status;
}

}  // namespace taskmux::supervisor
