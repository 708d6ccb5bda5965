// Which known key an unknown one was meant to be: a name brought from supervisord, systemd or
// docker-compose, or a misspelling of a key of the same table. Pure; load's "did you mean".
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace taskmux::config {

/// The key of `known` (the keys of one table) that `unknown` most likely means, or nothing
/// when no guess is clear. In order: a name of another tool for a key of `known`
/// (autorestart -> restart, WorkingDirectory -> workdir); else, with case and '-' folded to
/// '_', the one nearest key at most 2 edits away (and fewer than half the name); else the one
/// key that `unknown` begins with (the longest), or the only one that begins with `unknown`
/// (not both).
std::optional<std::string> suggest_key(std::string_view unknown,
                                       const std::set<std::string, std::less<>>& known);

}  // namespace taskmux::config
