// `taskmux queue ls | tail [-f] [-n N] QUEUE | push QUEUE [MESSAGE] | pop QUEUE`: the embedded
// queue store, read and written directly (SQLite WAL), whether or not a supervisor runs.
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>
#include <iterator>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "cli/table.hpp"
#include "reports/store.hpp"

namespace taskmux::cli {
namespace {

struct queue_options {
  bool json = false;
  bool follow = false;
  size_t count = 10;
  std::string queue;
  std::string message;
  bool has_message = false;
};

/// Every queue command: the store of the config's state_dir, errors made readable.
exit_code with_store(const global_options& g,
                     const std::function<exit_code(reports::store&, const config::config&)>& body) {
  auto cfg = load_or_report(g.config_path());
  if (!cfg) return exit_code::usage;
  try {
    std::filesystem::create_directories(cfg->supervisor.state_dir);
    reports::store s(reports::store::file_in(cfg->supervisor.state_dir));
    return body(s, *cfg);
  } catch (const std::exception& e) {
    std::cerr << "taskmux: " << e.what() << "\n";
    return exit_code::failure;
  }
}

exit_code list(reports::store& s, const queue_options& o) {
  auto queues = s.list();
  auto pending = s.outbox_length();
  if (o.json) {
    boost::json::array rows;
    for (auto& q : queues) rows.push_back({{"queue", q.name}, {"messages", q.length}, {"dropped", q.dropped}});
    boost::json::object doc{{"queues", std::move(rows)}, {"outbox", pending}};
    std::cout << boost::json::serialize(doc) << "\n";
    return exit_code::success;
  }
  std::vector<std::vector<std::string>> rows{{"QUEUE", "MESSAGES", "DROPPED"}};
  for (auto& q : queues) rows.push_back({q.name, std::to_string(q.length), std::to_string(q.dropped)});
  print_table(std::cout, rows, ::isatty(STDOUT_FILENO) == 1);
  if (pending) std::cout << pending << " reports wait in the outbox for the AMQP broker\n";
  return exit_code::success;
}

exit_code tail(reports::store& s, const queue_options& o) {
  int64_t last = 0;
  // -n 0 prints none of what is there (store::tail takes 0 as "all"); with -f: only new ones.
  if (o.count > 0)
    for (auto& m : s.tail(o.queue, o.count)) {
      std::cout << m.body << "\n";
      last = m.id;
    }
  std::cout.flush();
  if (!o.follow) return exit_code::success;
  if (last == 0)
    if (auto newest = s.tail(o.queue, 1); !newest.empty()) last = newest.back().id;
  // A reader of a file that another process writes: polling is the portable way; 200 ms is
  // quick for a person and costs nothing measurable.
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (auto& m : s.tail(o.queue, 0, last)) {
      std::cout << m.body << "\n";
      last = m.id;
    }
    std::cout.flush();
    if (!std::cout) return exit_code::success;  // the reader went away (closed pipe)
  }
}

/// Held to `retain` like the supervisor's own reports: a queue fed by hand does not grow past it.
exit_code push(reports::store& s, const queue_options& o, int retain) {
  std::string body = o.message;
  if (!o.has_message) {
    body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (body.ends_with('\n')) body.pop_back();  // `echo hi | taskmux queue push Q` stores "hi"
  }
  s.push(o.queue, body, retain);
  return exit_code::success;
}

exit_code pop(reports::store& s, const queue_options& o) {
  auto m = s.pop(o.queue);
  if (!m) return exit_code::failure;  // empty: nothing on stdout, exit 1 (SPEC)
  std::cout << m->body << "\n";
  return exit_code::success;
}

}  // namespace

command_body add_queue(CLI::App& app, const global_options& g) {
  auto o = std::make_shared<queue_options>();
  auto* cmd = app.add_subcommand("queue", "Read and write the embedded report queues (works without a supervisor)");
  cmd->require_subcommand(1);
  auto* ls = cmd->add_subcommand("ls", "List the queues: messages held and messages dropped by `retain`");
  ls->add_flag("--json", o->json, "Print JSON");
  auto* t = cmd->add_subcommand("tail", "Print the newest messages of a queue (without removing them)");
  t->add_flag("-f,--follow", o->follow, "Keep printing new messages as they arrive");
  t->add_option("-n,--lines", o->count, "How many of the newest messages (default 10)");
  t->add_option("QUEUE", o->queue, "Queue name, e.g. _status_demo")->required();
  auto* pu = cmd->add_subcommand("push", "Append a message to a queue");
  pu->add_option("QUEUE", o->queue, "Queue name")->required();
  pu->add_option("MESSAGE", o->message, "Message body (default: all of stdin)");
  auto* po = cmd->add_subcommand("pop", "Remove the oldest message of a queue and print it; exit 1 when empty");
  po->add_option("QUEUE", o->queue, "Queue name")->required();
  return [&g, o, ls, t, pu, po]() -> exit_code {
    o->has_message = pu->count("MESSAGE") > 0;
    return with_store(g, [&](reports::store& s, const config::config& cfg) {
      if (ls->parsed()) return list(s, *o);
      if (t->parsed()) return tail(s, *o);
      if (pu->parsed()) return push(s, *o, cfg.reports.retain);
      if (po->parsed()) return pop(s, *o);
      return exit_code::usage;
    });
  };
}

}  // namespace taskmux::cli
