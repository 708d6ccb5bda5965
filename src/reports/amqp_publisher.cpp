#include "reports/amqp_publisher.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <optional>
#include <system_error>

#include "config/duration.hpp"
#include "reports/confirm_window.hpp"
#include "reports/store.hpp"

namespace taskmux::reports {
namespace {

using namespace std::chrono_literals;
using clock = amqp_publisher::clock;

constexpr auto connect_timeout = 5s;
// Only our store writer appends to the outbox, and it calls wake(): an idle publisher sleeps
// (no wake-ups while taskmux idles). The rare look is a safety net, not a poll.
constexpr auto idle_check = 10min;
// A broker that stops confirming (memory or disk alarm) is treated as lost after this long.
constexpr auto confirm_timeout = 30s;
constexpr auto first_delay = 200ms;
constexpr auto max_delay = 5s;
// The same failure is logged again at most this often.
constexpr auto reminder = 30s;
// Confirmed rows are removed in batches: one DELETE (one fsync) per batch, not per ack.
constexpr auto removal_batch_time = 100ms;
// stop() cuts the socket when the thread is still busy this long after the drain deadline.
constexpr auto cut_grace = 1s;

std::chrono::milliseconds as_ms(clock::duration d) {
  return std::chrono::ceil<std::chrono::milliseconds>(d);
}

}  // namespace

/// Everything the publisher thread owns; lives on that thread's stack.
class amqp_publisher::worker {
 public:
  explicit worker(amqp_publisher& p) : p_(p) {}
  void run();

 private:
  bool stopping() const;
  std::optional<clock::time_point> stop_at() const;
  bool finished();
  clock::time_point bounded(clock::time_point t) const;

  void connect();
  void deliver();
  size_t fill();
  void idle();
  void await_confirms();
  void on_ack(uint64_t tag, bool multiple);
  void note_blocked();
  void remove_confirmed(bool now);
  void count_pending();

  bool nothing_waiting();
  void on_failure(const std::string& verb, const std::string& reason, bool needs_fix);
  void back_off();
  void say(std::string_view level, const std::string& key, const std::string& line);
  void finish();
  void drain_wake_fd();
  template <class F>
  void update(F&& f) {
    std::lock_guard lock(p_.mutex_);
    f(p_.stats_);
  }

