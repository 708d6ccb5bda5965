// The routes' sources read from a running supervisor and its report pipeline: status rows,
// readiness, the metrics samples. Loop thread only, like the supervisor it reads.
#pragma once

#include <vector>

#include "http/metrics.hpp"
#include "http/routes.hpp"
#include "supervisor/recent_faults.hpp"

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
  supervisor_view(supervisor::supervisor& s, reports::pipeline& p);
  ~supervisor_view() override;

  std::string status(const std::vector<std::string>& only) override;
  readiness ready() override;
  void metrics(std::string& out) override;
  std::string supervisor_name() override;
  std::string run_id() override;
  boost::json::array faults() override;
  std::string logs(const std::string& task, size_t lines) override;
  void act(std::string_view verb, const std::string& task) override;

 private:
  supervisor::supervisor& sup_;
  reports::pipeline& reports_;
  std::vector<instance_sample> samples_;  ///< reused: a scrape allocates it once
  supervisor::recent_faults faults_;      ///< a sink of the supervisor while the view lives
};

}  // namespace taskmux::http
