#include "logs/pump.hpp"

#include <unistd.h>

#include <array>

namespace taskmux::logs {
namespace {

std::array<char, 64 * 1024> shared_buffer;

}  // namespace

pump::pump(boost::asio::io_context& ctx, int read_fd, stream from, line_sink& sink)
    : pipe_(ctx, read_fd), from_(from), sink_(&sink) {
  pipe_.non_blocking(true);
}

void pump::start() { wait(); }

void pump::close() {
  sink_ = nullptr;
  boost::system::error_code ignored;
  pipe_.close(ignored);
}

ssize_t pump::read_once() {
  ssize_t n = ::read(pipe_.native_handle(), shared_buffer.data(), shared_buffer.size());
  if (n > 0) {
    splitter_.feed(std::string_view(shared_buffer.data(), static_cast<size_t>(n)),
                   [this](std::string_view line) { sink_->on_line(from_, line); });
    sink_->on_batch_end(from_);
  }
  return n;
}

void pump::drain() {
  // EOF and errors are left to the pending wait, which closes the pipe in one place.
  for (int i = 0; sink_ && i < 4 && read_once() > 0; ++i) {
  }
}

void pump::wait() {
  pipe_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
}

void pump::on_readable(boost::system::error_code ec) {
  if (!sink_) return;
  if (!ec) {
    ssize_t n = read_once();
    if (n > 0) {
      wait();
      return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      wait();
      return;
    }
  }
  // EOF or an error: the pipe is done.
  splitter_.finish([this](std::string_view line) { sink_->on_line(from_, line); });
  sink_->on_batch_end(from_);
  auto* sink = sink_;
  close();
  sink->on_eof(from_);
}

}  // namespace taskmux::logs
