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
  std::string unset_name;  ///< NAME, when the error is that ${NAME} is not set
};

/// Called for each ${NAME:-default} whose NAME is unset (its default was used), with the byte
/// offset where the reference starts.
using unset_default_fn = std::function<void(const std::string& name, size_t offset)>;

/// Replaces every ${NAME} and ${NAME:-default}; "$$" is a literal "$". An unset NAME without a
/// default, or an unterminated/empty reference, is an error.
std::variant<std::string, expand_error> expand(std::string_view text, const env_lookup& env,
                                               const unset_default_fn& on_unset_default = {});

/// Where a ${NAME} is written, which decides how it can be left to the task instead.
enum class expansion_site {
  shell_command,  ///< a string `command` (run by /bin/sh -c)
  argv_command,   ///< an element of an argv `command`
  other,          ///< any other string
};

/// What to tell about ${`name`} at `site` when taskmux has no `name` but the task's `env` sets
/// it: that env does not expand the config, and what to write instead.
std::string env_only_hint(std::string_view name, expansion_site site);

}  // namespace taskmux::config
