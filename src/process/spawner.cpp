#include "process/spawner.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace taskmux::process {
namespace {

/// Closes a descriptor of the spawner's own table. A raw syscall: ThreadSanitizer keeps one
/// descriptor table per process and would take this for a race with the loop's descriptor of
/// the same number (it cannot see unshare(CLONE_FILES)).
void close_own(int fd) {
  if (fd >= 0) ::syscall(SYS_close, fd);
}

/// A pidfd of taskmux that can fetch descriptors from taskmux's main table, or -1 with `why`.
int open_fetching_pidfd(std::string& why) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (pidfd < 0) {
    why = std::string("pidfd_open: ") + std::strerror(errno);
    return -1;
  }
  int probe = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, pidfd, 0));
  if (probe < 0) {
    why = std::string("pidfd_getfd: ") + std::strerror(errno);
    ::close(pidfd);
    return -1;
  }
  ::close(probe);
  return pidfd;
}

int make_eventfd() {
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) throw std::runtime_error(std::string("spawner: eventfd: ") + std::strerror(errno));
  return fd;
}

}  // namespace

spawner::spawner(boost::asio::io_context& loop, table t) : finished_signal_(loop, make_eventfd()) {
  // Opened here, in the shared table, and closed here once the thread has its own copy.
  int pidfd = t == table::own ? open_fetching_pidfd(shared_reason_) : -1;
  thread_ = std::thread([this, pidfd] { run(pidfd); });
  {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return started_; });
  }
  if (pidfd >= 0) ::close(pidfd);
  arm();
}

spawner::~spawner() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void spawner::submit(const spawn_request& req, done_fn done) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back({req, std::move(done)});
    wake = idle_;
  }
  if (wake) wake_.notify_all();
}

void spawner::arm() {
  finished_signal_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
    if (ec) return;
    uint64_t count;
    while (::read(finished_signal_.native_handle(), &count, sizeof count) > 0) {
    }
    deliver();
    arm();
  });
}

void spawner::deliver() {
  std::deque<std::pair<spawn_result, done_fn>> ready;
  {
    std::lock_guard lock(mutex_);
    ready.swap(finished_);
  }
  for (auto& [result, done] : ready) done(std::move(result));
}

void spawner::run(int pidfd) {
  // Signals are the loop's (asio::signal_set); the children inherit this mask and clear it
  // just before exec.
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  int signal_fd = finished_signal_.native_handle();
  bool unshared = pidfd >= 0 && ::unshare(CLONE_FILES) == 0;
  if (pidfd >= 0 && !unshared) shared_reason_ = std::string("unshare: ") + std::strerror(errno);
  if (unshared) {
    // The copy holds everything taskmux had open; this thread keeps the pidfd and the
    // eventfd (under the same number as in the loop's table), and closes the rest.
    unsigned keep[2] = {static_cast<unsigned>(std::min(pidfd, signal_fd)), static_cast<unsigned>(std::max(pidfd, signal_fd))};
    unsigned from = 3;
    for (unsigned k : keep) {
      if (k > from) ::syscall(SYS_close_range, from, k - 1, 0U);
      from = std::max(from, k + 1);
    }
    ::syscall(SYS_close_range, from, ~0U, 0U);
    pidfd_ = pidfd;
    dev_null_ = open_dev_null();
    own_table_ = true;
  }
  std::unique_lock lock(mutex_);
  started_ = true;
  wake_.notify_all();
  for (;;) {
    idle_ = true;
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    idle_ = false;
    if (stopping_) break;
    job j = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    auto result = own_table_ ? spawn_from_own_table(j.req) : spawn(j.req);
    lock.lock();
    bool first = finished_.empty();
    finished_.emplace_back(std::move(result), std::move(j.done));
    if (first) {
      uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(signal_fd, &one, sizeof one);
    }
  }
  if (own_table_) {
    close_own(pidfd_);
    close_own(dev_null_);
  }
}

spawn_result spawner::spawn_from_own_table(spawn_request req) {
  int fetched[3] = {-1, -1, -1};
  int* fds[3] = {&req.stdout_fd, &req.stderr_fd, &req.cgroup_fd};
  spawn_result result;
  for (int i = 0; i < 3; ++i) {
    if (*fds[i] < 0) continue;
    fetched[i] = above_stdio(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd_, *fds[i], 0)));
    if (fetched[i] < 0) {
      result.error = std::string("unable to execute ") + req.argv[0] + ": pidfd_getfd: " + std::strerror(errno);
      break;
    }
    *fds[i] = fetched[i];
  }
  if (result.error.empty()) {
    req.stdin_fd = dev_null_;
    result = spawn(req);
  }
  for (int fd : fetched) close_own(fd);
  return result;
}

}  // namespace taskmux::process
