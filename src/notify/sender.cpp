#include "notify/sender.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "process/unique_fd.hpp"

namespace taskmux::notify {
namespace {


std::string error_text(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

std::string send(std::string_view socket, std::string_view payload, std::chrono::milliseconds receipt) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.empty()) return "NOTIFY_SOCKET is not set (is this running under taskmux?)";
  if (socket.size() >= sizeof addr.sun_path) return "NOTIFY_SOCKET is too long";
  if (socket[0] != '/' && socket[0] != '@') return "NOTIFY_SOCKET must be an absolute path or @abstract";
  socket.copy(addr.sun_path, socket.size());
  socklen_t len = sizeof(sa_family_t) + socket.size();
  if (socket[0] == '@') addr.sun_path[0] = '\0';
  else ++len;  // the path's NUL

  process::unique_fd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return error_text("socket");
  process::unique_fd pipe_read, pipe_write;
  iovec iov{const_cast<char*>(payload.data()), payload.size()};
  msghdr msg{};
  msg.msg_name = &addr;
  msg.msg_namelen = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (receipt.count() > 0) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return error_text("pipe");
    pipe_read.reset(p[0]);
    pipe_write.reset(p[1]);
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    auto* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    int passed = pipe_write.get();
    std::memcpy(CMSG_DATA(c), &passed, sizeof(int));
  }
  if (::sendmsg(sock.get(), &msg, MSG_NOSIGNAL) < 0) return error_text("unable to send to " + std::string(socket));
  if (receipt.count() == 0) return "";
  pipe_write.reset();
  // The receiver's copy is the last write end: its close is our POLLHUP.
  pollfd p{pipe_read.get(), POLLIN, 0};
  int r;
  do r = ::poll(&p, 1, static_cast<int>(receipt.count()));
  while (r < 0 && errno == EINTR);
  if (r == 0) return "sent, but the receiver did not confirm within " + std::to_string(receipt.count()) + " ms";
  return "";
}

}  // namespace taskmux::notify
