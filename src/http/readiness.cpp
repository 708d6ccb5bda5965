#include "http/readiness.hpp"

namespace taskmux::http {

std::string readiness_text(const readiness& r) {
  if (r.is_ready()) return "ok\n";
  std::string text = "not ready: ";
  if (r.shutting_down) text += "shutting down";
  for (size_t i = 0; i < r.waiting_for.size(); ++i) {
    auto& n = r.waiting_for[i];
    if (i > 0 || r.shutting_down) text += ", ";
    text += n.label;
    text += " (";
    text += to_string(n.state);
    text += ')';
  }
  text += '\n';
  return text;
}

boost::json::object actuator_health(const readiness& r) {
  boost::json::object doc;
  if (r.is_ready()) {
    doc["status"] = "UP";
    return doc;
  }
  doc["status"] = "DOWN";
  boost::json::object rest;
  for (auto& n : r.waiting_for)
    rest[n.label] = to_string(n.state);
  boost::json::object details;
  details["shutting_down"] = r.shutting_down;
  details["not_ready"] = std::move(rest);
  doc["details"] = std::move(details);
  return doc;
}

}  // namespace taskmux::http
