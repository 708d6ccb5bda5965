// The endpoint table against a fake supervisor: which paths are open, the token rule, the
// dashboard's token link, methods, unknown paths and tasks.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <stdexcept>

#include "http/routes.hpp"

namespace {

using namespace taskmux::http;
using taskmux::supervisor::state;

class fake_sources final : public sources {
 public:
  std::string status(const std::vector<std::string>& only) override {
    for (auto& name : only)
      if (name != "web") throw std::invalid_argument("unknown task: " + name);
    asked = only;
    return R"({"supervisor":"demo","run":"abc123","tasks":[]})";
  }
  readiness ready() override { return ready_now; }
  void metrics(std::string& out) override { out += "taskmux_x 1\n"; }
  std::string supervisor_name() override { return "demo"; }
  std::string run_id() override { return "abc123"; }
  boost::json::array faults() override { return {boost::json::object{{"message", "boom"}}}; }
  std::string logs(const std::string& task, size_t lines) override {
    if (task != "web") throw std::invalid_argument("unknown task: " + task);
    return "web[0] | " + std::to_string(lines) + " lines\n";
  }
  void act(std::string_view verb, const std::string& task) override {
    if (task != "web") throw std::invalid_argument("unknown task: " + task);
    acted.push_back(std::string(verb) + " " + task);
  }
  std::vector<std::string> acted;

