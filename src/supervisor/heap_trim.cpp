#include "supervisor/heap_trim.hpp"

#include <malloc.h>

namespace taskmux::supervisor {

heap_trim::heap_trim(boost::asio::io_context& loop, std::chrono::milliseconds quiet, std::function<void()> trim)
    : timer_(loop.get_executor()), quiet_(quiet), trim_(trim ? std::move(trim) : [] { ::malloc_trim(0); }) {}

void heap_trim::activity() {
  ++activity_;
  due_ = true;
  if (!armed_) arm();
}

void heap_trim::churn() {
  if (due_) ++activity_;
}

void heap_trim::arm() {
  armed_ = true;
  seen_ = activity_;
  timer_.expires_after(quiet_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    armed_ = false;
    // Still busy: one timer per `quiet` while it lasts, never one per change.
    if (activity_ != seen_) return arm();
    due_ = false;
    trim_();
  });
}

}  // namespace taskmux::supervisor
