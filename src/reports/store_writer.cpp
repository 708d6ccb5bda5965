#include "reports/store_writer.hpp"

#include <signal.h>

#include <algorithm>
#include <iterator>

namespace taskmux::reports {

using namespace std::chrono_literals;

namespace {

/// What one waiting report costs in memory, near enough.
size_t cost(const outgoing& m) { return sizeof(outgoing) + m.queue.size() + m.body.size(); }

std::string mib(size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

/// Signals belong to the event loop's thread (asio::signal_set); none may interrupt a commit.
void block_signals() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

}  // namespace

store_writer::store_writer(std::filesystem::path file, target t, int retain, log_fn log, std::function<void()> committed)
    : file_(std::move(file)), target_(t), retain_(retain), log_(std::move(log)), committed_(std::move(committed)) {
  thread_ = std::thread([this] { loop(); });
  checkpointer_ = std::thread([this] { checkpoints(); });
}

store_writer::~store_writer() { stop(0ms); }

void store_writer::post(outgoing m) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    size_t c = cost(m);
    if (failing_ && waiting_bytes_ + c > max_waiting_bytes) {
      ++dropped_[m.queue];
      ++stats_.dropped;
      return;
    }
    waiting_bytes_ += c;
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

void store_writer::checkpoints() {
  block_signals();
  std::optional<store> own;
  std::unique_lock lock(mutex_);
  for (;;) {
    // Asleep while nothing is written (an idle taskmux makes no wake-ups); after a commit,
    // half a second more gathers the commits of a burst into one checkpoint.
    checkpoint_wake_.wait(lock, [this] { return stopping_ || uncheckpointed_; });
    if (stopping_) return;
    auto batches = stats_.batches;
    checkpoint_wake_.wait_for(lock, 500ms, [this] { return stopping_; });
    if (stopping_) return;
    // No commit in that half second: the writer is idle, and the WAL can be emptied.
    bool idle = stats_.batches == batches;
    uncheckpointed_ = false;
    lock.unlock();
    try {
      if (!own) own.emplace(file_);
      if (idle) own->checkpoint_and_truncate();
      else own->checkpoint();
    } catch (const store_error&) {
      // The writer reports disk trouble; a missed checkpoint only lets the WAL grow.
    }
    lock.lock();
  }
}

void store_writer::open() {
  try {
    store_.emplace(file_);
    store_->disable_auto_checkpoint();
  } catch (const store_error&) {
    store_.reset();  // a connection that failed half-way is tried again from the start
    throw;
  }
}

void store_writer::open_at_start() {
  try {
    open();
  } catch (const store_error& e) {
    last_error_ = e.what();
    log_("error", "reports: " + std::string(e.what()) +
                      "; supervising all the same: reports wait in memory (at most " + mib(max_waiting_bytes) +
                      ") and are written once the store can be opened");
    return;
  }
  std::lock_guard lock(mutex_);
  failing_ = false;
}

std::string store_writer::write(const std::vector<outgoing>& batch, size_t& done, bool in_chunks) {
  size_t before = done;
  std::string error;
  try {
    if (!store_) open();
    while (done < batch.size()) {
      size_t n = in_chunks ? std::min(chunk_after_failure, batch.size() - done) : batch.size() - done;
      std::span<const outgoing> part(batch.data() + done, n);
      if (target_ == target::queues) store_->append(part, retain_);
      else store_->append_outbox(part);
      size_t bytes = 0;
      for (auto& m : part) bytes += cost(m);
      done += n;
      std::lock_guard lock(mutex_);
      waiting_bytes_ -= bytes;
      stats_.committed += n;
      ++stats_.batches;
    }
  } catch (const store_error& e) {
    error = e.what();
  }
  if (done > before && committed_) committed_();
  return error;
}

std::string store_writer::record_drops() {
  std::map<std::string, int64_t> drops;
  {
    std::lock_guard lock(mutex_);
    drops.swap(dropped_);
  }
  if (drops.empty()) return {};
  try {
    if (target_ == target::queues) store_->count_dropped(drops);
  } catch (const store_error& e) {
    std::lock_guard lock(mutex_);
    for (auto& [queue, n] : drops) dropped_[queue] += n;
    return e.what();
  }
  int64_t total = 0;
  for (auto& [queue, n] : drops) total += n;
  log_("warn", "reports: " + std::to_string(total) + " reports were dropped while " + file_.string() +
                   " could not be written (more than " + mib(max_waiting_bytes) + " waited in memory)" +
                   (target_ == target::queues ? "; `taskmux queue ls` counts them under DROPPED" : ""));
  return {};
}

void store_writer::loop() {
  block_signals();
  open_at_start();

  std::vector<outgoing> batch;
  size_t done = 0;  // batch[0, done) is committed; the rest waits for the disk
  auto retry_after = 100ms;
  std::unique_lock lock(mutex_);
  for (;;) {
    idle_ = true;
    wake_.wait(lock, [&] { return stopping_ || !pending_.empty() || done < batch.size() || !dropped_.empty(); });
    idle_ = false;
    bool backlog = done < batch.size();
    if (!backlog && pending_.empty() && dropped_.empty()) return;  // stopping, and everything is on disk
    // At most one commit per commit_gap: a report that follows a commit closely waits for the
    // ones behind it (500 starts are ~100 commits, not 500, each a wake-up and an fsync).
    if (!backlog && !stopping_) wake_.wait_until(lock, last_commit_ + commit_gap, [this] { return stopping_; });
    // A backlog that failed before goes first, with newer reports behind it. Swapped, not
    // copied: the poster (the event loop) never waits for a long move.
    if (!backlog) {
      batch.clear();
      done = 0;
      batch.swap(pending_);
    } else {
      batch.insert(batch.end(), std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
      pending_.clear();
    }
    bool in_chunks = failing_;
    lock.unlock();
    auto began = std::chrono::steady_clock::now();
    std::string error = write(batch, done, in_chunks);
    auto took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
    if (error.empty() && !last_error_.empty()) {
      log_("info", "reports: writing to " + file_.string() + " works again");
      last_error_.clear();
    }
    if (error.empty()) error = record_drops();
    if (error.empty()) {
      retry_after = 100ms;
      lock.lock();
      failing_ = false;
      last_commit_ = std::chrono::steady_clock::now();
      if (!in_chunks) stats_.slowest_commit_ms = std::max(stats_.slowest_commit_ms, took);
      if (!uncheckpointed_) {
        uncheckpointed_ = true;
        checkpoint_wake_.notify_one();
      }
      continue;
    }
    lock.lock();
    failing_ = true;
    size_t waiting = batch.size() - done + pending_.size();
    bool give_up = stopping_ && std::chrono::steady_clock::now() >= give_up_at_;
    lock.unlock();
    if (error != last_error_)
      log_("error", "reports: " + error + "; " + std::to_string(waiting) + " reports wait in memory (at most " +
                        mib(max_waiting_bytes) + ", newer ones are dropped and counted beyond that), retrying");
    last_error_ = error;
    if (give_up) {
      log_("error", "reports: giving up at exit: " + std::to_string(waiting) + " reports could not be written");
      return;
    }
    lock.lock();
    wake_.wait_for(lock, retry_after, [this] { return stopping_ && std::chrono::steady_clock::now() >= give_up_at_; });
    retry_after = std::min<std::chrono::milliseconds>(retry_after * 2, 5s);
  }
}

}  // namespace taskmux::reports