  amqp_publisher& p_;
  std::optional<store> store_;
  std::unique_ptr<amqp_session> session_;
  confirm_window window_;
  int64_t last_sent_ = 0;                     // outbox id of the newest row sent on this session
  std::optional<int64_t> confirmed_through_;  // confirmed, not yet removed from the outbox
  uint64_t unremoved_ = 0;
  clock::time_point last_removal_{};
  clock::time_point waiting_since_{};  // last ack, or when the window stopped being empty
  int64_t pending_ = 0;
  bool drained_ = false;   // the outbox was empty, nothing in flight, when last looked
  bool saw_stop_ = false;  // drained_ counts only when looked at after stop()
  clock::duration delay_ = first_delay;
  std::string last_key_;
  clock::time_point last_said_{};
  bool said_connected_ = false;
  std::string said_blocked_;  // the connection.blocked reason last logged
};

bool amqp_publisher::worker::stopping() const {
  std::lock_guard lock(p_.mutex_);
  return p_.stopping_;
}

std::optional<clock::time_point> amqp_publisher::worker::stop_at() const {
  std::lock_guard lock(p_.mutex_);
  return p_.stopping_ ? std::optional(p_.stop_at_) : std::nullopt;
}

bool amqp_publisher::worker::finished() {
  auto at = stop_at();
  if (!at) return false;
  if (!saw_stop_) {
    // Rows committed just before stop() are not in what we saw before it: look again.
    saw_stop_ = true;
    drained_ = false;
  }
  return drained_ || clock::now() >= *at;
}

clock::time_point amqp_publisher::worker::bounded(clock::time_point t) const {
  auto at = stop_at();
  return at ? std::min(t, *at) : t;
}

void amqp_publisher::worker::run() {
  while (!finished()) {
    try {
      if (!store_) {
        store_.emplace(p_.store_file_);
        count_pending();
      }
      if (!session_) {
        // Stopping with nothing to deliver: no need to find out whether the broker is there.
        if (stopping() && nothing_waiting()) continue;
        connect();
      }
      deliver();
    } catch (const amqp_failure& e) {
      on_failure((session_ ? "deliver reports to " : "connect to ") + p_.target_.redacted(),
                 e.what(), e.needs_fix);
    } catch (const std::exception& e) {
      // store_error, or anything else: never let it end the thread (or the supervisor).
      store_.reset();
      on_failure("use the outbox", e.what(), false);
    }
  }
  finish();
}

void amqp_publisher::worker::connect() {
  session_ = std::make_unique<amqp_session>(p_.target_, bounded(clock::now() + connect_timeout),
                                            p_.cutter_);
  count_pending();
  update([](stats& s) { s.connected = true; });
  if (said_connected_) return;
  said_connected_ = true;
  std::string line = "amqp: connected to " + p_.target_.redacted();
  if (pending_ > 0) line += ", delivering " + std::to_string(pending_) + " waiting reports";
  p_.log_("info", line);
}

/// One round: top up the window, then wait for confirms (or for new rows, when all is sent).
void amqp_publisher::worker::deliver() {
  size_t sent = fill();
  if (sent == 0 && window_.empty()) return idle();
  await_confirms();
}

size_t amqp_publisher::worker::fill() {
  size_t room = window - window_.size();
  if (room == 0 || window_.bytes() >= window_bytes) return 0;
  auto rows = store_->outbox_after(last_sent_, room);
  if (rows.empty()) return 0;
  drained_ = false;
  if (window_.empty()) waiting_since_ = clock::now();
  // Declares first: a broker that blocks publishers stops reading, and a declare (a round
  // trip) after a publish would then wait for the RPC timeout.
  for (auto& row : rows)
    session_->declare(row.queue);
  size_t sent = 0;
  for (auto& row : rows) {
    if (sent > 0 && window_.bytes() + row.body.size() > window_bytes) break;
    session_->publish(row.queue, row.body);
    window_.sent(row.id, row.body.size());
    last_sent_ = row.id;
    ++sent;
    update([](stats& s) { ++s.published; });
  }
  return sent;
}

/// Everything sent is confirmed and the outbox has no more: wait for wake() or the idle check.
void amqp_publisher::worker::idle() {
  remove_confirmed(true);
  drained_ = true;
  delay_ = first_delay;  // the connection works
  last_key_.clear();
  if (stopping()) return;
  // Watching the socket too: a broker that closes an idle connection is noticed at once.
  if (session_->wait(p_.wake_fd_, clock::now() + idle_check)) {
    session_->read_confirms([](uint64_t, bool) {});
    note_blocked();
  }
  drain_wake_fd();
}

void amqp_publisher::worker::await_confirms() {
  if (session_->wait(p_.wake_fd_, bounded(waiting_since_ + confirm_timeout))) {
    session_->read_confirms([this](uint64_t tag, bool multiple) { on_ack(tag, multiple); });
    note_blocked();
  }
  drain_wake_fd();
  remove_confirmed(false);
  // A broker that told us why it is quiet (connection.blocked) is waited for: reconnecting
  // would not help.
  if (!session_->blocked().empty()) waiting_since_ = clock::now();
  if (!window_.empty() && clock::now() >= waiting_since_ + confirm_timeout)
    throw amqp_failure("no confirm from the broker for " +
                       config::format_duration(as_ms(confirm_timeout)) + " (is it hung?)");
}

void amqp_publisher::worker::on_ack(uint64_t tag, bool multiple) {
  uint64_t newly = 0;
  if (auto through = window_.ack(tag, multiple, newly)) confirmed_through_ = through;
  unremoved_ += newly;
  waiting_since_ = clock::now();
  delay_ = first_delay;
  last_key_.clear();
  update([&](stats& s) { s.confirmed += newly; });
}

/// Logs when the broker starts or stops blocking publishers (connection.blocked).
void amqp_publisher::worker::note_blocked() {
  const std::string& why = session_->blocked();
  if (why == said_blocked_) return;
  said_blocked_ = why;
  if (why.empty())
    return p_.log_("info", "amqp: " + p_.target_.redacted() + " accepts reports again");
  p_.log_("warn", "amqp: " + p_.target_.redacted() + " blocks publishing (" + why +
                      "); reports wait on disk until it recovers");
}

/// Removes the confirmed rows: at once when `now`, else once a batch is worth a commit.
void amqp_publisher::worker::remove_confirmed(bool now) {
  if (!confirmed_through_) return;
  auto t = clock::now();
  if (!now && unremoved_ < window && t - last_removal_ < removal_batch_time) return;
  store_->remove_outbox_through(*confirmed_through_);
  confirmed_through_.reset();
  unremoved_ = 0;
  last_removal_ = t;
  count_pending();
}

void amqp_publisher::worker::count_pending() {
  pending_ = store_->outbox_length();
  update([&](stats& s) { s.pending = pending_; });
}

bool amqp_publisher::worker::nothing_waiting() {
  count_pending();
  drained_ = pending_ == 0;
  return drained_;
}

void amqp_publisher::worker::on_failure(const std::string& verb, const std::string& reason,
                                        bool needs_fix) {
  session_.reset();
  said_blocked_.clear();
  window_ = confirm_window();
  last_sent_ = 0;  // resend everything still in the outbox, oldest first
  update([&](stats& s) {
    s.connected = false;
    s.last_error = reason;
  });
  try {
    if (!store_) store_.emplace(p_.store_file_);
    remove_confirmed(true);  // what the broker confirmed before the failure is safe
    count_pending();
  } catch (const std::exception&) {
    store_.reset();  // reported by the next round
  }
  drained_ = pending_ == 0 && store_.has_value();
  // Past the drain deadline the failure is our own doing (stop() cut the socket); finish()
  // says what is left.
  if (finished()) return;
  std::string line = "amqp: unable to " + verb + ": " + reason;
  if (store_) line += "; reports wait on disk (" + std::to_string(pending_) + " pending)";
  line += ", retrying in " + config::format_duration(as_ms(delay_));
  say(needs_fix ? "error" : "warn", verb + reason, line);
  back_off();
}

void amqp_publisher::worker::back_off() {
  auto until = clock::now() + delay_;
  delay_ = std::min<clock::duration>(delay_ * 2, max_delay);
  pollfd p{p_.wake_fd_, POLLIN, 0};
  // wake() does not cut the wait short (new rows do not bring the broker back); stop() does.
  while (!finished() && clock::now() < bounded(until)) {
    auto ms = as_ms(bounded(until) - clock::now()).count();
    ::poll(&p, 1, static_cast<int>(std::max<int64_t>(ms, 0)));
    drain_wake_fd();
  }
}

/// Logs `line` unless it says what was said last (`key`) less than `reminder` ago.
void amqp_publisher::worker::say(std::string_view level, const std::string& key,
                                 const std::string& line) {
  auto now = clock::now();
  if (key == last_key_ && now - last_said_ < reminder) return;
  last_key_ = key;
  last_said_ = now;
  said_connected_ = false;
  p_.log_(level, line);
}

void amqp_publisher::worker::finish() {
  try {
    if (store_) {
      remove_confirmed(true);
      count_pending();
    }
  } catch (const std::exception& e) {
    p_.log_("error", std::string("amqp: unable to update the outbox on stop: ") + e.what());
  }
  if (session_) {
    try {
      session_->close(500ms);
    } catch (const std::exception&) {
      // Closing is a courtesy: the broker also notices the socket going away.
    }
    session_.reset();
  }
  update([](stats& s) { s.connected = false; });
  if (pending_ > 0)
    p_.log_("warn", "amqp: stopped with " + std::to_string(pending_) +
                        " reports waiting on disk; they are delivered after the next start");
}

void amqp_publisher::worker::drain_wake_fd() {
  uint64_t n;
  while (::read(p_.wake_fd_, &n, sizeof n) > 0) {
  }
}

amqp_publisher::amqp_publisher(config::amqp_target target, std::filesystem::path store_file,
                               log_fn log)
    : target_(std::move(target)), store_file_(std::move(store_file)), log_(std::move(log)) {
  if (!log_) log_ = [](std::string_view, std::string) {};
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0)
    throw std::system_error(errno, std::generic_category(), "amqp publisher: eventfd");
}

