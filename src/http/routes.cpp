#include "http/routes.hpp"

#include <boost/json/serialize.hpp>
#include <algorithm>
#include <stdexcept>

#include "http/auth.hpp"
#include "http/dashboard.hpp"
#include "http/metrics.hpp"

namespace taskmux::http {
namespace {

constexpr std::string_view json_type = "application/json";

response text(unsigned status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body), {}};
}

response json(unsigned status, const boost::json::object& doc) {
  return {status, std::string(json_type), boost::json::serialize(doc) + "\n", {}};
}

response unauthorized(verdict v) {
  auto r = text(401, v == verdict::wrong
                         ? "unauthorized: wrong token\n"
                         : "unauthorized: send the token as Authorization: Bearer TOKEN\n");
  r.headers.emplace_back("WWW-Authenticate",
                         v == verdict::wrong ? R"(Bearer realm="taskmux", error="invalid_token")"
                                             : R"(Bearer realm="taskmux")");
  return r;
}

bool is_read(std::string_view method) {
  return method == "GET" || method == "HEAD";
}

}  // namespace

const routes::route routes::table_[] = {
    {"/healthz", true, false, &routes::healthz},
    {"/livez", true, false, &routes::healthz},
    {"/readyz", true, false, &routes::readyz},
    {"/actuator/health", true, false, &routes::actuator_health},
    {"/status", false, false, &routes::status},
    {"/metrics", false, false, &routes::metrics},
    {"/actuator/info", false, false, &routes::actuator_info},
    {"/", false, false, &routes::dashboard},
    {"/api/faults", false, false, &routes::faults},
    {"/api/logs", false, false, &routes::logs},
    {"/api/start", false, true, &routes::start},
    {"/api/stop", false, true, &routes::stop},
    {"/api/restart", false, true, &routes::restart},
};

response routes::handle(const request& r) {
  auto t = parse_target(r.target);
  if (!t) return text(400, "bad request: malformed target\n");
  const route* found = nullptr;
  for (auto& candidate : table_)
    if (candidate.path == t->path) found = &candidate;
  if ((!found || !found->open) && !token_.empty()) {
    // The dashboard's link may carry the token once: it moves into a cookie and out of the
    // address bar (a redirect to the same path without it).
    auto given = found && found->answer == &routes::dashboard && is_read(r.method)
                     ? t->first("token")
                     : std::nullopt;
    if (given) {
      if (!token_equals(token_, *given)) return unauthorized(verdict::wrong);
      auto res = text(303, "see " + t->path + "\n");
      res.headers.emplace_back("Location", t->path);
      res.headers.emplace_back("Set-Cookie", token_cookie(token_));
      return res;
    }
    if (auto v = check_token(token_, {r.authorization, r.cookie}); v != verdict::granted)
      return unauthorized(v);
  }
  if (!found) return text(404, "not found\n");
  if (found->post && r.method != "POST") {
    auto res = text(405, "method not allowed: POST\n");
    res.headers.emplace_back("Allow", "POST");
    return res;
  }
  if (!found->post && !is_read(r.method)) {
    auto res = text(405, "method not allowed: GET or HEAD\n");
    res.headers.emplace_back("Allow", "GET, HEAD");
    return res;
  }
  return (this->*found->answer)(*t);
}

response routes::healthz(const target&) {
  return text(200, "ok\n");
}

response routes::readyz(const target&) {
  auto r = src_.ready();
  return text(r.is_ready() ? 200 : 503, readiness_text(r));
}

response routes::status(const target& t) {
  try {
    return {200, std::string(json_type), src_.status(t.all("task")) + "\n", {}};
  } catch (const std::invalid_argument& e) {
    return text(404, std::string(e.what()) + "\n");
  }
}

response routes::metrics(const target&) {
  response r{200, std::string(metrics_content_type), {}, {}};
  src_.metrics(r.body);
  return r;
}

response routes::actuator_health(const target&) {
  auto r = src_.ready();
  return json(r.is_ready() ? 200 : 503, http::actuator_health(r));
}

response routes::actuator_info(const target&) {
  boost::json::object doc;
  doc["app"] = {{"name", "taskmux"}, {"version", TASKMUX_VERSION}};
  doc["supervisor"] = src_.supervisor_name();
  doc["run"] = src_.run_id();
  return json(200, doc);
}

response routes::dashboard(const target&) {
  // The buttons only where a token guards them: without one, anyone who reaches the port
  // could stop the tasks.
  return {200, "text/html; charset=utf-8", dashboard_page(!token_.empty()),
          {{"Cache-Control", "no-store"}, {"Content-Security-Policy",
                                           "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                           "connect-src 'self'; img-src 'self'; frame-ancestors 'none'"}}};
}

response routes::faults(const target&) {
  return {200, std::string(json_type), boost::json::serialize(src_.faults()) + "\n", {{"Cache-Control", "no-store"}}};
}

response routes::logs(const target& t) {
  auto task = t.first("task");
  if (!task || task->empty()) return text(400, "name a task: /api/logs?task=NAME\n");
  size_t lines = 100;
  if (auto n = t.first("lines")) {
    try {
      lines = std::min<size_t>(std::stoul(std::string(*n)), 10'000);
    } catch (const std::exception&) {
      return text(400, "lines must be a number\n");
    }
  }
  try {
    return text(200, src_.logs(std::string(*task), lines));
  } catch (const std::invalid_argument& e) {
    return text(404, std::string(e.what()) + "\n");
  }
}

response routes::start(const target& t) { return act("start", t); }
response routes::stop(const target& t) { return act("stop", t); }
response routes::restart(const target& t) { return act("restart", t); }

response routes::act(std::string_view verb, const target& t) {
  if (token_.empty()) return text(403, "forbidden: start, stop and restart over HTTP need [http] token\n");
  auto task = t.first("task");
  if (!task || task->empty()) return text(400, "name a task: ?task=NAME\n");
  try {
    src_.act(verb, std::string(*task));
  } catch (const std::invalid_argument& e) {
    return text(404, std::string(e.what()) + "\n");
  } catch (const std::runtime_error& e) {
    return text(409, std::string(e.what()) + "\n");
  }
  return text(202, std::string(verb) + " " + std::string(*task) + ": under way\n");
}

}  // namespace taskmux::http
