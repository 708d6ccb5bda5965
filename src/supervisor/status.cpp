#include "supervisor/status.hpp"

#include <boost/json/parse.hpp>
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "logs/json_writer.hpp"
#include "supervisor/supervisor.hpp"

namespace taskmux::supervisor {
namespace {

void row(logs::json_writer& w, const instance& i, std::chrono::system_clock::time_point now) {
  w.open('{');
  w.key("task").text(i.task().name);
  w.key("instance").number(i.index());
  w.key("state").text(to_string(i.state()));
  w.key("ready").boolean(i.counts_as_ready());
  if (i.pid()) w.key("pid").number(i.pid());
  else w.key("pid").null();
  bool up = is_up(i.state()) || i.state() == state::stopping;
  if (up && i.started_at()) {
    w.key("started_at").timestamp(*i.started_at());
    auto uptime = std::max(0.0, std::chrono::duration<double>(now - *i.started_at()).count());
    w.key("uptime_s").number(std::round(uptime * 10) / 10);
  } else {
    w.key("started_at").null();
    w.key("uptime_s").null();
  }
  w.key("restarts").number(i.restarts());
  if (i.last_exit_at()) {
    auto ex = i.last_exit();
    w.key("last_exit").open('{');
    if (ex && !ex->signal) w.key("code").number(ex->code);
    else w.key("code").null();
    if (ex && ex->signal) w.key("signal").number(ex->signal);
    else w.key("signal").null();
    w.key("at").timestamp(*i.last_exit_at());
    w.close('}');
  } else {
    w.key("last_exit").null();
  }
  // A run's STATUS= text is of that run: a stopped or exited instance has none, as in systemd.
  if (const auto& text = i.status_text(); text && up) w.key("status").text(*text);
  else w.key("status").null();
  if (auto next = i.next_run()) w.key("next_run").timestamp(*next);
  else w.key("next_run").null();
  w.close('}');
}

}  // namespace

std::string status_rows_json(const supervisor& s, const std::vector<std::string>& only) {
  std::vector<std::string> unknown;
  for (auto& name : only)
    if (!s.cfg().find_task(name)) unknown.push_back(name);
  if (!unknown.empty()) {
    std::string list;
    for (auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
    throw std::invalid_argument("unknown task: " + list);
  }
  std::string out;
  logs::json_writer w(out);
  w.open('[');
  auto now = std::chrono::system_clock::now();
  for (auto& slot : s.tasks()) {
    if (!only.empty() && std::find(only.begin(), only.end(), slot.cfg->name) == only.end()) continue;
    for (auto& i : slot.instances) {
      w.element();
      row(w, *i, now);
    }
  }
  w.close(']');
  return out;
}

std::string status_json(const supervisor& s, const std::vector<std::string>& only) {
  auto rows = status_rows_json(s, only);
  std::string out;
  out.reserve(rows.size() + 64);
  logs::json_writer w(out);
  w.open('{');
  w.key("supervisor").text(s.cfg().supervisor.name);
  w.key("run").text(s.run_id());
  w.key("tasks").raw(rows);
  w.close('}');
  return out;
}

boost::json::object status_document(const supervisor& s, const std::vector<std::string>& only) {
  return boost::json::parse(status_json(s, only)).as_object();
}

}  // namespace taskmux::supervisor
