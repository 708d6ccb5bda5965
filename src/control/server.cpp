#include "control/server.hpp"

#include <sys/stat.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <array>
#include <memory>
#include <utility>

#include "control/protocol.hpp"

namespace taskmux::control {
namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

// A failed accept (EMFILE when taskmux's descriptor table is full) leaves the connection in
// the backlog and the socket readable: accepting again at once would spin on a core.
constexpr std::chrono::milliseconds first_retry{10};
constexpr std::chrono::milliseconds last_retry{1000};

/// A client gets this long to send its request line: one that connects and never writes
/// does not keep a connection (and a descriptor) forever.
constexpr std::chrono::seconds request_timeout{10};

/// Stream bytes waiting for a slow reader, at most; more are dropped and counted.
constexpr size_t max_pending = 4 * 1024 * 1024;

/// One connection: read a request line, dispatch it, answer (at once, later, or as a stream),
/// close. After the request, the read side only watches for the client going away.
class session final : public responder, public std::enable_shared_from_this<session> {
 public:
  session(local::socket s, const server::dispatch_fn& d)
      : socket_(std::move(s)), timer_(socket_.get_executor()), dispatch_(d), buf_(max_request) {}

  void start() {
    timer_.expires_after(request_timeout);
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->close();
    });
    asio::async_read_until(socket_, buf_, '\n', [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      self->on_request(ec, n);
    });
  }

  // responder
  void answer_text(std::string line) override {
    if (answered_ || closed_) return;
    answered_ = ended_ = true;
    line += '\n';
    send(std::move(line));
  }
  void stream(boost::json::object header) override {
    if (answered_ || closed_) return;
    answered_ = true;
    send(boost::json::serialize(header) + "\n");
  }
  void more(std::string_view bytes) override {
    if (!answered_ || ended_ || closed_) return;
    if (pending_.size() + bytes.size() > max_pending) {
      dropped_ += bytes.size();
      return;
    }
    send(bytes);
  }
  void end() override {
    if (ended_) return;
    ended_ = true;
    if (!writing_) close();
  }
  void on_gone(std::function<void()> gone) override { gone_ = std::move(gone); }
  bool is_gone() const override { return closed_; }

 private:
  void on_request(boost::system::error_code ec, size_t n) {
    timer_.cancel();
    if (ec) {
      if (ec == asio::error::not_found) answer(error("request too long", 2));
      else close();
      return;
    }
    std::string line(asio::buffers_begin(buf_.data()), asio::buffers_begin(buf_.data()) + n);
    buf_.consume(buf_.size());
    watch_for_eof();
    boost::system::error_code perr;
    auto v = boost::json::parse(line, perr);
    if (perr || !v.is_object()) return answer(error("malformed request: expected one JSON object per line", 2));
    dispatch_(v.as_object(), shared_from_this());
  }

  /// Anything the client sends after its request is ignored; its end means it is gone.
  void watch_for_eof() {
    socket_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) return self->close();
      self->watch_for_eof();
    });
  }

  void send(std::string_view bytes) {
    if (dropped_ > 0 && pending_.empty()) {
      pending_ += "[taskmux: " + std::to_string(dropped_) + " bytes dropped: the reader did not keep up]\n";
      dropped_ = 0;
    }
    pending_.append(bytes);
    if (!writing_) write_next();
  }
  void send(std::string&& bytes) {
    if (pending_.empty() && dropped_ == 0) pending_ = std::move(bytes);  // a whole reply: no copy
    else pending_.append(bytes);
    if (!writing_) write_next();
  }

  void write_next() {
    if (pending_.empty()) {
      writing_ = false;
      if (ended_) close();
      return;
    }
    writing_ = true;
    out_.swap(pending_);
    pending_.clear();
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) return self->close();
      self->write_next();
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    boost::system::error_code ignored;
    socket_.shutdown(local::socket::shutdown_both, ignored);
    socket_.close(ignored);
    if (!ended_ && gone_) std::exchange(gone_, nullptr)();
  }

  local::socket socket_;
  asio::steady_timer timer_;
  const server::dispatch_fn& dispatch_;
  asio::streambuf buf_;
  std::array<char, 512> discard_{};
  std::string out_;      ///< being written
  std::string pending_;  ///< to write next
  size_t dropped_ = 0;   ///< stream bytes dropped since the last notice
  bool answered_ = false;
  bool ended_ = false;
  bool writing_ = false;
  bool closed_ = false;
  std::function<void()> gone_;
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
    std::make_shared<session>(std::move(s), dispatch_)->start();
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
