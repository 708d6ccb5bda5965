#include "cli/reply.hpp"

#include <iostream>

namespace taskmux::cli {

std::optional<boost::json::object> result_of(control::call_result r, exit_code& code, bool prefixed) {
  if (!r.reply) {
    std::cerr << "taskmux: " << r.error << "\n";
    code = exit_code::unreachable;
    return std::nullopt;
  }
  auto& reply = *r.reply;
  if (!reply["ok"].as_bool()) {
    std::cerr << (prefixed ? "taskmux: " : "") << reply["error"].as_string().c_str() << "\n";
    code = static_cast<exit_code>(reply["exit"].to_number<int>());
    return std::nullopt;
  }
  auto* result = reply.if_contains("result");
  return result && result->is_object() ? result->as_object() : boost::json::object{};
}

}  // namespace taskmux::cli
