// The control socket (unix stream, mode 0600) on the event loop: one request per connection,
// answered once or streamed (control/responder.hpp).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "control/responder.hpp"

namespace taskmux::control {

class server {
 public:
  /// Hands one request to its command, which answers through the responder; loop thread.
  using dispatch_fn = std::function<void(const boost::json::object& request, std::shared_ptr<responder>)>;
  /// taskmux's own log lines ("warn", "info"); runs on the loop thread.
  using logger = std::function<void(std::string_view level, std::string text)>;

  server(boost::asio::io_context& ctx, dispatch_fn d, logger log)
      : acceptor_(ctx), retry_(ctx), dispatch_(std::move(d)), log_(std::move(log)) {}
  ~server();

  /// Binds `path` (mode 0600) and starts accepting. Replaces a stale socket; refuses when a
  /// live supervisor answers there. Returns an error message, empty on success. Call it under
  /// taskmux's umask of 077 (process::restrict_umask).
  std::string listen(const std::filesystem::path& path);

 private:
  void accept();
  void on_accept_failed(const boost::system::error_code& ec);

  boost::asio::local::stream_protocol::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  std::chrono::milliseconds backoff_{0};  ///< 0: the last accept succeeded
  unsigned failures_ = 0;                 ///< in a row, for the line that says it is over
  dispatch_fn dispatch_;
  logger log_;
  std::filesystem::path path_;
};

}  // namespace taskmux::control
