// The real deadline of host.hpp: a steady_timer on the loop. A wait that already expired but
// whose handler has not run yet is dropped too (by generation), and so is every wait once
// the deadline is gone: its owner may be destroyed by the very event it armed it for.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>

#include "supervisor/host.hpp"

namespace taskmux::supervisor {

class loop_deadline final : public deadline {
 public:
  explicit loop_deadline(boost::asio::io_context& loop) : timer_(loop.get_executor()) {}
  ~loop_deadline() override { cancel(); }
  void arm(std::chrono::milliseconds after, std::function<void()> fire) override;
  void cancel() override;

 private:
  /// Bound to the io_context's own executor: 40 bytes smaller than steady_timer's
  /// any_io_executor, in every instance.
  boost::asio::basic_waitable_timer<std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>,
                                    boost::asio::io_context::executor_type>
      timer_;
  /// Shared with the pending handler, which checks that it is still the current wait.
  std::shared_ptr<uint64_t> generation_ = std::make_shared<uint64_t>(0);
};

}  // namespace taskmux::supervisor
