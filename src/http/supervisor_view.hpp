// The routes' sources read from a running supervisor and its report pipeline: status rows,
// readiness, the metrics samples. Loop thread only, like the supervisor it reads.
#pragma once

#include <vector>

#include "http/metrics.hpp"
#include "http/routes.hpp"

namespace taskmux::supervisor {
class supervisor;
}
namespace taskmux::reports {
class pipeline;
}

namespace taskmux::http {

class supervisor_view final : public sources {
 public:
  /// Both must outlive it.
  supervisor_view(supervisor::supervisor& s, reports::pipeline& p) : sup_(s), reports_(p) {}

  boost::json::object status(const std::vector<std::string>& only) override;
  readiness ready() override;
  void metrics(std::string& out) override;
  std::string supervisor_name() override;
  std::string run_id() override;

 private:
  supervisor::supervisor& sup_;
  reports::pipeline& reports_;
  std::vector<instance_sample> samples_;  ///< reused: a scrape allocates it once
};

}  // namespace taskmux::http
