#include "http/supervisor_view.hpp"

#include "reports/pipeline.hpp"
#include "supervisor/status.hpp"
#include "supervisor/supervisor.hpp"

namespace taskmux::http {

boost::json::object supervisor_view::status(const std::vector<std::string>& only) {
  return supervisor::status_document(sup_, only);
}

readiness supervisor_view::ready() {
  readiness r;
  r.shutting_down = sup_.shutting_down();
  for (auto& t : sup_.tasks())
    for (auto& i : t.instances)
      if (!i->counts_as_ready()) r.waiting_for.push_back({i->label(), i->state()});
  return r;
}

void supervisor_view::metrics(std::string& out) {
  auto now = std::chrono::system_clock::now();
  samples_.clear();
  for (auto& t : sup_.tasks())
    for (auto& i : t.instances) {
      instance_sample s{t.cfg->name,   i->index(), i->state(),          i->pid() != 0,
                        i->restarts(), 0,          i->exits().entries()};
      // The rule of uptime_s in status --json: up, or stopping, with a start time.
      bool up = supervisor::is_up(i->state()) || i->state() == supervisor::state::stopping;
      if (up && i->started_at())
        s.uptime_s = std::chrono::duration<double>(now - *i->started_at()).count();
      samples_.push_back(s);
    }
  auto c = reports_.counts();
  auto& notify = sup_.notify_stats();
  supervisor_sample s{c.committed,
                      c.published,
                      c.waiting,
                      c.dropped,
                      sup_.orphans_reaped(),
                      sup_.out().dropped_lines(),
                      sup_.err().dropped_lines(),
                      notify.accepted,
                      notify.refused};
  render_metrics(out, s, samples_);
}

std::string supervisor_view::supervisor_name() {
  return sup_.cfg().supervisor.name;
}

std::string supervisor_view::run_id() {
  return sup_.run_id();
}

}  // namespace taskmux::http
