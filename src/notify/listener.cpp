#include "notify/listener.hpp"

#include <algorithm>

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "notify/datagram.hpp"

namespace taskmux::notify {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

/// At most this many datagrams per wake-up, so one chatty task cannot starve the loop.
constexpr int datagrams_per_wake = 64;

}  // namespace

task_sockets task_sockets_of(const config::config& c) {
  task_sockets out;
  for (auto& t : c.tasks) {
    out.longest_name = std::max(out.longest_name, t.name.size());
    out.shared = out.shared || t.user.has_value();
  }
  return out;
}

bool socket_directory::fits_under(const std::filesystem::path& state_dir,
                                  size_t longest_task_name) {
  // sun_path holds 107 bytes and a NUL; "/<name>.sock" follows the directory.
  return (state_dir / "notify").string().size() + longest_task_name + 6 <
         sizeof(sockaddr_un::sun_path);
}

socket_directory::socket_directory(const std::filesystem::path& state_dir, task_sockets tasks) {
  dir_ = state_dir / "notify";
  if (!fits_under(state_dir, tasks.longest_name)) {
    std::string tmpl = "/tmp/taskmux-notify-XXXXXX";
    if (!::mkdtemp(tmpl.data())) fail("unable to create a notify socket directory under /tmp");
    dir_ = tmpl;
  } else {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);  // sockets of an earlier run
    if (::mkdir(dir_.c_str(), 0700) != 0) fail("unable to create " + dir_.string());
  }
  if (::chmod(dir_.c_str(), tasks.shared ? 0711 : 0700) != 0) fail("unable to chmod " + dir_.string());
}

socket_directory::~socket_directory() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

listener::listener(boost::asio::io_context& ctx, std::filesystem::path path, handler h)
    : path_(std::move(path)), handler_(std::move(h)), socket_(ctx) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.string().size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    fail("notify socket " + path_.string());
  }
  path_.string().copy(addr.sun_path, sizeof addr.sun_path - 1);
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) fail("notify socket");
  socket_.assign(fd);
  int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) fail("SO_PASSCRED");
  ::unlink(path_.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("unable to bind " + path_.string());
  ::chmod(path_.c_str(), 0600);
  wait();
}

listener::~listener() {
  *alive_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);
  ::unlink(path_.c_str());
}

void listener::allow(uid_t uid, gid_t gid) {
  if (::chown(path_.c_str(), uid, gid) != 0) fail("unable to chown " + path_.string());
}

void listener::wait() {
  socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this, alive = alive_](boost::system::error_code ec) {
                       if (ec || !*alive) return;
                       read_all();
                       if (*alive) wait();
                     });
}

void listener::read_all() {
  auto alive = alive_;  // the handler may destroy this listener
  // One byte more than allowed, so MSG_TRUNC tells an oversized datagram from a full one.
  std::array<char, max_datagram + 1> buf;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * 16)> control;
  for (int i = 0; i < datagrams_per_wake; ++i) {
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    ssize_t n = ::recvmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) return;  // EAGAIN: drained (other errors: nothing to do but wait again)
    datagram d;
    d.payload = std::string_view(buf.data(), static_cast<size_t>(n));
    d.truncated = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || static_cast<size_t>(n) > max_datagram;
    std::array<int, 16> fds{};
    size_t fd_count = 0;
    for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SCM_CREDENTIALS) {
        ucred cred;
        std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
        d.pid = cred.pid;
        d.uid = cred.uid;
      } else if (c->cmsg_type == SCM_RIGHTS) {
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t k = 0; k < count && fd_count < fds.size(); ++k)
          std::memcpy(&fds[fd_count++], CMSG_DATA(c) + k * sizeof(int), sizeof(int));
      }
    }
    handler_(d);
    for (size_t k = 0; k < fd_count; ++k) ::close(fds[k]);
    if (!*alive) return;
  }
}

}  // namespace taskmux::notify
