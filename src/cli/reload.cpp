// `taskmux reload`: the running supervisor reads its config file again and applies the
// difference; an invalid file changes nothing and every problem is printed (exit 2).
#include <iostream>

#include "cli/commands.hpp"
#include "cli/reply.hpp"
#include "control/client.hpp"

namespace taskmux::cli {
namespace {

exit_code reload(const global_options& g) {
  exit_code failed{};
  // The problems of an invalid file are FILE:LINE:COL lines of their own: no prefix.
  auto result = result_of(control::call(g.socket_path(), boost::json::object{{"command", "reload"}}), failed, false);
  if (!result) return failed;
  auto& r = *result;
  bool any = false;
  for (auto* what : {"added", "removed", "restarted", "scaled"}) {
    auto& names = r[what].as_array();
    if (names.empty()) continue;
    any = true;
    std::cout << what << ":";
    for (auto& n : names) std::cout << " " << n.as_string().c_str();
    std::cout << "\n";
  }
  if (!any) std::cout << "nothing changed\n";
  for (auto& key : r["needs_restart"].as_array())
    std::cout << key.as_string().c_str() << " changed: applies when taskmux restarts\n";
  return exit_code::success;
}

}  // namespace

command_body add_reload(CLI::App& app, const global_options& g) {
  app.add_subcommand("reload", "Re-read the config file and apply the difference (invalid: nothing changes)");
  return [&g] { return reload(g); };
}

}  // namespace taskmux::cli
