// Splits a byte stream into lines; pure. Lines longer than max_line are cut into pieces, so
// one task cannot make taskmux buffer without bound; bytes pass through untouched (binary-safe).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace taskmux::logs {

class line_splitter {
 public:
  explicit line_splitter(size_t max_line = 16 * 1024) : max_line_(max_line) {}

  /// Calls emit(std::string_view line) for each complete line in `data` (without '\n' and a
  /// trailing '\r'), and for each max_line piece of an overlong one; keeps the rest.
  template <class Emit>
  void feed(std::string_view data, Emit&& emit);

  /// End of stream: emits what is left as a last line.
  template <class Emit>
  void finish(Emit&& emit);

 private:
  static std::string_view trim_cr(std::string_view s) {
    return !s.empty() && s.back() == '\r' ? s.substr(0, s.size() - 1) : s;
  }

  size_t max_line_;
  std::string partial_;
};

template <class Emit>
void line_splitter::feed(std::string_view data, Emit&& emit) {
  while (!data.empty()) {
    size_t room = max_line_ - partial_.size();
    auto nl = data.substr(0, room + 1).find('\n');
    if (nl != std::string_view::npos) {
      if (partial_.empty()) {
        emit(trim_cr(data.substr(0, nl)));
      } else {
        partial_.append(data.data(), nl);
        emit(trim_cr(partial_));
        partial_.clear();
      }
      data.remove_prefix(nl + 1);
      continue;
    }
    // A full partial_ is kept until the next byte shows whether it is the newline: cutting it
    // now would turn a line of exactly max_line bytes into that line and an empty one.
    if (data.size() <= room) {
      partial_.append(data);
      return;
    }
    // No newline within max_line: cut here.
    if (partial_.empty()) {
      emit(data.substr(0, room));
    } else {
      partial_.append(data.data(), room);
      emit(std::string_view(partial_));
      partial_.clear();
    }
    data.remove_prefix(room);
  }
}

template <class Emit>
void line_splitter::finish(Emit&& emit) {
  if (partial_.empty()) return;
  emit(trim_cr(partial_));
  partial_.clear();
}

}  // namespace taskmux::logs
