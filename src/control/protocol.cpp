#include "control/protocol.hpp"

namespace taskmux::control {

std::filesystem::path socket_path(const std::filesystem::path& state_dir) { return state_dir / "control.sock"; }

boost::json::object ok(boost::json::value result) {
  boost::json::object o;
  o["ok"] = true;
  o["result"] = std::move(result);
  return o;
}

std::string ok_text(std::string_view result_json) {
  std::string line = R"({"ok":true,"result":)";
  line.reserve(line.size() + result_json.size() + 1);
  line += result_json;
  line += '}';
  return line;
}

boost::json::object error(std::string message, int exit_code) {
  boost::json::object o;
  o["ok"] = false;
  o["error"] = std::move(message);
  o["exit"] = exit_code;
  return o;
}

}  // namespace taskmux::control
