#include "control/commands.hpp"

#include <stdexcept>

#include "control/protocol.hpp"

namespace taskmux::control {

std::vector<std::string> task_names(const boost::json::object& request) {
  std::vector<std::string> names;
  if (auto* t = request.if_contains("tasks"); t && t->is_array())
    for (auto& v : t->as_array())
      if (v.is_string()) names.emplace_back(v.as_string());
  return names;
}

void commands::add(std::string name, handler h) {
  for (auto& [n, existing] : table_)
    if (n == name) {
      existing = std::move(h);
      return;
    }
  table_.emplace_back(std::move(name), std::move(h));
}

const commands::handler* commands::find(std::string_view name) const {
  for (auto& [n, h] : table_)
    if (n == name) return &h;
  return nullptr;
}

std::vector<std::string> commands::names() const {
  std::vector<std::string> out;
  for (auto& entry : table_)
    out.push_back(entry.first);
  return out;
}

boost::json::object commands::dispatch(const boost::json::object& request) const {
  auto* command = request.if_contains("command");
  if (!command || !command->is_string()) return error("request has no \"command\"", 2);
  std::string_view name = command->as_string();
  auto* h = find(name);
  if (!h) {
    std::string supported;
    for (auto& n : names())
      supported += (supported.empty() ? "" : ", ") + n;
    return error(
        "unknown command \"" + std::string(name) + "\" (this taskmux supports: " + supported + ")",
        2);
  }
  try {
    return (*h)(request);
  } catch (const std::invalid_argument& e) {
    return error(e.what(), 2);
  } catch (const std::exception& e) {
    return error("unable to " + std::string(name) + ": " + e.what(), 1);
  }
}

}  // namespace taskmux::control
