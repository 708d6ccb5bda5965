#include "http/server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace taskmux::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// As the control socket: a failed accept (EMFILE) leaves the connection in the backlog and the
// socket readable, so accepting again at once would spin on a core.
constexpr std::chrono::milliseconds first_retry{10};
constexpr std::chrono::milliseconds last_retry{1000};

constexpr size_t default_max_connections = 1024;
/// The first read of a request (an idle connection holds this much, not a whole request's worth).
constexpr size_t first_read = 512;

/// Open connections at most: 1,024, or a quarter of the descriptor limit when that is less, so
/// that clients can never take the descriptors that tasks (pipes) and the control socket need.
size_t connection_cap(size_t asked) {
  if (asked > 0) return asked;
  struct rlimit lim;
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
    return default_max_connections;
  return std::clamp<size_t>(lim.rlim_cur / 4, 16, default_max_connections);
}

bool is_parse_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

}  // namespace

struct server::state {
  handler handle;  ///< empty once the server is gone: sessions then close instead of answering
  logger log;
  limits lim;
  size_t open = 0;     ///< sessions alive
  size_t refused = 0;  ///< connections closed at once since the cap was last hit
};

namespace {

/// One connection: requests read under the limits, answered in order, kept alive when the
/// client asks for it.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket s, std::shared_ptr<server::state> st)
      : stream_(std::move(s)),
        state_(std::move(st)),
        buffer_(2 * state_->lim.header_bytes + state_->lim.body_bytes) {
    ++state_->open;
  }
  ~session() { --state_->open; }

  void start() { wait_for_request(); }

 private:
  /// The idle wait: for the first byte of the next request (or one already read after the last).
  void wait_for_request() {
    if (buffer_.size() > 0) return read_request();
    stream_.expires_after(state_->lim.idle_timeout);
    stream_.async_read_some(buffer_.prepare(first_read),
                            [self = shared_from_this()](error_code ec, size_t n) {
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->read_request();
                            });
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->lim.header_bytes));
    parser_->body_limit(state_->lim.body_bytes);
    stream_.expires_after(state_->lim.request_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](error_code ec, size_t) { self->on_request(ec); });
  }

  void on_request(const error_code& ec) {
    if (ec == bhttp::error::header_limit)
      return answer_and_close(431, "request header fields too large\n");
    if (ec == bhttp::error::body_limit)
      return answer_and_close(413, "request body too large (no path takes one)\n");
    if (is_parse_error(ec)) return answer_and_close(400, "bad request: " + ec.message() + "\n");
    if (ec || !state_->handle)
      return close();  // closed, reset, or timed out (Slowloris): no answer
    auto& req = parser_->get();
    request r{req.method_string(), req.target(), req[bhttp::field::authorization],
              req[bhttp::field::cookie]};
    response res;
    try {
      res = state_->handle(r);
    } catch (const std::exception& e) {
      // Not the target: it may hold ?token=.
      state_->log("warn",
                  "unable to answer an HTTP " + std::string(r.method) + " request: " + e.what());
      res = {500, "text/plain; charset=utf-8", "internal error\n", {}};
    }
    write(std::move(res), req.version(), req.keep_alive(), req.method() == bhttp::verb::head);
  }

  void write(response r, unsigned version, bool keep_alive, bool head) {
    auto& res = out_.emplace(static_cast<bhttp::status>(r.status), version);
    res.set(bhttp::field::content_type, r.content_type);
    res.set(bhttp::field::cache_control, "no-store");
    for (auto& [name, value] : r.headers)
      res.set(name, value);
    res.keep_alive(keep_alive);
    res.body() = std::move(r.body);
    res.prepare_payload();
    if (head) {
      auto length = res.body().size();
      res.body().clear();
      res.content_length(length);
    }
    stream_.expires_after(state_->lim.write_timeout);
    bhttp::async_write(stream_, res,
                       [self = shared_from_this(), keep_alive](error_code ec, size_t) {
                         // An idle connection holds neither its last request nor its answer.
                         self->out_.reset();
                         self->parser_.reset();
                         if (ec || !keep_alive) return self->close();
                         self->wait_for_request();
                       });
  }

  void answer_and_close(unsigned status, std::string why) {
    write({status, "text/plain; charset=utf-8", std::move(why), {}}, 11, false, false);
  }

  void close() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<server::state> state_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> out_;
};

}  // namespace

server::server(asio::io_context& ctx, handler h, logger log, limits l)
    : ctx_(ctx), acceptor_(ctx), retry_(ctx), state_(std::make_shared<state>()) {
  state_->handle = std::move(h);
  state_->log = std::move(log);
  state_->lim = l;
}

server::~server() {
  state_->handle = nullptr;
  error_code ignored;
  acceptor_.close(ignored);
}

std::string server::listen(const config::host_port& where) {
  auto failed = [&](const std::string& why) {
    return "unable to listen for HTTP on " + config::to_string(where) + ": " + why;
  };
  error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(where.host, ec);
  if (!ec) {
    endpoint = {address, where.port};
  } else {
    // A name (e.g. "localhost"): resolved once, at start, the first address taken.
    tcp::resolver resolver(ctx_);
    auto found = resolver.resolve(where.host, std::to_string(where.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec) return failed(ec.message());
    if (found.empty()) return failed("the name has no address");
    endpoint = *found.begin();
  }
  acceptor_.open(endpoint.protocol(), ec);
  // Restarting taskmux must not wait for the last run's connections in TIME_WAIT; a port that
  // another socket listens on is still refused.
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
    return failed(ec.message());
  }
  state_->lim.max_connections = connection_cap(state_->lim.max_connections);
  accept();
  return {};
}

void server::accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) return on_accept_failed(ec);
    if (failures_ > 0)
      state_->log("info", "accepting HTTP connections again (after " + std::to_string(failures_) +
                              " failed attempts)");
    backoff_ = {};
    failures_ = 0;
    // At the cap, accept and close at once rather than pause accepting: the client learns at
    // once instead of waiting in the backlog for its own timeout, and nothing stays readable.
    if (state_->open >= state_->lim.max_connections) {
      if (state_->refused++ == 0)
        state_->log("warn", "refusing HTTP connections: " + std::to_string(state_->open) +
                                " open, the most allowed; each new one is closed at once");
      error_code ignored;
      s.close(ignored);
      return accept();
    }
    if (state_->refused > 0) {
      state_->log("info", "accepting HTTP connections again (" + std::to_string(state_->refused) +
                              " refused)");
      state_->refused = 0;
    }
    error_code ignored;
    s.set_option(tcp::no_delay(true), ignored);
    std::make_shared<session>(std::move(s), state_)->start();
    accept();
  });
}

void server::on_accept_failed(const error_code& ec) {
  if (failures_++ == 0)
    state_->log("warn", "unable to accept an HTTP connection: " + ec.message() +
                            "; retrying every " + std::to_string(last_retry.count()) +
                            "ms at most until it works");
  backoff_ = backoff_.count() == 0 ? first_retry : std::min(backoff_ * 2, last_retry);
  retry_.expires_after(backoff_);
  retry_.async_wait([this](error_code ec) {
    if (!ec) accept();
  });
}

}  // namespace taskmux::http
