#include "reports/pipeline.hpp"

#include <algorithm>

#include "reports/amqp_publisher.hpp"

namespace taskmux::reports {

pipeline::pipeline(const config::config& cfg, log_fn log) {
  auto file = store::file_in(cfg.supervisor.state_dir);
  if (cfg.reports.backend == config::report_backend::embedded) {
    writer_ = std::make_unique<store_writer>(file, store_writer::target::queues, cfg.reports.retain, log);
    return;
  }
  publisher_ = std::make_unique<amqp_publisher>(cfg.reports.url, file, log);
  // The outbox is the embedded store: reports are on disk before the broker sees them.
  writer_ = std::make_unique<store_writer>(file, store_writer::target::outbox, 0, log,
                                           [p = publisher_.get()] { p->wake(); });
  publisher_->start();
}

pipeline::~pipeline() = default;

void pipeline::attach(supervisor::supervisor& s) {
  reporter_ = std::make_unique<reporter>(s, [w = writer_.get()](std::string queue, std::string body) {
    w->post({std::move(queue), std::move(body)});
  });
  s.add_sink(*reporter_);
}

void pipeline::finish(std::chrono::milliseconds drain) {
  if (reporter_) reporter_->finish();
  writer_->stop();
  if (publisher_) publisher_->stop(drain);
}

pipeline::counters pipeline::counts() {
  auto w = writer_->snapshot();
  counters c{w.committed, std::nullopt, w.pending, w.dropped};
  if (publisher_) {
    auto p = publisher_->snapshot();
    c.published = p.confirmed;
    c.waiting += static_cast<uint64_t>(std::max<int64_t>(p.pending, 0));
  }
  return c;
}

}  // namespace taskmux::reports
