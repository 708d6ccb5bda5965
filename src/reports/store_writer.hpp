// Commits reports to the store on its own thread, so the event loop never waits for a disk.
// Whatever is posted while a commit runs, or within commit_gap after it, goes into the next
// one: under load, batches grow and every batch costs one fsync. A store that cannot be
// opened or written (disk full, permissions) never stops supervision: reports wait in
// bounded memory, the overflow is counted, and writing resumes when the disk allows.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "reports/store.hpp"

namespace taskmux::reports {

class store_writer {
 public:
  /// The least time between the end of one commit and the start of the next.
  static constexpr std::chrono::milliseconds commit_gap{2};
  /// While the store cannot be written, at most this much waits in memory (about 11,000
  /// reports); newer reports are dropped and counted per queue. A working disk is not held to
  /// it: there, batches grow with the load and the backlog drains at every commit.
  static constexpr size_t max_waiting_bytes = 4 << 20;
  /// After a failure, the backlog goes in transactions of at most this many reports, so a
  /// disk with a little room takes what fits instead of all or nothing.
  static constexpr size_t chunk_after_failure = 256;

  /// Where batches go: the embedded queues, or the AMQP outbox.
  enum class target { queues, outbox };
  /// Called from any of the writer's threads; the callee makes it thread-safe.
  using log_fn = std::function<void(std::string_view level, std::string text)>;

  /// Starts the writer thread, which opens `file` at once: the caller never waits for the
  /// disk (taskmux starts its tasks meanwhile). Until the store is open, reports wait in memory
  /// under the same bound as while it fails; a store that cannot be opened is logged and
  /// retried. `committed` runs on the writer thread after every commit.
  store_writer(std::filesystem::path file, target t, int retain, log_fn log, std::function<void()> committed = {});
  ~store_writer();
  store_writer(const store_writer&) = delete;
  store_writer& operator=(const store_writer&) = delete;

  /// Any thread; never waits for the disk.
  void post(outgoing m);
  /// Commits everything posted so far, then ends the thread. Retries a failing disk for up to
  /// `patience` before giving up (and saying how many reports were lost).
  void stop(std::chrono::milliseconds patience = std::chrono::seconds(5));

  struct stats {
    uint64_t committed = 0;
    uint64_t batches = 0;  ///< transactions committed
    uint64_t dropped = 0;  ///< reports that met a full memory bound while the store failed
    size_t pending = 0;
    double slowest_commit_ms = 0;  ///< one transaction, fsync included
  };
  stats snapshot();

 private:
  void loop();
  /// The writer thread's first act; says so when the store cannot be opened.
  void open_at_start();
  /// Opens the store for writing; throws store_error.
  void open();
  /// Writes batch[done..] (in chunks while recovering from a failure), advancing `done` past
  /// every committed part; opens the store first when needed. Returns the error, or "".
  std::string write(const std::vector<outgoing>& batch, size_t& done, bool in_chunks);
  /// Adds the reports dropped so far to their queues' DROPPED counts, and says so once.
  std::string record_drops();
  /// Checkpoints the WAL from a connection of its own, so commits never wait for it.
  void checkpoints();

  std::filesystem::path file_;
  target target_;
  int retain_;
  log_fn log_;
  std::function<void()> committed_;
  std::optional<store> store_;  ///< the writer thread's; empty while the file cannot be opened
  std::string last_error_;      ///< the writer thread's: said once, until writing works again

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<outgoing> pending_;
  size_t waiting_bytes_ = 0;  ///< pending_ and the batch being written
  /// Not open yet, or the last open or commit failed: waiting_bytes_ is bounded.
  bool failing_ = true;
  std::map<std::string, int64_t> dropped_;  ///< per queue, not yet counted in the store
  bool stopping_ = false;
  bool idle_ = false;  ///< the writer waits for work: post() has to wake it
  std::chrono::steady_clock::time_point last_commit_{};
  std::chrono::steady_clock::time_point give_up_at_{};
  stats stats_;
  bool uncheckpointed_ = false;  ///< commits since the last checkpoint
  std::condition_variable checkpoint_wake_;
  std::thread thread_;
  std::thread checkpointer_;
};

}  // namespace taskmux::reports
