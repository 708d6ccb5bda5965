// `taskmux start | stop | restart TASK... | --all`: asks the running supervisor, waits for its
// answer (stop: until the instances are stopped), prints what each instance became.
#include <boost/json/serialize.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/reply.hpp"
#include "control/client.hpp"

namespace taskmux::cli {
namespace {

struct operation_options {
  std::vector<std::string> tasks;
  bool all = false;
};

exit_code operate(const global_options& g, const std::string& command, const operation_options& o) {
  boost::json::object request{{"command", command}};
  boost::json::array names;
  for (auto& t : o.tasks) names.emplace_back(t);
  request["tasks"] = std::move(names);
  request["all"] = o.all;
  exit_code failed{};
  auto result = result_of(control::call(g.socket_path(), request), failed);
  if (!result) return failed;
  for (auto& row : (*result)["instances"].as_array()) {
    auto& r = row.as_object();
    std::cout << r["name"].as_string().c_str() << ": " << r["state"].as_string().c_str();
    if (r["pid"].is_int64()) std::cout << " (pid " << r["pid"].as_int64() << ")";
    std::cout << "\n";
  }
  return exit_code::success;
}

command_body add_operation(CLI::App& app, const global_options& g, const std::string& name, const std::string& what) {
  auto o = std::make_shared<operation_options>();
  auto* cmd = app.add_subcommand(name, what);
  cmd->add_option("TASK", o->tasks, "Tasks to " + name);
  cmd->add_flag("--all", o->all, "Every task");
  return [&g, o, name] {
    if (o->tasks.empty() == !o->all) {
      std::cerr << "taskmux " << name << ": name tasks or give --all (not both)\n";
      return exit_code::usage;
    }
    return operate(g, name, *o);
  };
}

}  // namespace

command_body add_start(CLI::App& app, const global_options& g) {
  return add_operation(app, g, "start", "Start stopped, exited or fatal tasks (a fatal one gets its start_limit back)");
}

command_body add_stop(CLI::App& app, const global_options& g) {
  return add_operation(app, g, "stop", "Stop tasks and wait until they are stopped; they stay stopped");
}

command_body add_restart(CLI::App& app, const global_options& g) {
  return add_operation(app, g, "restart", "Stop tasks, wait until they are stopped, start them again");
}

}  // namespace taskmux::cli
