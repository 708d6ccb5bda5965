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
#include <array>
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

namespace {

/// Connects to `socket`, checks who serves it, and sends `request`; `result.error` says why not.
bool send(local::socket& s, const std::filesystem::path& socket, const boost::json::object& request,
          call_result& result) {
  boost::system::error_code ec;
  s.connect(local::endpoint(socket.string()), ec);
  if (ec) {
    result.error = "unable to reach taskmux at " + socket.string() + ": " + ec.message();
    return false;
  }
  result.error = check_server(s.native_handle(), socket);
  if (!result.error.empty()) return false;
  asio::write(s, asio::buffer(boost::json::serialize(request) + "\n"), ec);
  return true;  // a failed write shows as a missing reply
}

/// One reply line from `buf`/`s` into `result`; false at the end or on a malformed line.
bool read_reply(local::socket& s, asio::streambuf& buf, const std::filesystem::path& socket, call_result& result) {
  boost::system::error_code ec;
  asio::read_until(s, buf, '\n', ec);
  if (ec) return false;
  std::istream in(&buf);
  std::string line;
  std::getline(in, line);
  boost::system::error_code perr;
  auto v = boost::json::parse(line, perr);
  if (perr || !v.is_object()) {
    result.error = "malformed reply from taskmux at " + socket.string();
    result.reply.reset();
    return false;
  }
  result.reply = std::move(v.as_object());
  return true;
}

}  // namespace

call_result call(const std::filesystem::path& socket, const boost::json::object& request,
                 const std::function<void(const boost::json::object&)>& on_line) {
  call_result result;
  asio::io_context ctx;
  local::socket s(ctx);
  if (!send(s, socket, request, result)) return result;
  asio::streambuf buf;
  while (read_reply(s, buf, socket, result))
    if (on_line) on_line(*result.reply);
  if (!result.reply && result.error.empty())
    result.error = "taskmux at " + socket.string() + " closed the connection without a reply";
  return result;
}

call_result stream(const std::filesystem::path& socket, const boost::json::object& request,
                   const std::function<bool(std::string_view bytes)>& on_bytes) {
  call_result result;
  asio::io_context ctx;
  local::socket s(ctx);
  if (!send(s, socket, request, result)) return result;
  asio::streambuf buf;
  if (!read_reply(s, buf, socket, result)) {
    if (result.error.empty())
      result.error = "taskmux at " + socket.string() + " closed the connection without a reply";
    return result;
  }
  // What came with the reply line, then the rest as it comes.
  std::string rest(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
  if (!rest.empty() && !on_bytes(rest)) return result;
  std::array<char, 64 * 1024> chunk;
  boost::system::error_code ec;
  for (;;) {
    size_t n = s.read_some(asio::buffer(chunk), ec);
    if (ec) break;
    if (!on_bytes(std::string_view(chunk.data(), n))) break;
  }
  return result;
}

}  // namespace taskmux::control
