// The last fault reports (everything routed to _fault_), kept in memory for the dashboard:
// what failed, when, and the stderr lines the report carried. Loop thread only.
#pragma once

#include <boost/json/array.hpp>
#include <cstddef>
#include <deque>

#include "supervisor/events.hpp"

namespace taskmux::supervisor {

class recent_faults final : public event_sink {
 public:
  explicit recent_faults(size_t keep = 20) : keep_(keep) {}
  void on_event(const event_record& r) override;
  /// Oldest first: [{"ts", "event", "task", "instance", "message", "output": [lines]}].
  boost::json::array to_json() const;

 private:
  size_t keep_;
  std::deque<event_record> faults_;
};

}  // namespace taskmux::supervisor
