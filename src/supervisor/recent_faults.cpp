#include "supervisor/recent_faults.hpp"

#include <boost/json/object.hpp>

#include "logs/format.hpp"

namespace taskmux::supervisor {

void recent_faults::on_event(const event_record& r) {
  if (r.to != route::fault) return;
  faults_.push_back(r);
  if (faults_.size() > keep_) faults_.pop_front();
}

boost::json::array recent_faults::to_json() const {
  boost::json::array out;
  for (auto& f : faults_) {
    boost::json::array lines;
    for (auto& l : f.output) lines.emplace_back(l);
    out.push_back(boost::json::object{{"ts", logs::iso_timestamp(f.ts)},
                                      {"event", to_string(f.event)},
                                      {"task", f.task},
                                      {"instance", f.instance},
                                      {"message", f.message},
                                      {"output", std::move(lines)}});
  }
  return out;
}

}  // namespace taskmux::supervisor
