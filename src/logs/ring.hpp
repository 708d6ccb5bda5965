// The last lines of one instance's output, for `taskmux logs` and fault reports. A fixed
// number of bytes, allocated on first use, oldest lines overwritten first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace taskmux::logs {

enum class stream : char { out = 'o', err = 'e' };

struct stored_line {
  stream from;
  std::string text;
};

class ring {
 public:
  explicit ring(size_t capacity = 16 * 1024) : capacity_(capacity) {}

  /// `line` holds no '\n' (line_splitter's lines never do); '\n' marks record ends here.
  void push(stream from, std::string_view line);

  /// The newest `n` lines, oldest first (only from `only` when given).
  std::vector<stored_line> last(size_t n) const;
  std::vector<stored_line> last(size_t n, stream only) const;

 private:
  void put(const char* data, size_t n);

  size_t capacity_;
  std::string buf_;      ///< circular; records are "<stream><line>\n"
  size_t head_ = 0;      ///< next write position
  bool wrapped_ = false;
  bool head_starts_record_ = true;  ///< wrapped: the oldest byte, at head_, begins a whole record
};

}  // namespace taskmux::logs
