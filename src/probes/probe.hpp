// Ready and health checks of SPEC: a TCP connect, an HTTP GET, or a command's exit code. One
// call = one attempt, on the event loop, bounded by a timeout; the caller retries or counts.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/address.hpp"
#include "process/spawn_service.hpp"

namespace taskmux::probes {

/// `ok`, else `detail` says why ("connection refused", "HTTP 503", "exit code 1", "timed out").
using done_fn = std::function<void(bool ok, std::string detail)>;

/// One attempt in flight; destroying it cancels the attempt (its done_fn is then never called).
class attempt {
 public:
  virtual ~attempt() = default;
};

/// Connects to `where` (resolved for each attempt: a name may move, as a container's does).
std::unique_ptr<attempt> tcp(boost::asio::io_context& loop, const config::host_port& where,
                             std::chrono::milliseconds timeout, done_fn done);

/// GET; a status of 200-399 passes (as Kubernetes' httpGet).
std::unique_ptr<attempt> http(boost::asio::io_context& loop, const config::http_url& url,
                              std::chrono::milliseconds timeout, done_fn done);

/// Runs `argv` (output discarded, its own process group) through `spawns`; exit 0 passes.
/// Past `timeout` its group is killed and the attempt fails. The reaper reports its exit like
/// any other.
struct command {
  std::vector<std::string> argv;
  std::span<const char* const> env;  ///< "K=V" strings, copied for the spawn
  std::string workdir;
};
std::unique_ptr<attempt> exec(boost::asio::io_context& loop, process::spawn_service& spawns, const command& cmd,
                              std::chrono::milliseconds timeout, done_fn done);

/// What a check probes: a TCP address, an HTTP URL, or a command.
using target = std::variant<config::host_port, config::http_url, command>;

/// One attempt at `t`, whichever kind it is.
inline std::unique_ptr<attempt> start(boost::asio::io_context& loop, process::spawn_service& spawns, const target& t,
                                      std::chrono::milliseconds timeout, done_fn done) {
  if (auto* where = std::get_if<config::host_port>(&t)) return tcp(loop, *where, timeout, std::move(done));
  if (auto* url = std::get_if<config::http_url>(&t)) return http(loop, *url, timeout, std::move(done));
  return exec(loop, spawns, std::get<command>(t), timeout, std::move(done));
}

}  // namespace taskmux::probes
