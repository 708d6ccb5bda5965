#include "config/name.hpp"

#include <algorithm>
#include <cctype>

namespace taskmux::config {

bool is_valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '_' || c == '.' || c == '-';
         });
}

std::string invalid_name_message(std::string_view what, std::string_view name) {
  return std::string(what) + " \"" + std::string(name) +
         "\" must match [A-Za-z0-9_.-]+ (at most 64)";
}

}  // namespace taskmux::config
