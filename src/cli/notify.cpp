// `taskmux notify [--ready] [--status TEXT] [--fault TEXT] [--success TEXT] [--watchdog]`:
// what a program would send with sd_notify, from a shell script, to $NOTIFY_SOCKET.
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "notify/sender.hpp"

namespace taskmux::cli {
namespace {

struct notify_options {
  bool ready = false, watchdog = false, stopping = false;
  std::string status, fault, success;
};

/// One line of the protocol: a newline inside the text would start a new assignment.
std::string assignment(const char* key, std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return std::string(key) + "=" + text + "\n";
}

exit_code send(const notify_options& o, const CLI::App& cmd) {
  std::string payload;
  if (o.ready) payload += "READY=1\n";
  if (cmd.count("--status")) payload += assignment("STATUS", o.status);
  if (cmd.count("--fault")) payload += assignment("FAULT", o.fault);
  if (cmd.count("--success")) payload += assignment("SUCCESS", o.success);
  if (o.watchdog) payload += "WATCHDOG=1\n";
  if (o.stopping) payload += "STOPPING=1\n";
  if (payload.empty()) {
    std::cerr << "taskmux notify: nothing to send (use --ready, --status, --fault, --success, --watchdog)\n";
    return exit_code::usage;
  }
  const char* socket = std::getenv("NOTIFY_SOCKET");
  // Waiting for the receipt lets taskmux see our pid alive, so the message is attributed to
  // the right instance even though we exit right after.
  auto error = notify::send(socket ? socket : "", payload, std::chrono::seconds(5));
  if (!error.empty()) {
    std::cerr << "taskmux notify: " << error << "\n";
    return exit_code::unreachable;
  }
  return exit_code::success;
}

}  // namespace

command_body add_notify(CLI::App& app) {
  auto o = std::make_shared<notify_options>();
  auto* cmd = app.add_subcommand("notify", "From inside a task: tell taskmux you are ready, your status, a fault or a success");
  cmd->add_flag("--ready", o->ready, "READY=1: the task is ready (for ready = \"notify\")");
  cmd->add_option("--status", o->status, "STATUS=TEXT: progress, shown by `taskmux status` and sent to _status_<ns>");
  cmd->add_option("--fault", o->fault, "FAULT=TEXT: report a fault to _fault_<ns>");
  cmd->add_option("--success", o->success, "SUCCESS=TEXT: report a success to _success_<ns>");
  cmd->add_flag("--watchdog", o->watchdog, "WATCHDOG=1: still alive (for `watchdog`)");
  cmd->add_flag("--stopping", o->stopping, "STOPPING=1: the task is shutting down");
  return [o, cmd] { return send(*o, *cmd); };
}

}  // namespace taskmux::cli
