// Commits reports to the store on its own thread, so the event loop never waits for a disk.
// Whatever is posted while a commit runs, or within commit_gap after it, goes into the next
// one: under load, batches grow and every batch costs one fsync.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
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

  /// Where batches go: the embedded queues, or the AMQP outbox.
  enum class target { queues, outbox };
  /// Called from the writer thread; the callee makes it thread-safe.
  using log_fn = std::function<void(std::string_view level, std::string text)>;

  /// Takes an opened store (open it first, on the caller's thread, so a bad state_dir is an
  /// error at start-up). `committed` runs on the writer thread after every commit.
  store_writer(store s, target t, int retain, log_fn log, std::function<void()> committed = {});
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
    uint64_t batches = 0;
    size_t pending = 0;
    double slowest_commit_ms = 0;  ///< one transaction, fsync included
  };
  stats snapshot();

 private:
  void loop();
  /// Checkpoints the WAL from a connection of its own, so commits never wait for it.
  void checkpoints();

  store store_;
  target target_;
  int retain_;
  log_fn log_;
  std::function<void()> committed_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<outgoing> pending_;
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
