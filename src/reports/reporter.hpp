// Turns supervisor events into report messages: numbers them (one `seq` per run, no gaps),
// routes them to _status_/_fault_/_success_<ns>, and sends the aggregated snapshot to
// _status_<supervisor name> every report_interval and soon after changes (coalesced, so a
// crash loop cannot flood it). Lives on the loop thread.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "reports/message.hpp"
#include "supervisor/events.hpp"
#include "supervisor/supervisor.hpp"

namespace taskmux::reports {

class reporter final : public supervisor::event_sink {
 public:
  /// `send(queue, body)` hands a message on (to the store writer); it must not block.
  using send_fn = std::function<void(std::string queue, std::string body)>;
  /// The snapshot after a change waits at least this long since the previous one.
  static constexpr std::chrono::milliseconds snapshot_gap{1000};

  reporter(supervisor::supervisor& s, send_fn send);

  void on_event(const supervisor::event_record& r) override;
  /// One last snapshot (everything stopped); call after the supervisor's run() returned.
  void finish();

 private:
  void snapshot();
  void arm(std::chrono::steady_clock::time_point at);

  supervisor::supervisor& sup_;
  send_fn send_;
  origin origin_;
  std::string snapshot_queue_;
  uint64_t seq_ = 0;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point due_{};
  std::chrono::steady_clock::time_point last_snapshot_{};
};

}  // namespace taskmux::reports
