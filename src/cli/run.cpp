// `taskmux run` and `taskmux check`: the supervisor in the foreground, and the validator.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/control_table.hpp"
#include "cli/state_dir.hpp"
#include "cli/table.hpp"
#include "control/protocol.hpp"
#include "control/server.hpp"
#include "http/service.hpp"
#include "notify/listener.hpp"
#include "process/spawn.hpp"
#include "reports/pipeline.hpp"
#include "supervisor/config_warnings.hpp"
#include "supervisor/console.hpp"
#include "supervisor/status.hpp"
#include "supervisor/supervisor.hpp"

namespace taskmux::cli {
namespace {

/// Whether tasks running as another user reach their notify sockets through state_dir.
bool is_traversed_by_tasks(const config::config& cfg) {
  auto tasks = notify::task_sockets_of(cfg);
  return tasks.shared && notify::socket_directory::fits_under(cfg.supervisor.state_dir, tasks.longest_name);
}

exit_code run(const global_options& g) {
  config::diagnostics load_warnings;
  auto cfg = load_or_report(g.config_path(), &load_warnings);
  if (!cfg) return exit_code::usage;
  auto warnings = supervisor::warnings_about(*cfg, g.config_path(), std::move(load_warnings));
  // Sockets and files private whatever umask taskmux got; its tasks get that one back.
  mode_t started_umask = process::restrict_umask();
  auto state_dir =
      prepare_state_dir(cfg->supervisor.state_dir, is_traversed_by_tasks(*cfg), started_umask);
  if (!state_dir.error.empty()) {
    std::cerr << "taskmux: " << state_dir.error << "\n";
    return exit_code::failure;
  }
  process::raise_fd_limit();
  auto socket = g.socket_path(&cfg->supervisor.state_dir);
  supervisor::supervisor sup(std::move(*cfg), {::isatty(STDERR_FILENO) == 1});
  if (!state_dir.note.empty()) sup.log("warn", state_dir.note);
  // Said and started anyway: a missing program's spawn fails and is reported like any other.
  for (auto& w : warnings)
    sup.log("warn", config::format(w));
  supervisor::console_sink console(sup);
  sup.on_status_request([&sup] {
    std::ostringstream table;
    print_status_table(table, supervisor::status_document(sup, {}), false);
    std::string line;
    for (std::istringstream lines(table.str()); std::getline(lines, line);) sup.log("info", line);
  });
  sup.add_sink(console);
  std::unique_ptr<reports::pipeline> reports;
  try {
    reports = std::make_unique<reports::pipeline>(
        sup.cfg(), [&sup](std::string_view level, std::string text) { sup.log(level, text); });
  } catch (const std::exception& e) {
    std::cerr << "taskmux: " << e.what() << "\n";
    return exit_code::failure;
  }
  reports->attach(sup);
  auto commands = control_table(sup);
  control::server control(
      sup.loop(),
      [&commands](const boost::json::object& r, std::shared_ptr<control::responder> reply) {
        commands.dispatch(r, reply);
      },
      [&sup](std::string_view level, std::string text) { sup.log(level, text); });
  if (auto err = control.listen(socket); !err.empty()) {
    std::cerr << "taskmux: " << err << "\n";
    return exit_code::failure;
  }
  std::unique_ptr<http::service> web;
  if (sup.cfg().http) {
    web = std::make_unique<http::service>(sup, *reports, *sup.cfg().http);
    if (auto err = web->listen(); !err.empty()) {
      std::cerr << "taskmux: " << err << "\n";
      return exit_code::failure;
    }
  }
  int code = sup.run();
  // Reports are on disk once this returns; the broker gets a short chance to take them now.
  reports->finish(std::chrono::seconds(2));
  sup.close_output();
  return code == 0 ? exit_code::success : exit_code::failure;
}

exit_code check(const global_options& g) {
  auto path = g.config_path();
  config::diagnostics load_warnings;
  auto cfg = load_or_report(path, &load_warnings);
  if (!cfg) return exit_code::usage;
  // Warnings leave the exit code alone: the config is valid, the system may change.
  auto warnings = supervisor::warnings_about(*cfg, path, std::move(load_warnings));
  for (auto& w : warnings)
    std::cerr << config::format(w) << "\n";
  size_t instances = 0;
  for (auto& t : cfg->tasks) instances += t.instances;
  std::cout << path << ": OK (" << cfg->tasks.size() << " tasks, " << instances << " instances)\n";
  return exit_code::success;
}

}  // namespace

command_body add_run(CLI::App& app, const global_options& g) {
  app.add_subcommand("run", "Supervise the tasks of the config in the foreground (PID 1 in a container)");
  return [&g] { return run(g); };
}

command_body add_check(CLI::App& app, const global_options& g) {
  app.add_subcommand("check", "Validate the config; each problem as FILE:LINE:COL: message");
  return [&g] { return check(g); };
}

}  // namespace taskmux::cli
