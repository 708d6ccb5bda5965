// The HTTP face of a running supervisor, put together from [http]: the view of the supervisor,
// the routes and the server, as pipeline.hpp puts the report path together.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config/model.hpp"
#include "http/routes.hpp"
#include "http/server.hpp"
#include "http/supervisor_view.hpp"

namespace taskmux::http {

class service {
 public:
  /// Serves `s` (and `p`'s counters) on `s`'s loop, with `cfg`'s token. Both must outlive it.
  service(supervisor::supervisor& s, reports::pipeline& p, const config::http& cfg);

  /// Binds [http] listen; an error message naming the address, empty on success.
  std::string listen();

 private:
  config::host_port where_;
  supervisor_view view_;
  routes routes_;
  server server_;
};

}  // namespace taskmux::http
