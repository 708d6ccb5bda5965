// `taskmux status [--json] [--check] [TASK...]`: one row per task instance, from the running
// supervisor; --check only says whether all are ready (a container HEALTHCHECK).
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/table.hpp"
#include "cli/reply.hpp"
#include "control/client.hpp"

namespace taskmux::cli {
namespace {

struct status_options {
  bool json = false;
  bool check = false;
  std::vector<std::string> tasks;
};

exit_code status(const global_options& g, const status_options& o) {
  boost::json::object request{{"command", "status"}};
  boost::json::array names;
  for (auto& t : o.tasks) names.emplace_back(t);
  request["tasks"] = std::move(names);
  exit_code failed{};
  auto result = result_of(control::call(g.socket_path(), request), failed);
  if (!result) return failed;
  auto& doc = *result;
  if (o.check) {
    // For HEALTHCHECK and scripts: quiet when all is well, the rest named when not.
    std::string not_ready;
    for (auto& row : doc["tasks"].as_array()) {
      auto& r = row.as_object();
      if (r["ready"].as_bool()) continue;
      not_ready += std::string(not_ready.empty() ? "" : ", ") + r["task"].as_string().c_str() + "[" +
                   std::to_string(r["instance"].as_int64()) + "] (" + r["state"].as_string().c_str() + ")";
    }
    if (not_ready.empty()) return exit_code::success;
    std::cerr << "not ready: " << not_ready << "\n";
    return exit_code::failure;
  }
  if (o.json) {
    std::cout << boost::json::serialize(doc) << "\n";
    return exit_code::success;
  }
  print_status_table(std::cout, doc, ::isatty(STDOUT_FILENO) == 1);
  return exit_code::success;
}

}  // namespace

command_body add_status(CLI::App& app, const global_options& g) {
  auto o = std::make_shared<status_options>();
  auto* cmd = app.add_subcommand("status", "Show every task instance: state, pid, uptime, restarts, last exit");
  cmd->add_flag("--json", o->json, "Print the stable JSON document instead of a table");
  cmd->add_flag("--check", o->check, "Print nothing; exit 0 only if every instance is ready (exit 1 naming the others)");
  cmd->add_option("TASK", o->tasks, "Only these tasks");
  return [&g, o] { return status(g, *o); };
}

}  // namespace taskmux::cli
