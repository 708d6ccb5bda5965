#include "reports/pipeline.hpp"

namespace taskmux::reports {

pipeline::pipeline(const config::config& cfg, log_fn log) {
  store s(store::file_in(cfg.supervisor.state_dir));
  writer_ = std::make_unique<store_writer>(std::move(s), store_writer::target::queues, cfg.reports.retain, log);
}

pipeline::~pipeline() = default;

void pipeline::attach(supervisor::supervisor& s) {
  reporter_ = std::make_unique<reporter>(s, [w = writer_.get()](std::string queue, std::string body) {
    w->post({std::move(queue), std::move(body)});
  });
  s.add_sink(*reporter_);
}

void pipeline::finish(std::chrono::milliseconds) {
  if (reporter_) reporter_->finish();
  writer_->stop();
}

}  // namespace taskmux::reports
