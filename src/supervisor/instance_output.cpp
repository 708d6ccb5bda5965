#include "supervisor/instance_output.hpp"

#include <algorithm>

namespace taskmux::supervisor {

instance_output::instance_output(const std::string& task, int index, const std::string& label)
    : task_(task), index_(index), label_(label) {}

instance_output::~instance_output() {
  for (auto& p : pumps_) p->close();
}

void instance_output::connect(boost::asio::io_context& loop, logs::output& out, logs::output& err,
                              const logs::line_format& format) {
  loop_ = &loop;
  out_ = &out;
  err_ = &err;
  format_ = &format;
}

void instance_output::read(process::unique_fd out, process::unique_fd err) {
  for (auto [fd, which] : {std::pair{out.release(), logs::stream::out}, std::pair{err.release(), logs::stream::err}}) {
    auto p = std::make_shared<logs::pump>(*loop_, fd, which, *this);
    p->start();
    pumps_.push_back(std::move(p));
  }
}

void instance_output::drain() {
  for (auto& p : pumps_) p->drain();
}

std::vector<std::string> instance_output::last_err_lines(size_t n) const {
  std::vector<std::string> out;
  for (auto& line : recent_.last(n, logs::stream::err)) out.push_back(std::move(line.text));
  return out;
}

std::string instance_output::recent_text(size_t n) const {
  std::string text;
  for (auto& line : recent_.last(n)) format_->task_line(text, task_, index_, label_, line.from, line.text);
  return text;
}

void instance_output::on_line(logs::stream from, std::string_view line) {
  recent_.push(from, line);
  bool is_err = from == logs::stream::err;
  err_lines_ += is_err;
  auto& staged = is_err ? staged_err_ : staged_out_;
  auto before = staged.size();
  format_->task_line(staged, task_, index_, label_, from, line);
  ++(is_err ? staged_err_lines_ : staged_out_lines_);
  if (tap_) tap_(std::string_view(staged).substr(before));
}

void instance_output::on_batch_end(logs::stream from) {
  bool is_err = from == logs::stream::err;
  auto& staged = is_err ? staged_err_ : staged_out_;
  auto& lines = is_err ? staged_err_lines_ : staged_out_lines_;
  if (staged.empty()) return;
  (is_err ? *err_ : *out_).append(staged, lines);
  staged.clear();
  if (staged.capacity() > 256 * 1024) staged.shrink_to_fit();
  lines = 0;
}

void instance_output::on_eof(logs::stream) {
  std::erase_if(pumps_, [](const std::shared_ptr<logs::pump>& p) { return !p->is_open(); });
}

}  // namespace taskmux::supervisor
