// Pieces of config.toml text: TOML strings and keys, strings that survive taskmux's ${VAR}
// expansion at load, words for `/bin/sh -c`, and comments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "migrate/pieces.hpp"

namespace taskmux::migrate {

/// A TOML basic string ("...") that a TOML parser reads back as exactly `text`.
std::string toml_string(std::string_view text);

/// A TOML key: bare when it is [A-Za-z0-9_-]+, else quoted.
std::string toml_key(std::string_view key);

/// A TOML array of strings, on one line.
std::string toml_array(const std::vector<std::string>& items);

/// The text of a config string that taskmux turns into `value` when it loads the file:
/// literal text with each '$' that would start "${" or "$$" written "$$", and each
/// %(ENV_X)s as ${X}. `value` holds no process number.
std::string load_time_text(const pieces& value);

/// Shell text (not to be expanded by taskmux) made safe for taskmux's load: "$$" for each '$'
/// that would start "${" or "$$".
std::string escape_for_load(std::string_view shell_text);

/// One word of a `/bin/sh -c` command: literal text quoted where the shell would change it,
/// %(ENV_X)s as "$X", the process number as "$TASK_INSTANCE", "$((TASK_INSTANCE + N))", or
/// printf of either for a format such as %02d.
std::string shell_word(const pieces& value);

/// `text` as comment lines ("#" + indent + " ..."), wrapped at 100 columns; control characters
/// are shown escaped (\n, \t, \xNN), as TOML comments cannot hold them.
std::string comment_lines(std::string_view text, std::string_view indent = "");

/// `text` on one line with its control characters escaped, for use inside a comment.
std::string printable(std::string_view text);

/// A line of TOML with where it came from as a trailing comment, or above it when that is long.
std::string key_line(const std::string& toml, const std::string& from);

/// Every line of `block` commented out with "# ".
std::string commented(const std::string& block);

}  // namespace taskmux::migrate
