// ${VAR} and ${VAR:-default} in config strings; pure, the environment comes in as a function.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace taskmux::config {

using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

struct expand_error {
  size_t offset;  ///< byte offset in the input where the bad reference starts
  std::string message;
};

/// Replaces every ${NAME} and ${NAME:-default}; "$$" is a literal "$". An unset NAME without a
/// default, or an unterminated/empty reference, is an error.
std::variant<std::string, expand_error> expand(std::string_view text, const env_lookup& env);

}  // namespace taskmux::config
