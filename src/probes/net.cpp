// TCP and HTTP probes on Boost.Asio / Beast.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "probes/probe.hpp"

namespace taskmux::probes {
namespace {

namespace asio = boost::asio;
namespace http_ns = boost::beast::http;
using tcp_ns = asio::ip::tcp;

/// Shared by both probes: resolve, connect, a deadline for the whole attempt, and one
/// report. Handlers hold a shared_ptr; the attempt handle only cancels.
class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(asio::io_context& loop, done_fn done) : resolver_(loop), stream_(loop), deadline_(loop), done_(std::move(done)) {}
  virtual ~connection() = default;

  void start(const config::host_port& where, std::chrono::milliseconds timeout) {
    deadline_.expires_after(timeout);
    deadline_.async_wait([self = shared_from_this(), timeout](boost::system::error_code ec) {
      if (!ec) self->finish(false, "timed out after " + std::to_string(timeout.count()) + "ms");
    });
    resolver_.async_resolve(where.host, std::to_string(where.port),
                            tcp_ns::resolver::numeric_service,
                            [self = shared_from_this()](boost::system::error_code ec,
                                                        tcp_ns::resolver::results_type r) {
                              if (ec) return self->finish(false, "cannot resolve: " + ec.message());
                              self->stream_.async_connect(r, [self](boost::system::error_code ec, const tcp_ns::endpoint&) {
                                if (ec) return self->finish(false, ec.message());
                                self->connected();
                              });
                            });
  }

  void cancel() {
    done_ = nullptr;
    stop();
  }

 protected:
  virtual void connected() { finish(true, "connected"); }

  void finish(bool ok, std::string detail) {
    auto done = std::move(done_);
    done_ = nullptr;
    stop();
    if (done) done(ok, std::move(detail));
  }

  tcp_ns::resolver resolver_;
  boost::beast::tcp_stream stream_;

 private:
  void stop() {
    deadline_.cancel();
    resolver_.cancel();
    boost::system::error_code ignored;
    stream_.socket().close(ignored);
  }

  asio::steady_timer deadline_;
  done_fn done_;
};

class http_get final : public connection {
 public:
  http_get(asio::io_context& loop, const config::http_url& url, done_fn done)
      : connection(loop, std::move(done)) {
    request_.method(http_ns::verb::get);
    request_.target(url.target);
    request_.version(11);
    request_.set(http_ns::field::host, config::to_string(url.where));  // "[::1]:8000" for IPv6
    request_.set(http_ns::field::user_agent, "taskmux-probe");
    request_.set(http_ns::field::connection, "close");
    parser_.body_limit(64 * 1024);
  }

 private:
  void connected() override {
    auto self = std::static_pointer_cast<http_get>(shared_from_this());
    http_ns::async_write(stream_, request_, [self](boost::system::error_code ec, size_t) {
      if (ec) return self->finish(false, "sending the request: " + ec.message());
      // Only the status matters: read the header, not the body.
      http_ns::async_read_header(self->stream_, self->buffer_, self->parser_, [self](boost::system::error_code ec, size_t) {
        if (ec) return self->finish(false, "reading the response: " + ec.message());
        unsigned status = self->parser_.get().result_int();
        self->finish(status >= 200 && status < 400, "HTTP " + std::to_string(status));
      });
    });
  }

  http_ns::request<http_ns::empty_body> request_;
  boost::beast::flat_buffer buffer_;
  http_ns::response_parser<http_ns::empty_body> parser_;
};

class connection_attempt final : public attempt {
 public:
  explicit connection_attempt(std::shared_ptr<connection> c) : c_(std::move(c)) {}
  ~connection_attempt() override { c_->cancel(); }

 private:
  std::shared_ptr<connection> c_;
};

}  // namespace

std::unique_ptr<attempt> tcp(asio::io_context& loop, const config::host_port& where,
                             std::chrono::milliseconds timeout, done_fn done) {
  auto c = std::make_shared<connection>(loop, std::move(done));
  c->start(where, timeout);
  return std::make_unique<connection_attempt>(c);
}

std::unique_ptr<attempt> http(asio::io_context& loop, const config::http_url& url,
                              std::chrono::milliseconds timeout, done_fn done) {
  auto c = std::make_shared<http_get>(loop, url, std::move(done));
  c->start(url.where, timeout);
  return std::make_unique<connection_attempt>(c);
}

}  // namespace taskmux::probes
