// The HTTP/1.1 server on the event loop (Boost.Beast): accepts, reads requests under limits,
// asks the routes, writes answers, keeps connections alive. No thread of its own.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/address.hpp"
#include "http/routes.hpp"

namespace taskmux::http {

/// What no client may exceed, so none can stall the loop, the tasks or the control socket.
struct limits {
  size_t header_bytes = 16 * 1024;  ///< request line and headers; more: 431, closed
  size_t body_bytes = 1024;         ///< no route takes a body; more: 413, closed
  /// From the first byte of a request to its end: a client that trickles it (Slowloris) is
  /// closed, without an answer, when this passes.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  /// Waiting for the first byte of a request, after the connection or the previous answer.
  /// Longer than a Kubernetes probe's period (10 s), short enough that abandoned connections
  /// do not hold places under the cap for long.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(15)};
  /// Writing one answer to a client that does not read it.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};
  /// Open connections at most (further ones are closed as soon as they are accepted). 0:
  /// 1,024, or a quarter of the descriptor limit when that is less.
  size_t max_connections = 0;
};

class server {
 public:
  /// Answers one parsed request; loop thread.
  using handler = std::function<response(const request&)>;
  /// taskmux's own log lines ("warn", "info"); loop thread.
  using logger = std::function<void(std::string_view level, std::string text)>;

  server(boost::asio::io_context& ctx, handler h, logger log, limits l = {});
  /// Stops accepting. Connections still open end with the loop (their sessions hold what they use).
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds `where` (resolving a host name once, here) and starts accepting. Returns an error
  /// message naming the address ("unable to listen for HTTP on 127.0.0.1:8080: Address already
  /// in use"), empty on success.
  std::string listen(const config::host_port& where);
  struct state;  ///< what sessions share with the server; outlives it while sessions live

 private:
  void accept();
  void on_accept_failed(const boost::system::error_code& ec);

  boost::asio::io_context& ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  std::chrono::milliseconds backoff_{0};  ///< 0: the last accept succeeded
  unsigned failures_ = 0;                 ///< in a row, for the line that says it is over
  std::shared_ptr<state> state_;
};

}  // namespace taskmux::http
