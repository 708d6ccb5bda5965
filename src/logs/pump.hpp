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
  /// Stops reading and forgets the sink; pending handlers end quietly.
  void close();
  bool is_open() const { return sink_ != nullptr; }

 private:
  void wait();
  void on_readable(boost::system::error_code ec);

  boost::asio::posix::stream_descriptor pipe_;
  stream from_;
  line_sink* sink_;
  line_splitter splitter_;
};

}  // namespace taskmux::logs
