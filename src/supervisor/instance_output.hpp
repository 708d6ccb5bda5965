// The output of one instance: the pumps of its pipes, its lines staged per read and handed to
// taskmux's stdout/stderr in one piece, and its last lines kept for faults and `taskmux logs`.
// Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "logs/format.hpp"
#include "logs/output.hpp"
#include "logs/pump.hpp"
#include "logs/ring.hpp"
#include "process/unique_fd.hpp"

namespace taskmux::supervisor {

class instance_output final : public logs::line_sink {
 public:
  instance_output(const std::string& task, int index, const std::string& label);
  ~instance_output() override;
  instance_output(const instance_output&) = delete;
  instance_output& operator=(const instance_output&) = delete;

  /// Where lines go: set before the first read().
  void connect(boost::asio::io_context& loop, logs::output& out, logs::output& err, const logs::line_format& format);
  /// Reads a new run's pipes (the read ends of its stdout and stderr).
  void read(process::unique_fd out, process::unique_fd err);
  /// What the pipes hold right now, before an exit is reported: a process's last words.
  void drain();

  const logs::ring& recent() const { return recent_; }
  /// The last `n` lines kept, formatted as the console shows them.
  std::string recent_text(size_t n) const;
  /// Sees every line as the console will show it ("web[0] | text\n"), as it comes.
  using tap_fn = std::function<void(std::string_view formatted)>;
  void tap(tap_fn f) { tap_ = std::move(f); }
  /// stderr lines ever received (a run's own are those after its start).
  uint64_t err_lines() const { return err_lines_; }
  /// The last `n` stderr lines, oldest first.
  std::vector<std::string> last_err_lines(size_t n) const;

  // logs::line_sink
  void on_line(logs::stream from, std::string_view line) override;
  void on_batch_end(logs::stream from) override;
  void on_eof(logs::stream from) override;

 private:
  std::string task_;
  int index_;
  std::string label_;
  boost::asio::io_context* loop_ = nullptr;
  logs::output* out_ = nullptr;
  logs::output* err_ = nullptr;
  const logs::line_format* format_ = nullptr;
  std::vector<std::shared_ptr<logs::pump>> pumps_;
  std::string staged_out_, staged_err_;
  size_t staged_out_lines_ = 0, staged_err_lines_ = 0;
  logs::ring recent_;
  uint64_t err_lines_ = 0;
  tap_fn tap_;
  std::string tapped_;  ///< one formatted line for tap_, reused
};

}  // namespace taskmux::supervisor
