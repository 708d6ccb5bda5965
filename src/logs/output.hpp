// taskmux's own stdout or stderr, written by a thread of its own so that a slow reader (a
// paused terminal, a full pipe) never blocks the event loop. Bounded: what does not fit is
// dropped, counted, and announced in the stream once it flows again.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace taskmux::logs {

class output {
 public:
  /// Writes to `fd` (not owned). `capacity` bounds the bytes waiting to be written.
  explicit output(int fd, size_t capacity = 8 << 20);
  ~output();  ///< flushes what is buffered (bounded by flush_timeout), then stops the thread
  output(const output&) = delete;
  output& operator=(const output&) = delete;

  /// Appends whole lines (`lines` lines in `text`); drops them all if they do not fit.
  /// Any thread; never blocks on the fd.
  bool append(std::string_view text, size_t lines = 1);

  /// Waits (at most `timeout_ms`) until everything appended so far was written.
  void flush(int timeout_ms = 2000);

  uint64_t dropped_lines() const;

 private:
  void run();

  int fd_;
  size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, drained_;
  std::string pending_;
  uint64_t dropped_ = 0;          ///< total since start
  uint64_t unannounced_ = 0;      ///< dropped since the last notice
  bool writing_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace taskmux::logs
