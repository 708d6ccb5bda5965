// The whole report path of one `taskmux run`, put together from the config:
// reporter (loop thread) -> store_writer (its thread) -> the embedded queues, or the outbox
// that the AMQP publisher (its thread) empties into RabbitMQ.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "config/model.hpp"
#include "reports/reporter.hpp"
#include "reports/store_writer.hpp"

namespace taskmux::reports {


class amqp_publisher;

class pipeline {
 public:
  using log_fn = store_writer::log_fn;

  /// Starts the threads; the store under state_dir is opened on the writer's, so this never
  /// waits for the disk, and a store that cannot be opened is logged and retried, never fatal.
  /// `log` may be called from any of the threads.
  pipeline(const config::config& cfg, log_fn log);
  ~pipeline();

  /// Subscribes a reporter to `s`'s events.
  void attach(supervisor::supervisor& s);
  /// After the supervisor's run(): the last snapshot, everything committed, and (amqp) up to
  /// `drain` spent delivering what waits. What is not delivered stays on disk.
  void finish(std::chrono::milliseconds drain);

  /// What the report path has done so far (for /metrics).
  struct counters {
    uint64_t committed = 0;  ///< written to the store: the embedded queues, or the AMQP outbox
    std::optional<uint64_t> published;  ///< amqp only: confirmed by the broker
    uint64_t waiting = 0;  ///< not committed yet, plus (amqp) outbox rows not confirmed yet
    uint64_t dropped = 0;  ///< lost to the memory bound while the store could not be written
  };
  /// Loop thread; takes the threads' locks for a copy, never waits for the disk or the broker.
  counters counts();

 private:
  std::unique_ptr<amqp_publisher> publisher_;  ///< amqp only; destroyed after the writer
  std::unique_ptr<store_writer> writer_;
  std::unique_ptr<reporter> reporter_;
};

}  // namespace taskmux::reports
