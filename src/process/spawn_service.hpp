// The one way to start a child: the spawner runs it, the reaper is told to expect it and
// then hands its exit over. A caller cannot split the two, so no exit is ever missed or
// taken for an orphan's. An interface, so the lifecycle can be driven without processes.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <string>

#include "process/reaper.hpp"
#include "process/spawn.hpp"
#include "process/spawner.hpp"

namespace taskmux::process {

class spawn_service {
 public:
  using started_fn = std::function<void(spawn_result)>;
  virtual ~spawn_service() = default;

  /// Starts `req` (everything it points to stays untouched until `started` runs). `started`
  /// runs on the loop, never inside this call, once the spawn is over; when it succeeded,
  /// `exited` runs once its child is reaped.
  virtual void start(const spawn_request& req, started_fn started, reaper::on_exit exited) = 0;
  /// A spawn that failed before it could start (no pipe, no such user) comes back the same
  /// way: `started` runs on the loop with `error`, never inside this call.
  virtual void fail(std::string error, started_fn started) = 0;
};

/// The real one: children through the spawner thread, exits from the reaper.
class os_spawn_service final : public spawn_service {
 public:
  os_spawn_service(boost::asio::io_context& loop, reaper& r, spawner& s) : loop_(loop), reaper_(r), spawner_(s) {}
  void start(const spawn_request& req, started_fn started, reaper::on_exit exited) override;
  void fail(std::string error, started_fn started) override;

 private:
  boost::asio::io_context& loop_;
  reaper& reaper_;
  spawner& spawner_;
};

}  // namespace taskmux::process
