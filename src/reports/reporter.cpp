#include "reports/reporter.hpp"

#include "supervisor/status.hpp"

namespace taskmux::reports {

using clock = std::chrono::steady_clock;

reporter::reporter(supervisor::supervisor& s, send_fn send)
    : sup_(s),
      send_(std::move(send)),
      origin_{s.cfg().supervisor.name, s.run_id()},
      snapshot_queue_("_status_" + s.cfg().supervisor.name),
      timer_(s.loop()) {
  last_snapshot_ = clock::now();
  arm(last_snapshot_ + s.cfg().supervisor.report_interval);
}

void reporter::on_event(const supervisor::event_record& r) {
  send_(queue_name(r.to, r.ns), event_message(r, origin_, ++seq_));
  arm(std::max(clock::now(), last_snapshot_ + snapshot_gap));
}

void reporter::finish() {
  timer_.cancel();
  snapshot();
}

void reporter::snapshot() {
  last_snapshot_ = clock::now();
  send_(snapshot_queue_, snapshot_message(origin_, supervisor::status_rows_json(sup_, {}), ++seq_,
                                          std::chrono::system_clock::now()));
  sup_.trim().churn();  // the document of every instance was built and freed
}

void reporter::arm(clock::time_point at) {
  // One timer serves both cadences: only ever moved earlier, re-armed after each snapshot.
  if (due_ != clock::time_point{} && due_ <= at) return;
  due_ = at;
  timer_.expires_at(at);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    due_ = {};
    snapshot();
    arm(last_snapshot_ + sup_.cfg().supervisor.report_interval);
  });
}

}  // namespace taskmux::reports
