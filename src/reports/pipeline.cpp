#include "reports/pipeline.hpp"

#include <stdexcept>

#include "reports/amqp_publisher.hpp"

namespace taskmux::reports {

pipeline::pipeline(const config::config& cfg, log_fn log) {
  // Opened here, on the caller's thread: a bad state_dir fails the start, and the schema
  // exists before any other connection (the publisher's) opens the file.
  store s(store::file_in(cfg.supervisor.state_dir));
  if (cfg.reports.backend == config::report_backend::embedded) {
    writer_ = std::make_unique<store_writer>(std::move(s), store_writer::target::queues, cfg.reports.retain, log);
    return;
  }
  std::string error;
  auto target = parse_amqp_url(cfg.reports.url, error);
  if (!target) throw std::invalid_argument("reports.url: " + error);
  publisher_ = std::make_unique<amqp_publisher>(*target, s.file(), log);
  // The outbox is the embedded store: reports are on disk before the broker sees them.
  writer_ = std::make_unique<store_writer>(std::move(s), store_writer::target::outbox, 0, log,
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

}  // namespace taskmux::reports
