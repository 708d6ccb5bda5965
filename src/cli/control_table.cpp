#include "cli/control_table.hpp"

#include <stdexcept>

#include "control/protocol.hpp"
#include "logs/json_writer.hpp"
#include "supervisor/status.hpp"

namespace taskmux::cli {
namespace {

namespace json = boost::json;
using supervisor::instance;

/// The tasks a start/stop/restart request names: "tasks", or every task with "all": true.
std::vector<std::string> targets_of(const json::object& r) {
  auto names = control::task_names(r);
  auto* all = r.if_contains("all");
  bool everything = all && all->is_bool() && all->as_bool();
  if (names.empty() && !everything) throw std::invalid_argument("name a task, or --all");
  if (!names.empty() && everything) throw std::invalid_argument("name tasks or --all, not both");
  return names;
}

json::object instance_row(const instance& i) {
  return json::object{{"name", i.label()},
                      {"state", to_string(i.state())},
                      {"pid", i.pid() ? json::value(i.pid()) : json::value(nullptr)}};
}

/// What the instances of the named tasks became (as they are now: a reload may have removed
/// some while the request waited), or (exit 1) which did not get there in time.
json::object outcome(const char* verb, const std::vector<instance*>& all, const std::vector<instance*>& late) {
  if (!late.empty()) {
    std::string list;
    for (auto* i : late)
      list += (list.empty() ? "" : ", ") + i->label() + " (" + std::string(to_string(i->state())) + ")";
    return control::error(std::string("not ") + verb + " in time: " + list, 1);
  }
  json::array rows;
  for (auto* i : all) rows.push_back(instance_row(*i));
  return control::ok(json::object{{"instances", std::move(rows)}});
}

using operation = void (supervisor::supervisor::*)(const std::vector<std::string>&,
                                                   supervisor::supervisor::request_done);

/// start, stop and restart: the request is checked at once, answered once the instances settled.
control::commands::async_handler operation_handler(supervisor::supervisor& s, operation op, const char* verb) {
  return [&s, op, verb](const json::object& r, std::shared_ptr<control::responder> reply) {
    auto names = targets_of(r);
    (s.*op)(names, [&s, reply, names, verb](std::vector<instance*> late) {
      reply->answer(outcome(verb, s.existing_instances_of(names), late));
    });
  };
}

/// `logs [-f] [-n N] TASK`: a header line, the last lines of each instance, then (-f) every new
/// line until the client goes away.
void logs(supervisor::supervisor& s, const json::object& r, std::shared_ptr<control::responder> reply) {
  auto* task = r.if_contains("task");
  if (!task || !task->is_string()) throw std::invalid_argument("name a task");
  std::string name(task->as_string());
  size_t lines = 100;
  if (auto* n = r.if_contains("lines"); n && n->is_int64() && n->as_int64() >= 0) lines = static_cast<size_t>(n->as_int64());
  auto* f = r.if_contains("follow");
  bool follow = f && f->is_bool() && f->as_bool();
  auto instances = s.instances_of({name});
  reply->stream(control::ok(json::object{{"task", name}, {"follow", follow}}));
  for (auto* i : instances) reply->more(i->recent_text(lines));
  if (!follow) return reply->end();
  std::weak_ptr<control::responder> weak = reply;
  auto id = s.follow(
      name,
      [weak](std::string_view text) {
        if (auto r = weak.lock()) r->more(text);
      },
      [weak, name] {
        if (auto r = weak.lock()) {
          r->more("[taskmux: " + name + " was removed or replaced by a reload; its output ends here]\n");
          r->end();
        }
      });
  reply->on_gone([&s, name, id] { s.unfollow(name, id); });
  if (reply->is_gone()) s.unfollow(name, id);
}

/// `reload`: what changed, or (exit 2) every problem of the file, the running set kept.
void reload(supervisor::supervisor& s, const std::shared_ptr<control::responder>& reply) {
  auto out = s.reload_file();
  if (!out.applied) {
    std::string all;
    for (auto& p : out.problems) all += (all.empty() ? "" : "\n") + p;
    return reply->answer(control::error(all + "\n" + s.cfg().file.string() + ": " +
                                            std::to_string(out.problems.size()) +
                                            (out.problems.size() == 1 ? " problem" : " problems") +
                                            "; the running tasks are kept",
                                        2));
  }
  auto& r = *out.applied;
  std::string result;
  logs::json_writer w(result);
  w.open('{');
  for (auto [key, names] : {std::pair{"added", &r.added}, {"removed", &r.removed}, {"restarted", &r.restarted},
                            {"scaled", &r.scaled}, {"unchanged", &r.unchanged}, {"needs_restart", &r.needs_restart}}) {
    w.key(key).open('[');
    for (auto& n : *names) {
      w.element();
      w.text(n);
    }
    w.close(']');
  }
  w.key("took_ms").number(static_cast<double>(out.took.count()) / 1000);  // written plainly: 3.7, not 3.7E0
  w.close('}');
  reply->answer_text(control::ok_text(result));
}

}  // namespace

control::commands control_table(supervisor::supervisor& s) {
  control::commands c;
  c.add_async("status", [&s](const json::object& r, std::shared_ptr<control::responder> reply) {
    reply->answer_text(control::ok_text(supervisor::status_json(s, control::task_names(r))));
  });
  c.add("ping", [&s](const json::object&) { return control::ok(json::string(s.run_id())); });
  c.add_async("start", operation_handler(s, &supervisor::supervisor::start, "started"));
  c.add_async("stop", operation_handler(s, &supervisor::supervisor::stop, "stopped"));
  c.add_async("restart", operation_handler(s, &supervisor::supervisor::restart, "restarted"));
  c.add_async("reload", [&s](const json::object&, std::shared_ptr<control::responder> reply) { reload(s, reply); });
  c.add_async("logs", [&s](const json::object& r, std::shared_ptr<control::responder> reply) { logs(s, r, reply); });
  return c;
}

}  // namespace taskmux::cli
