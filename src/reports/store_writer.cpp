#include "reports/store_writer.hpp"

#include <signal.h>

#include <iterator>

namespace taskmux::reports {

using namespace std::chrono_literals;

store_writer::store_writer(store s, target t, int retain, log_fn log, std::function<void()> committed)
    : store_(std::move(s)), target_(t), retain_(retain), log_(std::move(log)), committed_(std::move(committed)) {
  thread_ = std::thread([this] { loop(); });
}

store_writer::~store_writer() { stop(0ms); }

void store_writer::post(outgoing m) {
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(m));
  }
  wake_.notify_one();
}

void store_writer::stop(std::chrono::milliseconds patience) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    give_up_at_ = std::chrono::steady_clock::now() + patience;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

store_writer::stats store_writer::snapshot() {
  std::lock_guard lock(mutex_);
  auto s = stats_;
  s.pending = pending_.size();
  return s;
}

void store_writer::loop() {
  // Signals belong to the event loop's thread (asio::signal_set); none may interrupt a commit.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);

  std::vector<outgoing> batch;
  std::string last_error;
  auto retry_after = 100ms;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this, &batch] { return stopping_ || !pending_.empty() || !batch.empty(); });
    if (batch.empty() && pending_.empty()) return;  // stopping, and everything is on disk
    // A batch that failed before is kept and retried first, with newer reports behind it.
    batch.insert(batch.end(), std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
    pending_.clear();
    lock.unlock();
    std::string error;
    try {
      if (target_ == target::queues) store_.append(batch, retain_);
      else store_.append_outbox(batch);
    } catch (const store_error& e) {
      error = e.what();
    }
    if (error.empty()) {
      if (!last_error.empty()) log_("info", "reports: writing to " + store_.file().string() + " works again");
      last_error.clear();
      retry_after = 100ms;
      if (committed_) committed_();
      lock.lock();
      stats_.committed += batch.size();
      ++stats_.batches;
      batch.clear();
      continue;
    }
    if (error != last_error)
      log_("error", "reports: " + error + "; " + std::to_string(batch.size()) + " reports wait in memory, retrying");
    last_error = error;
    lock.lock();
    if (stopping_ && std::chrono::steady_clock::now() >= give_up_at_) {
      log_("error", "reports: giving up at exit: " + std::to_string(batch.size() + pending_.size()) +
                        " reports could not be written");
      return;
    }
    wake_.wait_for(lock, retry_after);
    retry_after = std::min<std::chrono::milliseconds>(retry_after * 2, 5s);
  }
}

}  // namespace taskmux::reports
