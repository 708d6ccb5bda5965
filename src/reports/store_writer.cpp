#include "reports/store_writer.hpp"

#include <signal.h>

#include <algorithm>
#include <iterator>
#include <optional>

namespace taskmux::reports {

using namespace std::chrono_literals;

store_writer::store_writer(store s, target t, int retain, log_fn log, std::function<void()> committed)
    : store_(std::move(s)), target_(t), retain_(retain), log_(std::move(log)), committed_(std::move(committed)) {
  store_.disable_auto_checkpoint();
  thread_ = std::thread([this] { loop(); });
  checkpointer_ = std::thread([this] { checkpoints(); });
}

store_writer::~store_writer() { stop(0ms); }

void store_writer::post(outgoing m) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(m));
    wake = idle_;  // a writer that is committing or gathering looks at pending_ by itself
  }
  if (wake) wake_.notify_one();
}

void store_writer::stop(std::chrono::milliseconds patience) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    give_up_at_ = std::chrono::steady_clock::now() + patience;
  }
  wake_.notify_one();
  checkpoint_wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (checkpointer_.joinable()) checkpointer_.join();
}

store_writer::stats store_writer::snapshot() {
  std::lock_guard lock(mutex_);
  auto s = stats_;
  s.pending = pending_.size();
  return s;
}

namespace {

/// Signals belong to the event loop's thread (asio::signal_set); none may interrupt a commit.
void block_signals() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

}  // namespace

void store_writer::checkpoints() {
  block_signals();
  std::optional<store> own;
  std::unique_lock lock(mutex_);
  for (;;) {
    // Asleep while nothing is written (an idle taskmux makes no wake-ups); after a commit,
    // half a second more gathers the commits of a burst into one checkpoint.
    checkpoint_wake_.wait(lock, [this] { return stopping_ || uncheckpointed_; });
    if (stopping_) return;
    checkpoint_wake_.wait_for(lock, 500ms, [this] { return stopping_; });
    if (stopping_) return;
    uncheckpointed_ = false;
    lock.unlock();
    try {
      if (!own) own.emplace(store_.file());
      own->checkpoint();
    } catch (const store_error&) {
      // The writer reports disk trouble; a missed checkpoint only lets the WAL grow.
    }
    lock.lock();
  }
}

void store_writer::loop() {
  block_signals();

  std::vector<outgoing> batch;
  std::string last_error;
  auto retry_after = 100ms;
  std::unique_lock lock(mutex_);
  for (;;) {
    idle_ = true;
    wake_.wait(lock, [this, &batch] { return stopping_ || !pending_.empty() || !batch.empty(); });
    idle_ = false;
    if (batch.empty() && pending_.empty()) return;  // stopping, and everything is on disk
    // At most one commit per commit_gap: a report that follows a commit closely waits for the
    // ones behind it (500 starts are ~100 commits, not 500, each a wake-up and an fsync).
    if (batch.empty() && !stopping_)
      wake_.wait_until(lock, last_commit_ + commit_gap, [this] { return stopping_; });
    // A batch that failed before is kept and retried first, with newer reports behind it.
    // Swapped, not copied: the poster (the event loop) never waits for a long move.
    if (batch.empty()) batch.swap(pending_);
    else batch.insert(batch.end(), std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
    pending_.clear();
    lock.unlock();
    std::string error;
    auto began = std::chrono::steady_clock::now();
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
      last_commit_ = std::chrono::steady_clock::now();
      stats_.committed += batch.size();
      ++stats_.batches;
      stats_.slowest_commit_ms = std::max(
          stats_.slowest_commit_ms, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count());
      if (!uncheckpointed_) {
        uncheckpointed_ = true;
        checkpoint_wake_.notify_one();
      }
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
