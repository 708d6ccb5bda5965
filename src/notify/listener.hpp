// The receiving end of NOTIFY_SOCKET: one unix datagram socket per task, read on the event
// loop, every datagram handed over with the sender's kernel credentials (SO_PASSCRED), which
// the sender cannot forge (only root can).
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/model.hpp"

namespace taskmux::notify {

/// What socket_directory needs to know of a config's tasks.
struct task_sockets {
  size_t longest_name = 0;  ///< of the task names: the longest socket path
  bool shared = false;      ///< a task runs as another user: its socket is chowned to it
};
task_sockets task_sockets_of(const config::config& c);

/// The directory that holds the task sockets: `<state_dir>/notify`, only taskmux's user may
/// enter it (0700; 0711 when some task runs as another user, whose socket is then chowned to
/// it). Paths too long for a unix socket fall back to a fresh private directory under /tmp.
/// Removed with everything in it when destroyed.
class socket_directory {
 public:
  /// Throws std::system_error naming the directory.
  socket_directory(const std::filesystem::path& state_dir, task_sockets tasks);
  ~socket_directory();
  socket_directory(const socket_directory&) = delete;
  socket_directory& operator=(const socket_directory&) = delete;

  std::filesystem::path socket_for(std::string_view task) const { return dir_ / (std::string(task) + ".sock"); }

  /// Whether the sockets go under `state_dir` (else under /tmp): when some task runs as another
  /// user, state_dir must then let others through (--x).
  static bool fits_under(const std::filesystem::path& state_dir, size_t longest_task_name);

 private:
  std::filesystem::path dir_;
};

class listener {
 public:
  struct datagram {
    pid_t pid = 0;  ///< sender, from the kernel
    uid_t uid = 0;
    std::string_view payload;
    bool truncated = false;  ///< bigger than the buffer: refuse it
  };
  /// Runs on the loop thread. Descriptors that came with the datagram stay open until it
  /// returns (a sender may wait for that, as systemd-notify's BARRIER=1 does), then are closed.
  using handler = std::function<void(const datagram&)>;

  /// Binds `path` (replacing a stale socket file) and starts reading; throws std::system_error.
  listener(boost::asio::io_context& ctx, std::filesystem::path path, handler h);
  ~listener();
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  /// Lets processes running as `uid` send to it (socket owned by them, mode 0600).
  void allow(uid_t uid, gid_t gid);
  const std::filesystem::path& path() const { return path_; }

 private:
  void wait();
  void read_all();

  std::filesystem::path path_;
  handler handler_;
  boost::asio::posix::stream_descriptor socket_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace taskmux::notify
