// The control socket (unix stream, mode 0600) on the event loop: one request per connection.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/json/object.hpp>
#include <filesystem>
#include <functional>
#include <string>

namespace taskmux::control {

class server {
 public:
  /// Answers one request; runs on the loop thread.
  using handler = std::function<boost::json::object(const boost::json::object& request)>;

  server(boost::asio::io_context& ctx, handler h) : acceptor_(ctx), handler_(std::move(h)) {}
  ~server();

  /// Binds `path` (mode 0600) and starts accepting. Replaces a stale socket; refuses when a
  /// live supervisor answers there. Returns an error message, empty on success.
  std::string listen(const std::filesystem::path& path);

 private:
  void accept();

  boost::asio::local::stream_protocol::acceptor acceptor_;
  handler handler_;
  std::filesystem::path path_;
};

}  // namespace taskmux::control
