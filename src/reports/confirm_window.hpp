// Publisher confirms on one channel → "every outbox row up to id X is safe at the broker".
// Pure bookkeeping, no I/O: the AMQP publisher feeds it delivery tags.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace taskmux::reports {

/// Messages published on one channel in confirm mode and not yet confirmed, oldest first.
/// Delivery tags count from 1 per channel; RabbitMQ may confirm out of order (different queues
/// become safe at different times), so rows are released only up to the oldest unconfirmed one.
class confirm_window {
 public:
  /// Records the next publish on the channel (the next delivery tag): outbox row `id`, whose
  /// body has `bytes` bytes.
  void sent(int64_t id, size_t bytes = 0) {
    entries_.push_back({id, bytes, false});
    bytes_ += bytes;
  }

  /// basic.ack: `tag` alone, or with `multiple` every tag up to it. Returns the outbox id up to
  /// which every row is now confirmed, when that moved; `newly` counts the messages confirmed.
  std::optional<int64_t> ack(uint64_t tag, bool multiple, uint64_t& newly) {
    newly = 0;
    // Below the window: already released. Above it: never sent. Neither changes anything.
    if (tag < first_tag_ || tag - first_tag_ >= entries_.size()) return std::nullopt;
    size_t last = tag - first_tag_;
    for (size_t i = multiple ? 0 : last; i <= last; ++i) {
      if (!entries_[i].confirmed) ++newly;
      entries_[i].confirmed = true;
    }
    std::optional<int64_t> through;
    while (!entries_.empty() && entries_.front().confirmed) {
      through = entries_.front().id;
      bytes_ -= entries_.front().bytes;
      entries_.pop_front();
      ++first_tag_;
    }
    return through;
  }

  /// Messages published and not yet released (confirmed ones behind an unconfirmed one count).
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  /// Body bytes of those messages.
  size_t bytes() const { return bytes_; }
  /// The outbox id of the oldest message not yet released.
  std::optional<int64_t> oldest() const {
    return entries_.empty() ? std::nullopt : std::optional<int64_t>(entries_.front().id);
  }

 private:
  struct entry {
    int64_t id;
    size_t bytes;
    bool confirmed;
  };
  std::deque<entry> entries_;
  size_t bytes_ = 0;
  uint64_t first_tag_ = 1;  ///< delivery tag of entries_.front()
};

}  // namespace taskmux::reports