  readiness ready_now;
  std::vector<std::string> asked;
};

std::string header(const response& r, std::string_view name) {
  for (auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

response get(routes& r, std::string_view target, std::string_view authorization = "",
             std::string_view cookie = "", std::string_view method = "GET") {
  return r.handle({method, target, authorization, cookie});
}

}  // namespace

TEST_CASE("routes: without a token every path answers; unknown ones are 404") {
  fake_sources src;
  routes r(src, "");
  CHECK(get(r, "/healthz").status == 200);
  CHECK(get(r, "/healthz").body == "ok\n");
  CHECK(get(r, "/livez").body == "ok\n");
  CHECK(get(r, "/readyz").status == 200);
  CHECK(get(r, "/status").status == 200);
  CHECK(get(r, "/metrics").status == 200);
  CHECK(get(r, "/metrics").content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(get(r, "/metrics").body == "taskmux_x 1\n");
  CHECK(get(r, "/actuator/health").status == 200);
  CHECK(get(r, "/actuator/info").status == 200);
  CHECK(get(r, "/nope").status == 404);
  CHECK(get(r, "/healthz/").status == 404);
  auto dash = get(r, "/");
  CHECK(dash.status == 200);
  CHECK(dash.content_type == "text/html; charset=utf-8");
  CHECK(dash.body.find("<title>taskmux</title>") != std::string::npos);
  CHECK(dash.body.find("data-controls") == std::string::npos);  // no token: no buttons
  CHECK(get(r, "/api/faults").body == "[{\"message\":\"boom\"}]\n");
  CHECK(get(r, "/api/logs?task=web&lines=7").body == "web[0] | 7 lines\n");
  CHECK(get(r, "/api/logs?task=nope").status == 404);
  CHECK(get(r, "/api/logs").status == 400);
  CHECK(get(r, "/api/stop?task=web", "", "", "POST").status == 403);  // without a token, no controls
  CHECK(src.acted.empty());
}

TEST_CASE("routes: with a token, the dashboard has its buttons and POST /api/VERB acts on a task") {
  fake_sources src;
  routes r(src, "s3cret");
  std::string auth = "Bearer s3cret";
  CHECK(get(r, "/", auth).body.find(R"(<body data-controls="1">)") != std::string::npos);
  CHECK(get(r, "/api/stop?task=web").status == 401);
  CHECK(get(r, "/api/stop?task=web", auth).status == 405);  // a GET never changes anything
  CHECK(src.acted.empty());
  CHECK(get(r, "/api/stop?task=web", auth, "", "POST").status == 202);
  CHECK(get(r, "/api/restart?task=web", auth, "", "POST").status == 202);
  CHECK(get(r, "/api/start?task=nope", auth, "", "POST").status == 404);
  CHECK(src.acted == std::vector<std::string>{"stop web", "restart web"});
}

TEST_CASE("routes: /readyz and /actuator/health say 503 and why while something is not ready") {
  fake_sources src;
  src.ready_now.waiting_for.push_back({"web[1]", state::backoff});
  routes r(src, "");
  auto ready = get(r, "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.body == "not ready: web[1] (backoff)\n");
  auto health = get(r, "/actuator/health");
  CHECK(health.status == 503);
  CHECK(boost::json::parse(health.body).at("status") == "DOWN");
}

TEST_CASE("routes: /status is the status document; ?task= filters and an unknown task is 404") {
  fake_sources src;
  routes r(src, "");
  auto all = get(r, "/status");
  CHECK(all.content_type == "application/json");
  CHECK(boost::json::parse(all.body).at("supervisor") == "demo");
  CHECK(src.asked.empty());
  CHECK(get(r, "/status?task=web").status == 200);
  CHECK(src.asked == std::vector<std::string>{"web"});
  auto unknown = get(r, "/status?task=ghost");
  CHECK(unknown.status == 404);
  CHECK(unknown.body == "unknown task: ghost\n");
}

TEST_CASE("routes: /actuator/info names the app, its version, the supervisor and the run") {
  fake_sources src;
  routes r(src, "");
  auto info = boost::json::parse(get(r, "/actuator/info").body).as_object();
  CHECK(info.at("app").at("name") == "taskmux");
  CHECK(info.at("app").at("version") == TASKMUX_VERSION);
  CHECK(info.at("supervisor") == "demo");
  CHECK(info.at("run") == "abc123");
}

TEST_CASE("routes: methods other than GET and HEAD are 405 with Allow") {
  fake_sources src;
  routes r(src, "");
  auto post = get(r, "/status", "", "", "POST");
  CHECK(post.status == 405);
  CHECK(header(post, "Allow") == "GET, HEAD");
  CHECK(get(r, "/healthz", "", "", "DELETE").status == 405);
  CHECK(get(r, "/healthz", "", "", "HEAD").status == 200);
}

TEST_CASE("routes: with a token, four paths stay open and the rest need it") {
  fake_sources src;
  routes r(src, "s3cret");
  for (auto open : {"/healthz", "/livez", "/readyz", "/actuator/health"}) {
    CAPTURE(open);
    CHECK(get(r, open).status == 200);
  }
  for (auto closed : {"/status", "/metrics", "/actuator/info", "/", "/nope"}) {
    CAPTURE(closed);
    auto missing = get(r, closed);
    CHECK(missing.status == 401);
    CHECK(header(missing, "WWW-Authenticate") == R"(Bearer realm="taskmux")");
    auto wrong = get(r, closed, "Bearer s3creT");
    CHECK(wrong.status == 401);
    CHECK(header(wrong, "WWW-Authenticate") == R"(Bearer realm="taskmux", error="invalid_token")");
    CHECK(get(r, closed, "Bearer s3cret").status != 401);
    CHECK(get(r, closed, "", "taskmux_token=s3cret").status != 401);
  }
  CHECK(get(r, "/status", "Bearer s3cret").status == 200);
  CHECK(get(r, "/nope", "Bearer s3cret").status == 404);
}

TEST_CASE("routes: the dashboard takes ?token= once: a cookie and a redirect without it") {
  fake_sources src;
  routes r(src, "s3cret");
  auto login = get(r, "/?token=s3cret");
  CHECK(login.status == 303);
  CHECK(header(login, "Location") == "/");
  auto cookie = header(login, "Set-Cookie");
  CHECK(cookie.starts_with("taskmux_token=s3cret;"));
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(cookie.find("Path=/") != std::string::npos);
  CHECK(get(r, "/", "", cookie.substr(0, cookie.find(';'))).status == 200);  // in with the cookie
  CHECK(get(r, "/?token=wrong").status == 401);
  CHECK(get(r, "/status?token=s3cret").status == 401);  // only the dashboard takes it
}
