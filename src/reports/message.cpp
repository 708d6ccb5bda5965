#include "reports/message.hpp"

#include "logs/json_writer.hpp"

namespace taskmux::reports {

std::string queue_name(supervisor::route to, const std::string& ns) {
  switch (to) {
    case supervisor::route::fault: return "_fault_" + ns;
    case supervisor::route::success: return "_success_" + ns;
    case supervisor::route::status: break;
  }
  return "_status_" + ns;
}

std::string event_message(const supervisor::event_record& r, const origin& o, uint64_t seq) {
  std::string out;
  logs::json_writer w(out);
  w.open('{');
  w.key("ts").timestamp(r.ts);
  w.key("supervisor").text(o.supervisor);
  w.key("run").text(o.run);
  w.key("task").text(r.task);
  w.key("instance").number(r.instance);
  if (r.pid) w.key("pid").number(r.pid);
  else w.key("pid").null();
  w.key("event").text(supervisor::to_string(r.event));
  w.key("state").text(r.state);
  bool by_signal = r.exit && r.exit->signal;
  if (r.exit && !by_signal) w.key("exit_code").number(r.exit->code);
  else w.key("exit_code").null();
  if (by_signal) w.key("signal").number(r.exit->signal);
  else w.key("signal").null();
  w.key("restarts").number(r.restarts);
  w.key("seq").number(seq);
  w.key("message").text(r.message);
  if (r.run_time) w.key("run_time_s").seconds(*r.run_time);
  if (r.delay) w.key("delay_s").seconds(*r.delay);
  if (r.to == supervisor::route::fault) {  // always there on faults, [] when it wrote nothing
    w.key("stderr").open('[');
    for (auto& l : r.output) {
      w.element();
      w.text(l);
    }
    w.close(']');
  }
  w.close('}');
  return out;
}

std::string snapshot_message(const origin& o, std::string_view rows_json, uint64_t seq,
                             std::chrono::system_clock::time_point ts) {
  std::string out;
  out.reserve(rows_json.size() + 160);
  logs::json_writer w(out);
  w.open('{');
  w.key("ts").timestamp(ts);
  w.key("supervisor").text(o.supervisor);
  w.key("run").text(o.run);
  w.key("event").text(supervisor::to_string(supervisor::report_event::snapshot));
  w.key("seq").number(seq);
  w.key("tasks").raw(rows_json);
  w.close('}');
  return out;
}

}  // namespace taskmux::reports
