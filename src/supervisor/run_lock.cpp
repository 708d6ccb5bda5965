#include "supervisor/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "process/unique_fd.hpp"

namespace taskmux::supervisor {

std::unique_ptr<run_lock> run_lock::take(const std::filesystem::path& state_dir, const std::string& run_id,
                                         std::string& previous, std::string& why) {
  auto path = (state_dir / "run.lock").string();
  process::unique_fd owned(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!owned) {
    why = "unable to open " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  if (::flock(owned.get(), LOCK_EX | LOCK_NB) != 0) {
    why = "unable to lock " + path + ": " + (errno == EWOULDBLOCK ? "another taskmux runs on this state_dir" : std::strerror(errno));
    return nullptr;
  }
  int fd = owned.release();
  char buf[64];
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  previous.clear();
  for (ssize_t i = 0; i < n && std::isxdigit(static_cast<unsigned char>(buf[i])); ++i) previous += buf[i];
  std::string line = run_id + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size()))
    why = "unable to write " + path + ": " + std::strerror(errno);  // the lock still holds
  return std::unique_ptr<run_lock>(new run_lock(fd));
}

run_lock::~run_lock() {
  [[maybe_unused]] int ignored = ::ftruncate(fd_, 0);
  ::close(fd_);
}

}  // namespace taskmux::supervisor
