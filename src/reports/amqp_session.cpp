#include "reports/amqp_session.hpp"

#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>
#else
#include <amqp.h>  // rabbitmq-c 0.11 (Debian 12) installs its headers at the top level
#include <amqp_tcp_socket.h>
#endif
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>

namespace taskmux::reports {
namespace {

using clock = amqp_session::clock;

// Each broker round trip (queue.declare, channel.open) gets this long; a broker that takes
// longer is treated as gone, and the publisher reconnects. Generous, because a broker short of
// memory stops reading from publishing connections, and declares wait behind that.
constexpr std::chrono::seconds rpc_timeout{30};

timeval to_timeval(clock::duration d) {
  auto us = std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  return timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

int ms_until(clock::time_point deadline) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, INT_MAX));
}

std::string os_error(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

std::string text(amqp_bytes_t b) {
  return std::string(static_cast<const char*>(b.bytes), b.len);
}

/// The broker's reply text, without its final full stop (our line goes on after it).
std::string reply_text(amqp_bytes_t b) {
  std::string s = text(b);
  if (s.ends_with('.')) s.pop_back();
  return s;
}

/// rabbitmq-c's words for `status`; for a socket error, the OS's (errno is still the one of
/// the failed send or recv: call this right after the failing call).
std::string library_error(int status) {
  int err = errno;
  if (status == AMQP_STATUS_SOCKET_ERROR && err != 0) return os_error(err);
  return amqp_error_string2(status);
}

/// Reads the connect result of a non-blocking socket: 0 or an errno value.
int connect_result(int fd, clock::time_point deadline) {
  pollfd p{fd, POLLOUT, 0};
  int n = ::poll(&p, 1, ms_until(deadline));
  while (n < 0 && errno == EINTR)
    n = ::poll(&p, 1, ms_until(deadline));
  if (n < 0) return errno;
  if (n == 0) return ETIMEDOUT;
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
  return err;
}

// Our own connect rather than amqp_socket_open_noblock: it tells "connection refused" from a
// timeout, and registers the fd with the cutter so stop() can abort a hanging connect.
int tcp_connect(const config::amqp_target& t, clock::time_point deadline, socket_cutter& cutter) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(t.host.c_str(), std::to_string(t.port).c_str(), &hints, &found);
      rc != 0)
    throw amqp_failure("cannot resolve host \"" + t.host + "\": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  int err = EADDRNOTAVAIL;
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    cutter.set(fd);
    err = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) err = connect_result(fd, deadline);
    if (err == 0) return fd;
    cutter.set(-1);
    ::close(fd);
    if (err == ETIMEDOUT) break;
  }
  throw amqp_failure(err == ETIMEDOUT ? "no answer within the connect timeout" : os_error(err));
}

amqp_table_entry_t bool_entry(const char* key, bool v) {
  amqp_table_entry_t e{};
  e.key = amqp_cstring_bytes(key);
  e.value.kind = AMQP_FIELD_KIND_BOOLEAN;
  e.value.value.boolean = v;
  return e;
}

/// Logs in announcing the connection.blocked capability, so that a broker short of memory or
/// disk says so (connection.blocked) instead of just going quiet; named for the management UI.
amqp_rpc_reply_t login(amqp_connection_state_t c, const config::amqp_target& t) {
  amqp_table_entry_t capabilities[] = {bool_entry("connection.blocked", true)};
  amqp_table_entry_t props[2]{};
  props[0].key = amqp_cstring_bytes("capabilities");
  props[0].value.kind = AMQP_FIELD_KIND_TABLE;
  props[0].value.value.table = amqp_table_t{1, capabilities};
  props[1].key = amqp_cstring_bytes("connection_name");
  props[1].value.kind = AMQP_FIELD_KIND_UTF8;
  props[1].value.value.bytes = amqp_cstring_bytes("taskmux reports");
  amqp_table_t table{2, props};
  // Heartbeat 0: rabbitmq-c only services heartbeats inside its own calls, and an idle
  // publisher makes none; a dead peer shows up as a failed publish or a confirm timeout.
  return amqp_login_with_properties(c, t.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, 0, &table,
                                    AMQP_SASL_METHOD_PLAIN, t.user.c_str(), t.password.c_str());
}

/// Throws for anything but a normal reply; `what` names the AMQP method that failed.
void check(amqp_connection_state_t c, amqp_rpc_reply_t r, const std::string& what) {
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return;
    case AMQP_RESPONSE_NONE:
      throw amqp_failure(what + ": no reply from the broker");
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      throw amqp_failure(what + ": " + library_error(r.library_error));
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      break;
  }
  uint16_t code = 0;
  std::string reason;
  if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
    code = m->reply_code;
    reason = reply_text(m->reply_text);
    amqp_connection_close_ok_t ok{};
    amqp_send_method(c, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
  } else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
    code = m->reply_code;
    reason = reply_text(m->reply_text);
  } else {
    reason = "unexpected reply from the broker";
  }
  bool needs_fix = code == AMQP_ACCESS_REFUSED || code == AMQP_NOT_ALLOWED ||
                   code == AMQP_NOT_FOUND || code == AMQP_PRECONDITION_FAILED;
  throw amqp_failure(what + ": " + reason, needs_fix);
}

}  // namespace

void socket_cutter::set(int fd) {
  std::lock_guard lock(mutex_);
  if (dup_ >= 0) ::close(dup_);
  dup_ = fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
}

void socket_cutter::cut() {
  std::lock_guard lock(mutex_);
  if (dup_ >= 0) ::shutdown(dup_, SHUT_RDWR);
}

