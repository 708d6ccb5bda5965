// Delivers the AMQP outbox to RabbitMQ on a thread of its own: reads the store's outbox in id
// order, publishes with confirms, and removes the rows the broker confirmed. While the broker is
// unreachable the rows wait on disk; after a reconnect everything unconfirmed goes out again,
// oldest first (at least once: readers dedupe on run + seq).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "config/amqp_url.hpp"
#include "reports/amqp_session.hpp"

namespace taskmux::reports {

class amqp_publisher {
 public:
  /// Called on the publisher thread (the callee makes it thread-safe). `level` is "info",
  /// "warn" or "error"; `text` is one line starting with "amqp: " and never holds the password.
  using log_fn = std::function<void(std::string_view level, std::string text)>;
  using clock = std::chrono::steady_clock;

  /// Unconfirmed messages in flight at most; 500 gets ~25k msg/s on loopback (REFERENCE §3).
  static constexpr size_t window = 500;
  /// ... and their bodies' bytes at most (one message may exceed it). Small enough for socket
  /// buffers, so a broker that stops reading (connection.blocked) does not wedge a send.
  static constexpr size_t window_bytes = 1 << 20;

  /// Opens nothing yet: the store (its own SQLite connection) and the broker connection belong
  /// to the thread that start() creates.
  amqp_publisher(config::amqp_target target, std::filesystem::path store_file, log_fn log);
  /// stop(0ms) if still running.
  ~amqp_publisher();
  amqp_publisher(const amqp_publisher&) = delete;
  amqp_publisher& operator=(const amqp_publisher&) = delete;

  /// Starts the thread, with every signal blocked in it (signals belong to the event loop).
  void start();
  /// New outbox rows were committed. Any thread; never blocks (one eventfd write). Idle, the
  /// thread sleeps until then (a safety-net look every 10 minutes).
  void wake();
  /// Delivers what is in the outbox for at most `drain`, then closes the connection and joins;
  /// what is left stays on disk for the next run. Returns about `drain` + 1 s at the latest: a
  /// call stuck inside rabbitmq-c past the drain is cut off by shutting the socket down (only a
  /// slow DNS lookup cannot be cut). Call from one thread.
  void stop(std::chrono::milliseconds drain);

  struct stats {
    bool connected = false;
    uint64_t published = 0;  ///< basic.publish calls, resends after a reconnect included
    uint64_t confirmed = 0;  ///< basic.ack'ed messages
    int64_t pending = 0;     ///< outbox rows not yet confirmed and removed (as last counted)
    std::string last_error;  ///< the latest failure reason ("" before any); kept after recovery
  };
  /// Any thread.
  stats snapshot() const;

 private:
  class worker;
  void run();

  config::amqp_target target_;
  std::filesystem::path store_file_;
  log_fn log_;
  socket_cutter cutter_;
  int wake_fd_ = -1;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable exited_cv_;
  bool stopping_ = false;
  bool exited_ = false;
  clock::time_point stop_at_{};
  stats stats_;

  std::thread thread_;
};

}  // namespace taskmux::reports