amqp_publisher::~amqp_publisher() {
  stop(0ms);
  ::close(wake_fd_);
}

void amqp_publisher::start() {
  if (thread_.joinable()) return;
  // The thread inherits the mask: blocked from its first instruction, no window for a signal.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  thread_ = std::thread([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void amqp_publisher::wake() {
  uint64_t one = 1;
  // EAGAIN only when the counter is about to overflow: then a wake-up is pending anyway.
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void amqp_publisher::stop(std::chrono::milliseconds drain) {
  if (!thread_.joinable()) return;
  clock::time_point cut_at;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ || clock::now() + drain < stop_at_) stop_at_ = clock::now() + drain;
    stopping_ = true;
    cut_at = stop_at_ + cut_grace;
  }
  wake();
  {
    // The thread keeps to stop_at_ in every wait of its own; only a call stuck inside
    // rabbitmq-c (a send to a broker that stopped reading, a login that never answers) can't.
    std::unique_lock lock(mutex_);
    if (!exited_cv_.wait_until(lock, cut_at, [this] { return exited_; })) {
      lock.unlock();
      cutter_.cut();
    }
  }
  thread_.join();
}

amqp_publisher::stats amqp_publisher::snapshot() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void amqp_publisher::run() {
  try {
    worker(*this).run();
  } catch (...) {
    // Only the log callback itself can throw this far; the supervisor must go on regardless.
  }
  std::lock_guard lock(mutex_);
  exited_ = true;
  exited_cv_.notify_all();
}

}  // namespace taskmux::reports
