#include "supervisor/waits.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

namespace taskmux::supervisor {

void waits::add(std::vector<instance*> targets, settled_fn settled, std::chrono::milliseconds limit, done_fn done) {
  auto& w = waits_.emplace_back();
  w.id = ++next_id_;
  w.targets = std::move(targets);
  w.settled = std::move(settled);
  w.done = std::move(done);
  w.timer = std::make_unique<boost::asio::steady_timer>(loop_, limit);
  // By id, not by iterator: a wait that ended just as its timer fired is simply not found.
  w.timer->async_wait([this, id = w.id](boost::system::error_code ec) {
    if (!ec) expire(id);
  });
  // Settled already: answered from the loop, never inside the caller.
  boost::asio::post(loop_, [this] { check(); });
}

void waits::check() {
  // Taken out of the list before any `done` runs: one may add a wait, change states (and so
  // call check() again), or end the supervisor's run.
  std::vector<done_fn> ready;
  for (auto it = waits_.begin(); it != waits_.end();) {
    if (std::all_of(it->targets.begin(), it->targets.end(), [&](instance* i) { return it->settled(*i); })) {
      ready.push_back(std::move(it->done));
      it = waits_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& done : ready) done({});
}

void waits::expire(uint64_t id) {
  auto it = std::find_if(waits_.begin(), waits_.end(), [id](const wait& w) { return w.id == id; });
  if (it == waits_.end()) return;
  std::vector<instance*> left;
  for (auto* i : it->targets)
    if (!it->settled(*i)) left.push_back(i);
  auto done = std::move(it->done);
  waits_.erase(it);
  done(std::move(left));
}

void waits::forget(const instance& i) {
  for (auto& w : waits_) std::erase(w.targets, &i);
}

}  // namespace taskmux::supervisor
