#include "control/server.hpp"

#include <sys/stat.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>

#include "control/protocol.hpp"

namespace taskmux::control {
namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

// A failed accept (EMFILE when taskmux's descriptor table is full) leaves the connection in
// the backlog and the socket readable: accepting again at once would spin on a core.
constexpr std::chrono::milliseconds first_retry{10};
constexpr std::chrono::milliseconds last_retry{1000};

/// One connection: read a line, answer, close.
class session : public std::enable_shared_from_this<session> {
 public:
  session(local::socket s, const server::handler& h) : socket_(std::move(s)), handler_(h), buf_(max_request) {}

  void start() {
    asio::async_read_until(socket_, buf_, '\n', [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      self->on_request(ec, n);
    });
  }

 private:
  void on_request(boost::system::error_code ec, size_t n) {
    boost::json::object reply;
    if (ec) {
      if (ec == asio::error::not_found) reply = error("request too long", 2);
      else return;
    } else {
      std::string line(asio::buffers_begin(buf_.data()), asio::buffers_begin(buf_.data()) + n);
      boost::system::error_code perr;
      auto v = boost::json::parse(line, perr);
      if (perr || !v.is_object()) reply = error("malformed request: expected one JSON object per line", 2);
      else reply = handler_(v.as_object());
    }
    out_ = boost::json::serialize(reply) + "\n";
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this()](boost::system::error_code, size_t) {
      boost::system::error_code ignored;
      self->socket_.shutdown(local::socket::shutdown_both, ignored);
    });
  }

  local::socket socket_;
  const server::handler& handler_;
  asio::streambuf buf_;
  std::string out_;
};

}  // namespace

server::~server() {
  if (!path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
}

std::string server::listen(const std::filesystem::path& path) {
  if (path.string().size() >= sizeof(sockaddr_un::sun_path))
    return "unable to listen on " + path.string() + ": path longer than " +
           std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes (set --socket or a shorter state_dir)";
  boost::system::error_code ec;
  if (std::filesystem::exists(path)) {
    local::socket probe(acceptor_.get_executor());
    probe.connect(local::endpoint(path.string()), ec);
    if (!ec) return "unable to listen on " + path.string() + ": another taskmux is running there";
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  // Under taskmux's umask (077) the socket is born 0700: nobody else can connect before the
  // chmod. (No umask of its own here: the umask is the whole process's, threads included.)
  acceptor_.open(local(), ec);
  if (!ec) acceptor_.bind(local::endpoint(path.string()), ec);
  if (!ec && ::chmod(path.c_str(), 0600) != 0) ec.assign(errno, boost::system::system_category());
  if (!ec) acceptor_.listen(64, ec);
  if (ec) return "unable to listen on " + path.string() + ": " + ec.message();
  path_ = path;
  accept();
  return {};
}

void server::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, local::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) return on_accept_failed(ec);
    if (failures_ > 0)
      log_("info", "accepting control connections again (after " + std::to_string(failures_) +
                       " failed attempts)");
    backoff_ = {};
    failures_ = 0;
    std::make_shared<session>(std::move(s), handler_)->start();
    accept();
  });
}

void server::on_accept_failed(const boost::system::error_code& ec) {
  if (failures_++ == 0)
    log_("warn", "unable to accept a control connection: " + ec.message() + "; retrying every " +
                     std::to_string(last_retry.count()) + "ms at most until it works");
  backoff_ = backoff_.count() == 0 ? first_retry : std::min(backoff_ * 2, last_retry);
  retry_.expires_after(backoff_);
  retry_.async_wait([this](boost::system::error_code ec) {
    if (!ec) accept();
  });
}

}  // namespace taskmux::control
