// `taskmux import supervisord.conf`: the equivalent config.toml on stdout, and on stderr what
// taskmux does not keep as supervisord had it.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "migrate/ini.hpp"
#include "migrate/programs.hpp"
#include "migrate/to_toml.hpp"

namespace taskmux::cli {
namespace {

exit_code report(const std::vector<migrate::ini_note>& errors) {
  for (auto& e : errors)
    std::cerr << e.to_string() << "\n";
  return exit_code::usage;
}

exit_code import(const std::string& file) {
  auto host = migrate::this_host();
  auto ini = migrate::read_supervisord_conf(file, host);
  if (auto* errors = std::get_if<std::vector<migrate::ini_note>>(&ini)) return report(*errors);
  auto conf = migrate::read_programs(file, std::move(std::get<migrate::ini_document>(ini)), host);
  if (auto* errors = std::get_if<std::vector<migrate::ini_note>>(&conf)) return report(*errors);
  auto result = migrate::to_toml(std::get<migrate::supervisord_conf>(conf));
  std::cout << result.toml << std::flush;
  std::cerr << "taskmux import: " << result.tasks << " task(s) written";
  if (result.commented_out)
    std::cerr << ", " << result.commented_out << " program(s) left as comments";
  std::cerr << "\n";
  if (!result.summary.empty()) {
    std::cerr
        << "taskmux import: settings taskmux does not keep as they were (see the comments):\n";
    for (auto& line : result.summary)
      std::cerr << "  " << line << "\n";
  }
  return std::cout ? exit_code::success : exit_code::failure;
}

}  // namespace

command_body add_import(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  auto* cmd =
      app.add_subcommand("import", "Print the config.toml equivalent to a supervisord.conf");
  cmd->add_option("file", *file, "supervisord.conf to convert")->required();
  return [file] { return import(*file); };
}

}  // namespace taskmux::cli
