// `taskmux version`.
#include <iostream>

#include "cli/commands.hpp"

namespace taskmux::cli {

command_body add_version(CLI::App& app) {
  app.add_subcommand("version", "Print the version");
  return [] {
    std::cout << "taskmux " TASKMUX_VERSION "\n";
    return exit_code::success;
  };
}

}  // namespace taskmux::cli
