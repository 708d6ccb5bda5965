#include "supervisor/loop_deadline.hpp"

namespace taskmux::supervisor {

void loop_deadline::arm(std::chrono::milliseconds after, std::function<void()> fire) {
  auto mine = ++*generation_;
  timer_.expires_after(after);
  timer_.async_wait([current = std::weak_ptr<uint64_t>(generation_), mine, fire = std::move(fire)](
                        boost::system::error_code ec) {
    auto g = current.lock();
    if (ec || !g || *g != mine) return;
    fire();
  });
}

void loop_deadline::cancel() {
  ++*generation_;
  timer_.cancel();
}

}  // namespace taskmux::supervisor
