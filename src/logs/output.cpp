#include "logs/output.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <string>

namespace taskmux::logs {

struct output::state {
  int fd;
  line_format notices;
  size_t capacity;
  std::mutex mutex;
  std::condition_variable wake, drained;
  std::string pending;
  uint64_t dropped = 0;      ///< total since start
  uint64_t unannounced = 0;  ///< dropped since the last notice
  uint64_t written = 0;      ///< bytes written so far: progress, for close()
  bool writing = false;
  bool stopping = false;

  bool is_drained() const { return pending.empty() && !writing; }
};

output::output(int fd, line_format notices, size_t capacity)
    : state_(std::make_shared<state>()) {
  state_->fd = fd;
  state_->notices = notices;
  state_->capacity = capacity;
  thread_ = std::thread(run, state_);
}

output::~output() {
  if (thread_.joinable()) close(clock::now() + default_stall);
}

bool output::append(std::string_view text, size_t lines) {
  auto& s = *state_;
  bool wake = false;
  {
    std::lock_guard lock(s.mutex);
    if (s.stopping || s.pending.size() + text.size() > s.capacity) {
      s.dropped += lines;
      s.unannounced += lines;
      return false;
    }
    wake = s.pending.empty() && !s.writing;
    s.pending.append(text);
  }
  if (wake) s.wake.notify_one();
  return true;
}

void output::flush(int timeout_ms) {
  auto& s = *state_;
  std::unique_lock lock(s.mutex);
  s.drained.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&s] { return s.is_drained(); });
}

bool output::close(clock::time_point deadline, clock::duration stall) {
  if (!thread_.joinable()) return false;
  auto& s = *state_;
  bool done;
  {
    std::unique_lock lock(s.mutex);
    auto last_written = s.written;
    auto last_progress = clock::now();
    for (;;) {
      auto give_up = std::min(deadline, last_progress + stall);
      if (s.drained.wait_until(lock, give_up, [&s] { return s.is_drained(); })) break;
      if (s.written == last_written || clock::now() >= deadline) break;
      last_written = s.written;
      last_progress = clock::now();
    }
    done = s.is_drained();
    s.stopping = true;
  }
  s.wake.notify_one();
  // A writer blocked in write() on a reader that never reads would hold exit forever.
  if (done) thread_.join();
  else thread_.detach();
  return done;
}

uint64_t output::dropped_lines() const {
  std::lock_guard lock(state_->mutex);
  return state_->dropped;
}

void output::run(std::shared_ptr<state> sp) {
  auto& s = *sp;
  // Signals are the loop's (asio::signal_set).
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  std::string batch;
  std::unique_lock lock(s.mutex);
  for (;;) {
    s.wake.wait(lock, [&s] { return s.stopping || !s.pending.empty(); });
    if (s.stopping) return;  // close() saw it drained, or gave up on the reader
    if (s.unannounced) {
      s.notices.own_line(s.pending, "warn",
                         std::to_string(s.unannounced) +
                             " lines of task output dropped: taskmux's output is read too slowly");
      s.unannounced = 0;
    }
    batch.swap(s.pending);
    s.writing = true;
    lock.unlock();
    size_t done = 0;
    while (done < batch.size()) {
      ssize_t n = ::write(s.fd, batch.data() + done, batch.size() - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
        std::lock_guard progress(s.mutex);
        s.written += static_cast<uint64_t>(n);
      } else if (n < 0 && errno == EAGAIN) {
        pollfd p{s.fd, POLLOUT, 0};
        ::poll(&p, 1, 1000);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break;  // EPIPE, EBADF...: the reader is gone; what is left is lost
      }
    }
    batch.clear();
    // A burst may have grown the buffer to `capacity`; give the memory back once it is written.
    if (batch.capacity() > (1 << 20)) batch.shrink_to_fit();
    lock.lock();
    s.writing = false;
    if (s.pending.empty()) s.drained.notify_all();
  }
}

}  // namespace taskmux::logs
