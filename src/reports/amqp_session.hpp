// One AMQP 0-9-1 connection of the report publisher (rabbitmq-c): TCP connect, login, channel 1
// in confirm mode, durable queue declarations, persistent publishes, and the broker's confirms.
// Not the retry policy or the outbox: that is amqp_publisher.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>

#include "config/amqp_url.hpp"

struct amqp_connection_state_t_;

namespace taskmux::reports {

/// Why a session could not start or had to end: one readable reason, never the password.
struct amqp_failure : std::runtime_error {
  explicit amqp_failure(const std::string& reason, bool needs_fix = false)
      : std::runtime_error(reason), needs_fix(needs_fix) {}
  /// Retrying cannot help until someone changes the config or the broker: wrong password,
  /// missing vhost, a queue that exists with other arguments.
  bool needs_fix;
};

/// The socket a session may be blocked on, so that another thread can cut it short.
class socket_cutter {
 public:
  socket_cutter() = default;
  socket_cutter(const socket_cutter&) = delete;
  socket_cutter& operator=(const socket_cutter&) = delete;
  ~socket_cutter() { set(-1); }
  /// Watches socket `fd` (-1: none) through a duplicate of its own, so rabbitmq-c may close
  /// `fd` whenever it likes without the number being reused under cut().
  void set(int fd);
  /// shutdown(2) of the watched socket: every send, recv, poll or connect blocked on it returns
  /// with an error.
  void cut();

 private:
  std::mutex mutex_;
  int dup_ = -1;
};

/// One connection, used by one thread (rabbitmq-c is not thread-safe). Every method throws
/// amqp_failure; after a throw, only destroy the session.
class amqp_session {
 public:
  using clock = std::chrono::steady_clock;

  /// Connects and logs in, opens channel 1 and puts it in confirm mode. Gives up at `deadline`.
  amqp_session(const config::amqp_target& target, clock::time_point deadline,
               socket_cutter& cutter);
  amqp_session(const amqp_session&) = delete;
  amqp_session& operator=(const amqp_session&) = delete;
  /// Drops the connection at once, without the close handshake.
  ~amqp_session();

  /// queue.declare (durable, not exclusive, not auto-delete), once per queue per session.
  void declare(const std::string& queue);
  /// Persistent application/json message to the default exchange, routing key `queue`;
  /// mandatory, so a queue deleted behind our back comes back as a failure, not a silent drop.
  /// Its delivery tag is the number of publishes on this session so far.
  void publish(const std::string& queue, std::string_view body);
  /// Blocks until the broker sent something, `wake_fd` is readable, or `deadline`. True when
  /// there is something for read_confirms().
  bool wait(int wake_fd, clock::time_point deadline);
  /// Handles every frame received so far without blocking: `on_ack(delivery_tag, multiple)`
  /// for each basic.ack; connection.blocked/unblocked update blocked(); basic.nack,
  /// basic.return and a channel or connection close throw.
  void read_confirms(const std::function<void(uint64_t, bool)>& on_ack);
  /// connection.close, waiting at most `patience` for the broker's reply.
  void close(std::chrono::milliseconds patience);
  /// Why the broker stopped accepting publishes (connection.blocked: "low on memory"), or ""
  /// when it accepts them. As of the last read_confirms().
  const std::string& blocked() const { return blocked_; }

 private:
  struct destroy {
    socket_cutter* cutter;
    void operator()(amqp_connection_state_t_* c) const;
  };

  std::unique_ptr<amqp_connection_state_t_, destroy> conn_;
  std::unordered_set<std::string> declared_;
  std::string blocked_;
};

}  // namespace taskmux::reports
