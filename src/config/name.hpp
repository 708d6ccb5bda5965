// The one name rule of config.toml: task names, namespaces, the supervisor name and sftp
// endpoint names end up in queue names, labels and socket file names.
#pragma once

#include <string>
#include <string_view>

namespace taskmux::config {

/// [A-Za-z0-9_.-]+, at most 64 characters.
bool is_valid_name(std::string_view name);

/// `WHAT "NAME" must match [A-Za-z0-9_.-]+ (at most 64)`, for a name that is not valid.
std::string invalid_name_message(std::string_view what, std::string_view name);

}  // namespace taskmux::config
