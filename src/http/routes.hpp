// The endpoint table of the HTTP server: which path answers what, who may ask (the token
// rule) and with which methods. No sockets and no Beast: server.cpp turns requests into
// these structs and the answers into bytes; unit tests call it directly.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/readiness.hpp"
#include "http/target.hpp"

namespace taskmux::http {

/// A request as the routes see it; views into the server's parse of it.
struct request {
  std::string_view method;         ///< "GET"
  std::string_view target;         ///< "/status?task=web"
  std::string_view authorization;  ///< the Authorization header, "" when absent
  std::string_view cookie;         ///< the Cookie header, "" when absent
};

struct response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< beyond Content-Type and -Length
};

/// What the routes read from the running supervisor (supervisor_view is the real one; unit
/// tests fake it). Called on the loop thread.
class sources {
 public:
  virtual ~sources() = default;
  /// The document of `status --json` as JSON text; std::invalid_argument naming unknown tasks
  /// in `only`.
  virtual std::string status(const std::vector<std::string>& only) = 0;
  virtual readiness ready() = 0;
  /// Appends the /metrics text.
  virtual void metrics(std::string& out) = 0;
  virtual std::string supervisor_name() = 0;
  virtual std::string run_id() = 0;
  /// The last fault reports, oldest first (recent_faults::to_json).
  virtual boost::json::array faults() = 0;
  /// The last `lines` of each instance of `task`, as `taskmux logs` prints them;
  /// std::invalid_argument naming an unknown task.
  virtual std::string logs(const std::string& task, size_t lines) = 0;
  /// "start", "stop" or "restart" of `task`, under way when it returns; std::invalid_argument
  /// naming an unknown task, std::runtime_error while taskmux shuts down.
  virtual void act(std::string_view verb, const std::string& task) = 0;
};

class routes {
 public:
  /// `src` must outlive it. `token`: the [http] token, "" for none.
  routes(sources& src, std::string token) : src_(src), token_(std::move(token)) {}

  /// The answer to `r`, HEAD included (the server drops the body and keeps its length).
  response handle(const request& r);

 private:
  response healthz(const target&);
  response readyz(const target&);
  response status(const target&);
  response metrics(const target&);
  response actuator_health(const target&);
  response actuator_info(const target&);
  response dashboard(const target&);
  response faults(const target&);
  response logs(const target&);
  response start(const target&);
  response stop(const target&);
  response restart(const target&);
  response act(std::string_view verb, const target&);

  struct route {
    std::string_view path;
    bool open;  ///< answers without the token
    bool post;  ///< POST only (it changes something); else GET and HEAD
    response (routes::*answer)(const target&);
  };
  static const route table_[];

  sources& src_;
  std::string token_;
};

}  // namespace taskmux::http
