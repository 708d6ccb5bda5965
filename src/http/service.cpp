#include "http/service.hpp"

#include "supervisor/supervisor.hpp"

namespace taskmux::http {

service::service(supervisor::supervisor& s, reports::pipeline& p, const config::http& cfg)
    : where_(cfg.listen),
      view_(s, p),
      routes_(view_, cfg.token),
      server_(
          s.loop(), [this](const request& r) { return routes_.handle(r); },
          [&s](std::string_view level, std::string text) { s.log(level, text); }) {}

std::string service::listen() {
  return server_.listen(where_);
}

}  // namespace taskmux::http
