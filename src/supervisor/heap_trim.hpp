// Gives the heap's free pages back to the kernel once the supervisor goes quiet. A burst of
// starts or restarts leaves freed spawn requests, report messages and SQLite pages scattered
// through the heap; glibc keeps them resident until told otherwise. Trimming after the burst,
// not on a clock, costs an idle supervisor nothing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>

namespace taskmux::supervisor {

class heap_trim {
 public:
  /// `trim` defaults to malloc_trim(0); `quiet` is how long nothing may happen before it runs.
  explicit heap_trim(boost::asio::io_context& loop, std::chrono::milliseconds quiet = std::chrono::milliseconds(500),
                     std::function<void()> trim = {});
  /// Something happened (a state change): trim once `quiet` has passed without another.
  void activity();
  /// Allocated and freed much, but only matters after activity (a status snapshot): a trim
  /// still to come waits for it; none is started for it alone, so an idle supervisor's
  /// periodic snapshots never trim (and never cost CPU).
  void churn();

 private:
  void arm();

  boost::asio::basic_waitable_timer<std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>,
                                    boost::asio::io_context::executor_type>
      timer_;
  std::chrono::milliseconds quiet_;
  std::function<void()> trim_;
  uint64_t activity_ = 0;
  uint64_t seen_ = 0;  ///< activity_ when the timer was armed
  bool armed_ = false;
  bool due_ = false;   ///< activity since the last trim
};

}  // namespace taskmux::supervisor
