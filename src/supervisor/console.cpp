#include "supervisor/console.hpp"

#include "supervisor/supervisor.hpp"

namespace taskmux::supervisor {

void console_sink::on_event(const event_record& r) {
  if (!r.console) return;
  // What the task itself said (STATUS=, SUCCESS=) is labeled as such.
  std::string said;
  if (r.event == report_event::progress) said = "status: ";
  else if (r.event == report_event::success) said = "success: ";
  supervisor_.log(r.to == route::fault ? "fault" : "info",
                  r.task + "[" + std::to_string(r.instance) + "] " + said + r.message);
}

}  // namespace taskmux::supervisor
