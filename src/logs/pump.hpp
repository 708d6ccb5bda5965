// Reads one task pipe on the event loop and hands its lines to a sink. Waits for readability,
// then reads into one buffer shared by all pumps (the loop is single-threaded), so an idle
// instance costs no buffer memory.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>
#include <string_view>

#include "logs/line_splitter.hpp"
#include "logs/ring.hpp"

namespace taskmux::logs {

/// Receives the lines of a pump, on the loop thread.
class line_sink {
 public:
  virtual ~line_sink() = default;
  virtual void on_line(stream from, std::string_view line) = 0;
  virtual void on_batch_end(stream from) = 0;  ///< after the lines of one read
  virtual void on_eof(stream from) = 0;        ///< every writer closed the pipe
};

class pump : public std::enable_shared_from_this<pump> {
 public:
  /// Takes ownership of `read_fd`; the sink must outlive the pump or call close() first.
  pump(boost::asio::io_context& ctx, int read_fd, stream from, line_sink& sink);
  void start();
  /// Reads what the pipe holds right now (bounded), without waiting: a process that wrote
  /// its last words and exited gets them into the ring before its exit is reported.
  void drain();
  /// Stops reading and forgets the sink; pending handlers end quietly.
  void close();
  bool is_open() const { return sink_ != nullptr; }

 private:
  void wait();
  void on_readable(boost::system::error_code ec);
  /// One read(2); the bytes read (0 at EOF, -1 with errno).
  ssize_t read_once();

  boost::asio::posix::stream_descriptor pipe_;
  stream from_;
  line_sink* sink_;
  line_splitter splitter_;
};

}  // namespace taskmux::logs
