// Python's shlex as supervisord uses it: shlex.split (POSIX mode) for `command`, and the
// default-mode tokenizer behind `environment = KEY="val",KEY2=val`. Run-time references
// (%(ENV_X)s, the process number) count as word characters, as their values usually are.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "migrate/pieces.hpp"

namespace taskmux::migrate {

/// shlex.split(value): words split on whitespace, '...' and "..." quoting, backslash escapes;
/// no comments. An error is Python's message ("No closing quotation", "No escaped character").
std::variant<std::vector<pieces>, std::string> shlex_split(const pieces& value);

using key_values = std::vector<std::pair<std::string, pieces>>;

/// supervisord's dict_of_key_value_pairs (4.2, 4.3): non-POSIX shlex tokens taken three at a
/// time (KEY, '=', VALUE) with one token between triples, whatever it is; each VALUE loses the
/// quote characters at its ends. A repeated KEY keeps its first place and its last value. A
/// KEY must be literal text.
std::variant<key_values, std::string> key_value_pairs(const pieces& value);

}  // namespace taskmux::migrate
