// Operator requests that answer once their instances have settled: `taskmux stop` answers when
// the instances are stopped, `start` when their spawns came back. The supervisor calls check()
// after every state change; each wait ends once, when all of its instances settle or when its
// time is up (then naming those that did not). Loop thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <vector>

namespace taskmux::supervisor {

class instance;

class waits {
 public:
  using settled_fn = std::function<bool(const instance&)>;
  /// `unsettled`: the instances that had not settled when the time was up; empty: all did.
  using done_fn = std::function<void(std::vector<instance*> unsettled)>;

  explicit waits(boost::asio::io_context& loop) : loop_(loop) {}

  /// Calls `done` once every one of `targets` is `settled` (at once, on the loop, if they
  /// already are), or after `limit` with those that are not.
  void add(std::vector<instance*> targets, settled_fn settled, std::chrono::milliseconds limit, done_fn done);
  /// After a state change: ends the waits whose instances all settled.
  void check();
  /// `i` is going away (reload): it counts as settled for every wait.
  void forget(const instance& i);
  size_t size() const { return waits_.size(); }

 private:
  struct wait {
    uint64_t id;
    std::vector<instance*> targets;
    settled_fn settled;
    done_fn done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  /// Ends wait `id` if it is still there: by timer, unsettled ones named.
  void expire(uint64_t id);

  boost::asio::io_context& loop_;
  std::list<wait> waits_;  ///< a handful at most
  uint64_t next_id_ = 0;
};

}  // namespace taskmux::supervisor
