#include "control/client.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>
#include <istream>

namespace taskmux::control {
namespace asio = boost::asio;
using local = asio::local::stream_protocol;
namespace {

/// Empty when the socket is served by our own uid or root; else why its answers are not
/// trusted (a socket in a directory others may write to could be theirs, with forged rows).
std::string check_server(int fd, const std::filesystem::path& socket) {
  ucred peer{};
  socklen_t size = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0)
    return "unable to check who serves " + socket.string() + ": " + std::strerror(errno);
  uid_t me = ::geteuid();
  if (peer.uid == me || peer.uid == 0) return {};
  return "control socket " + socket.string() + " is served by uid " + std::to_string(peer.uid) +
         ", not by uid " + std::to_string(me) + (me == 0 ? "" : " or root") +
         "; not trusting its answers";
}

}  // namespace

call_result call(const std::filesystem::path& socket, const boost::json::object& request,
                 const std::function<void(const boost::json::object&)>& on_line) {
  call_result result;
  asio::io_context ctx;
  local::socket s(ctx);
  boost::system::error_code ec;
  s.connect(local::endpoint(socket.string()), ec);
  if (ec) {
    result.error = "unable to reach taskmux at " + socket.string() + ": " + ec.message();
    return result;
  }
  if (result.error = check_server(s.native_handle(), socket); !result.error.empty()) return result;
  asio::write(s, asio::buffer(boost::json::serialize(request) + "\n"), ec);
  asio::streambuf buf;
  std::string line;
  for (;;) {
    asio::read_until(s, buf, '\n', ec);
    if (ec) break;
    std::istream in(&buf);
    std::getline(in, line);
    boost::system::error_code perr;
    auto v = boost::json::parse(line, perr);
    if (perr || !v.is_object()) {
      result.error = "malformed reply from taskmux at " + socket.string();
      return result;
    }
    if (on_line) on_line(v.as_object());
    result.reply = std::move(v.as_object());
  }
  if (!result.reply) result.error = "taskmux at " + socket.string() + " closed the connection without a reply";
  return result;
}

}  // namespace taskmux::control
