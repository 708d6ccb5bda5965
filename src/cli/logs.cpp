// `taskmux logs [-f] [-n N] TASK`: the last lines the supervisor kept of each instance of a
// task, as the console showed them; -f then follows new lines until interrupted.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/reply.hpp"
#include "control/client.hpp"

namespace taskmux::cli {
namespace {

struct logs_options {
  std::string task;
  bool follow = false;
  int lines = 100;
};

exit_code logs(const global_options& g, const logs_options& o) {
  boost::json::object request{{"command", "logs"}, {"task", o.task}, {"lines", o.lines}, {"follow", o.follow}};
  // Straight to the descriptor: a log line may be any bytes, and -f must show each at once.
  auto result = control::stream(g.socket_path(), request, [](std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
      if (n <= 0) return false;  // our reader went away (a closed pipe): stop following
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  });
  exit_code failed{};
  return result_of(std::move(result), failed) ? exit_code::success : failed;
}

}  // namespace

command_body add_logs(CLI::App& app, const global_options& g) {
  auto o = std::make_shared<logs_options>();
  auto* cmd = app.add_subcommand("logs", "Recent output of a task's instances, as the console showed it");
  cmd->add_option("TASK", o->task, "The task")->required();
  cmd->add_option("-n,--lines", o->lines, "Lines per instance (default 100)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("-f,--follow", o->follow, "Keep printing new lines until interrupted");
  return [&g, o] { return logs(g, *o); };
}

}  // namespace taskmux::cli
