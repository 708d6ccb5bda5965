#include "logs/output.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace taskmux::logs {

output::output(int fd, size_t capacity) : fd_(fd), capacity_(capacity), thread_([this] { run(); }) {}

output::~output() {
  flush();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool output::append(std::string_view text, size_t lines) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() + text.size() > capacity_) {
      dropped_ += lines;
      unannounced_ += lines;
      return false;
    }
    wake = pending_.empty() && !writing_;
    pending_.append(text);
  }
  if (wake) wake_.notify_one();
  return true;
}

void output::flush(int timeout_ms) {
  std::unique_lock lock(mutex_);
  drained_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                    [this] { return pending_.empty() && !writing_; });
}

uint64_t output::dropped_lines() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void output::run() {
  std::string batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty() && stopping_) return;
    if (unannounced_) {
      pending_ += "taskmux | " + std::to_string(unannounced_) +
                  " lines of task output dropped: taskmux's output is read too slowly\n";
      unannounced_ = 0;
    }
    batch.swap(pending_);
    writing_ = true;
    lock.unlock();
    size_t done = 0;
    while (done < batch.size()) {
      ssize_t n = ::write(fd_, batch.data() + done, batch.size() - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
      } else if (n < 0 && errno == EAGAIN) {
        pollfd p{fd_, POLLOUT, 0};
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
    writing_ = false;
    if (pending_.empty()) drained_.notify_all();
  }
}

}  // namespace taskmux::logs
