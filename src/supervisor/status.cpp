#include "supervisor/status.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "logs/format.hpp"
#include "supervisor/supervisor.hpp"

namespace taskmux::supervisor {
namespace {

boost::json::object row(const instance& i) {
  namespace json = boost::json;
  json::object r;
  r["task"] = i.task().name;
  r["instance"] = i.index();
  r["state"] = std::string(to_string(i.state()));
  r["ready"] = i.counts_as_ready();
  r["pid"] = i.pid() ? json::value(i.pid()) : json::value(nullptr);
  bool up = is_up(i.state()) || i.state() == state::stopping;
  if (up && i.started_at()) {
    r["started_at"] = logs::iso_timestamp(*i.started_at());
    auto uptime = std::chrono::duration<double>(std::chrono::system_clock::now() - *i.started_at()).count();
    r["uptime_s"] = std::round(uptime * 10) / 10;
  } else {
    r["started_at"] = nullptr;
    r["uptime_s"] = nullptr;
  }
  r["restarts"] = i.restarts();
  if (i.last_exit_at()) {
    json::object e;
    auto ex = i.last_exit();
    e["code"] = ex && !ex->signal ? json::value(ex->code) : json::value(nullptr);
    e["signal"] = ex && ex->signal ? json::value(ex->signal) : json::value(nullptr);
    e["at"] = logs::iso_timestamp(*i.last_exit_at());
    r["last_exit"] = std::move(e);
  } else {
    r["last_exit"] = nullptr;
  }
  r["status"] = i.status_text() ? json::value(*i.status_text()) : json::value(nullptr);
  auto next = i.next_run();
  r["next_run"] = next ? json::value(logs::iso_timestamp(*next)) : json::value(nullptr);
  return r;
}

}  // namespace

boost::json::object status_document(const supervisor& s, const std::vector<std::string>& only) {
  std::vector<std::string> unknown;
  for (auto& name : only)
    if (!s.cfg().find_task(name)) unknown.push_back(name);
  if (!unknown.empty()) {
    std::string list;
    for (auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
    throw std::invalid_argument("unknown task: " + list);
  }
  boost::json::array rows;
  for (auto& slot : s.tasks()) {
    if (!only.empty() && std::find(only.begin(), only.end(), slot.cfg->name) == only.end()) continue;
    for (auto& i : slot.instances) rows.push_back(row(*i));
  }
  boost::json::object doc;
  doc["supervisor"] = s.cfg().supervisor.name;
  doc["run"] = s.run_id();
  doc["tasks"] = std::move(rows);
  return doc;
}

}  // namespace taskmux::supervisor
