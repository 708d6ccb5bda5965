// taskmux's own stdout or stderr, written by a thread of its own so that a slow reader (a
// paused terminal, a full pipe) never blocks the event loop. Bounded: what does not fit is
// dropped, counted, and announced in the stream once it flows again.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <thread>

#include "logs/format.hpp"

namespace taskmux::logs {

class output {
 public:
  using clock = std::chrono::steady_clock;

  /// Writes to `fd` (not owned). `notices`: how its own "N lines ... dropped" line looks (one
  /// JSON object in json format). `capacity` bounds the bytes waiting to be written.
  explicit output(int fd, line_format notices = {}, size_t capacity = 8 << 20);
  ~output();  ///< close() with the default bounds, unless it was closed already
  output(const output&) = delete;
  output& operator=(const output&) = delete;

  /// Appends whole lines (`lines` lines in `text`); drops them all if they do not fit.
  /// Any thread; never blocks on the fd.
  bool append(std::string_view text, size_t lines = 1);

  /// Waits (at most `timeout_ms`) until everything appended so far was written.
  void flush(int timeout_ms = 2000);

  /// The last write: waits until everything appended was written, but not past `deadline`
  /// and not while the reader takes nothing for `stall`. Then the writer thread ends; one still
  /// blocked in write() (a reader that never reads) is let go, so exit never waits on it.
  /// Returns true when everything was written. Appends after close are dropped and counted.
  bool close(clock::time_point deadline, clock::duration stall = default_stall);

  uint64_t dropped_lines() const;

  /// A reader that took nothing for this long is not waited for at exit.
  static constexpr std::chrono::seconds default_stall{2};

 private:
  struct state;
  static void run(std::shared_ptr<state> s);

  std::shared_ptr<state> state_;  ///< shared with the thread, which may outlive this object
  std::thread thread_;
};

}  // namespace taskmux::logs
