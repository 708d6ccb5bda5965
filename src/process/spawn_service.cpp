#include "process/spawn_service.hpp"

#include <boost/asio/post.hpp>

namespace taskmux::process {

void os_spawn_service::start(const spawn_request& req, started_fn started, reaper::on_exit exited) {
  reaper_.expect();
  spawner_.submit(req, [this, started = std::move(started), exited = std::move(exited)](spawn_result r) mutable {
    reaper_.settle(r, std::move(exited));
    started(std::move(r));
  });
}

void os_spawn_service::fail(std::string error, started_fn started) {
  boost::asio::post(loop_, [error = std::move(error), started = std::move(started)] {
    spawn_result r;
    r.error = error;
    started(std::move(r));
  });
}

}  // namespace taskmux::process
