#include "http/supervisor_view.hpp"

#include "reports/pipeline.hpp"
#include "supervisor/status.hpp"
#include "supervisor/supervisor.hpp"

namespace taskmux::http {

supervisor_view::supervisor_view(supervisor::supervisor& s, reports::pipeline& p) : sup_(s), reports_(p) {
  sup_.add_sink(faults_);
}

supervisor_view::~supervisor_view() { sup_.remove_sink(faults_); }

boost::json::array supervisor_view::faults() { return faults_.to_json(); }

std::string supervisor_view::logs(const std::string& task, size_t lines) {
  std::string text;
  for (auto* i : sup_.instances_of({task})) text += i->recent_text(lines);
  return text;
}

void supervisor_view::act(std::string_view verb, const std::string& task) {
  auto ignore = [](std::vector<supervisor::instance*>) {};  // the page sees the result in /status
  if (verb == "start") sup_.start({task}, ignore);
  else if (verb == "stop") sup_.stop({task}, ignore);
  else sup_.restart({task}, ignore);
}

std::string supervisor_view::status(const std::vector<std::string>& only) {
  return supervisor::status_json(sup_, only);
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
