// argv -> command table -> exit code; nothing else.
#include <iostream>
#include <map>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace taskmux::cli;
  CLI::App app{"taskmux: runs many tasks in one container", "taskmux"};
  app.require_subcommand(1);
  app.fallthrough();
  global_options g;
  app.add_option("-c,--config", g.config, "Config file (default: $TASKMUX_CONFIG, else ./config.toml)");
  app.add_option("--socket", g.socket, "Control socket (default: $TASKMUX_SOCKET, else <state_dir>/control.sock)");
  std::map<std::string, command_body> commands{
      {"run", add_run(app, g)},
      {"check", add_check(app, g)},
      {"status", add_status(app, g)},
      {"start", add_start(app, g)},
      {"stop", add_stop(app, g)},
      {"restart", add_restart(app, g)},
      {"reload", add_reload(app, g)},
      {"import", add_import(app)},
      {"logs", add_logs(app, g)},
      {"queue", add_queue(app, g)},
      {"notify", add_notify(app)},
      {"version", add_version(app)},
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : to_int(exit_code::usage);
  }
  for (auto* sub : app.get_subcommands()) return to_int(commands.at(sub->get_name())());
  return to_int(exit_code::usage);
}