void amqp_session::destroy::operator()(amqp_connection_state_t_* c) const {
  cutter->set(-1);
  amqp_destroy_connection(c);
}

amqp_session::amqp_session(const config::amqp_target& target, clock::time_point deadline,
                           socket_cutter& cutter)
    : conn_(amqp_new_connection(), destroy{&cutter}) {
  if (!conn_) throw amqp_failure("out of memory");
  amqp_socket_t* socket = amqp_tcp_socket_new(conn_.get());
  if (!socket) throw amqp_failure("out of memory");
  amqp_tcp_socket_set_sockfd(socket, tcp_connect(target, deadline, cutter));
  timeval handshake = to_timeval(deadline - clock::now());
  timeval rpc = to_timeval(rpc_timeout);
  amqp_set_handshake_timeout(conn_.get(), &handshake);
  amqp_set_rpc_timeout(conn_.get(), &rpc);
  check(conn_.get(), login(conn_.get(), target), "login");
  amqp_channel_open(conn_.get(), 1);
  check(conn_.get(), amqp_get_rpc_reply(conn_.get()), "channel.open");
  amqp_confirm_select(conn_.get(), 1);
  check(conn_.get(), amqp_get_rpc_reply(conn_.get()), "confirm.select");
}

amqp_session::~amqp_session() = default;

void amqp_session::declare(const std::string& queue) {
  if (declared_.contains(queue)) return;
  amqp_queue_declare(conn_.get(), 1, amqp_cstring_bytes(queue.c_str()), /*passive=*/0,
                     /*durable=*/1, /*exclusive=*/0, /*auto_delete=*/0, amqp_empty_table);
  check(conn_.get(), amqp_get_rpc_reply(conn_.get()), "queue.declare " + queue);
  declared_.insert(queue);
}

void amqp_session::publish(const std::string& queue, std::string_view body) {
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.content_type = amqp_cstring_bytes("application/json");
  props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  amqp_bytes_t bytes{body.size(), const_cast<char*>(body.data())};
  int rc = amqp_basic_publish(conn_.get(), 1, amqp_empty_bytes, amqp_cstring_bytes(queue.c_str()),
                              /*mandatory=*/1, /*immediate=*/0, &props, bytes);
  if (rc != AMQP_STATUS_OK) throw amqp_failure("basic.publish: " + library_error(rc));
}

bool amqp_session::wait(int wake_fd, clock::time_point deadline) {
  // Frames that arrived during an RPC (acks during a queue.declare) wait in rabbitmq-c's own
  // queue or buffer; poll(2) cannot see them.
  if (amqp_frames_enqueued(conn_.get()) || amqp_data_in_buffer(conn_.get())) return true;
  pollfd p[2] = {{amqp_get_sockfd(conn_.get()), POLLIN, 0}, {wake_fd, POLLIN, 0}};
  int n = ::poll(p, 2, ms_until(deadline));
  if (n < 0 && errno != EINTR) throw amqp_failure("poll: " + os_error(errno));
  return n > 0 && p[0].revents != 0;
}

void amqp_session::read_confirms(const std::function<void(uint64_t, bool)>& on_ack) {
  for (;;) {
    amqp_frame_t f;
    timeval now{0, 0};
    int rc = amqp_simple_wait_frame_noblock(conn_.get(), &f, &now);
    if (rc == AMQP_STATUS_TIMEOUT) break;
    if (rc != AMQP_STATUS_OK) throw amqp_failure(library_error(rc));
    if (f.frame_type != AMQP_FRAME_METHOD) continue;  // header and body of a basic.return
    amqp_method_t& m = f.payload.method;
    switch (m.id) {
      case AMQP_BASIC_ACK_METHOD: {
        auto* ack = static_cast<amqp_basic_ack_t*>(m.decoded);
        on_ack(ack->delivery_tag, ack->multiple != 0);
        break;
      }
      case AMQP_BASIC_NACK_METHOD:
        throw amqp_failure("the broker could not store a report (basic.nack)");
      case AMQP_BASIC_RETURN_METHOD: {
        auto* ret = static_cast<amqp_basic_return_t*>(m.decoded);
        throw amqp_failure("the broker returned a report for queue " + text(ret->routing_key) +
                           ": " + reply_text(ret->reply_text));
      }
      case AMQP_CONNECTION_BLOCKED_METHOD: {
        auto* b = static_cast<amqp_connection_blocked_t*>(m.decoded);
        blocked_ = b->reason.len ? reply_text(b->reason) : "no reason given";
        break;
      }
      case AMQP_CONNECTION_UNBLOCKED_METHOD:
        blocked_.clear();
        break;
      case AMQP_CHANNEL_CLOSE_METHOD:
      case AMQP_CONNECTION_CLOSE_METHOD: {
        amqp_rpc_reply_t r{};
        r.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
        r.reply = m;
        check(conn_.get(), r,
              "the broker closed the " +
                  std::string(m.id == AMQP_CHANNEL_CLOSE_METHOD ? "channel" : "connection"));
        break;
      }
      default:
        break;
    }
  }
  // Decoded frames live in rabbitmq-c's pools until released; a long run would grow them.
  amqp_maybe_release_buffers(conn_.get());
}

void amqp_session::close(std::chrono::milliseconds patience) {
  timeval tv = to_timeval(patience);
  amqp_set_rpc_timeout(conn_.get(), &tv);
  amqp_connection_close(conn_.get(), AMQP_REPLY_SUCCESS);
}

}  // namespace taskmux::reports
