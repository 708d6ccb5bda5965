#include "reports/message.hpp"

#include <boost/json/serialize.hpp>

#include "logs/format.hpp"

namespace taskmux::reports {

namespace json = boost::json;

std::string queue_name(supervisor::route to, const std::string& ns) {
  switch (to) {
    case supervisor::route::fault: return "_fault_" + ns;
    case supervisor::route::success: return "_success_" + ns;
    case supervisor::route::status: break;
  }
  return "_status_" + ns;
}

std::string event_message(const supervisor::event_record& r, const origin& o, uint64_t seq) {
  json::object m;
  m["ts"] = logs::iso_timestamp(r.ts);
  m["supervisor"] = o.supervisor;
  m["run"] = o.run;
  m["task"] = r.task;
  m["instance"] = r.instance;
  m["pid"] = r.pid ? json::value(r.pid) : json::value(nullptr);
  m["event"] = supervisor::to_string(r.event);
  m["state"] = r.state;
  bool by_signal = r.exit && r.exit->signal;
  m["exit_code"] = r.exit && !by_signal ? json::value(r.exit->code) : json::value(nullptr);
  m["signal"] = by_signal ? json::value(r.exit->signal) : json::value(nullptr);
  m["restarts"] = r.restarts;
  m["seq"] = seq;
  m["message"] = logs::valid_utf8(r.message);
  auto seconds = [](std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; };
  if (r.run_time) m["run_time_s"] = seconds(*r.run_time);
  if (r.delay) m["delay_s"] = seconds(*r.delay);
  if (r.to == supervisor::route::fault) {  // always there on faults, [] when it wrote nothing
    json::array lines;
    for (auto& l : r.output) lines.emplace_back(logs::valid_utf8(l));
    m["stderr"] = std::move(lines);
  }
  return json::serialize(m);
}

std::string snapshot_message(json::object status, uint64_t seq, std::chrono::system_clock::time_point ts) {
  json::object m;
  m["ts"] = logs::iso_timestamp(ts);
  m["supervisor"] = status["supervisor"];
  m["run"] = status["run"];
  m["event"] = supervisor::to_string(supervisor::report_event::snapshot);
  m["seq"] = seq;
  m["tasks"] = std::move(status["tasks"]);
  return json::serialize(m);
}

}  // namespace taskmux::reports
