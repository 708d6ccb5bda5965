#include "logs/ring.hpp"

#include <algorithm>

namespace taskmux::logs {

void ring::put(const char* data, size_t n) {
  while (n > 0) {
    size_t chunk = std::min(n, capacity_ - head_);
    std::copy_n(data, chunk, buf_.data() + head_);
    head_ += chunk;
    data += chunk;
    n -= chunk;
    if (head_ == capacity_) {
      head_ = 0;
      wrapped_ = true;
    }
  }
}

void ring::push(stream from, std::string_view line) {
  if (buf_.empty()) buf_.assign(capacity_, '\0');
  // A line longer than the ring keeps only its end.
  if (line.size() + 2 > capacity_) line = line.substr(line.size() + 2 - capacity_);
  // After this record the oldest byte is at `end`. It begins a record when this one fills the
  // whole ring, when the byte before it was never written, or when that byte (overwritten
  // now by this record's end) was a record's '\n'; otherwise it is the middle of a cut record.
  size_t size = line.size() + 2;
  size_t end = (head_ + size) % capacity_;
  size_t before_end = (end + capacity_ - 1) % capacity_;
  bool was_written = wrapped_ || before_end < head_;
  head_starts_record_ = size == capacity_ || !was_written || buf_[before_end] == '\n';
  char tag = static_cast<char>(from);
  put(&tag, 1);
  put(line.data(), line.size());
  put("\n", 1);
}

std::vector<stored_line> ring::last(size_t n) const {
  std::vector<stored_line> out;
  if (buf_.empty()) return out;
  // Linearize: oldest byte first; skip the first record when overwriting cut it.
  std::string text = wrapped_ ? buf_.substr(head_) + buf_.substr(0, head_) : buf_.substr(0, head_);
  size_t begin = 0;
  if (wrapped_ && !head_starts_record_) {
    auto nl = text.find('\n');
    begin = nl == std::string::npos ? text.size() : nl + 1;
  }
  while (begin < text.size()) {
    auto nl = text.find('\n', begin);
    if (nl == std::string::npos) break;
    if (nl > begin) out.push_back({static_cast<stream>(text[begin]), text.substr(begin + 1, nl - begin - 1)});
    begin = nl + 1;
  }
  if (out.size() > n) out.erase(out.begin(), out.end() - static_cast<long>(n));
  return out;
}

std::vector<stored_line> ring::last(size_t n, stream only) const {
  auto all = last(static_cast<size_t>(-1));
  std::vector<stored_line> out;
  for (auto& l : all)
    if (l.from == only) out.push_back(std::move(l));
  if (out.size() > n) out.erase(out.begin(), out.end() - static_cast<long>(n));
  return out;
}

}  // namespace taskmux::logs
