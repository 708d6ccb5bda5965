// Python's `text % dict`, as supervisord expands its values: %(name)s, %(name)02d, %%.
// Names resolve to text, numbers, or references that taskmux resolves at run time.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "migrate/pieces.hpp"

namespace taskmux::migrate {

/// %(process_num)s: the instance number plus numprocs_start, known only at run time.
struct process_number {
  long offset = 0;
};

/// What a name stands for: text (which may hold run-time references), an integer, or the
/// process number.
using binding = std::variant<pieces, long, process_number>;

/// The binding of a name, or nothing when the name is unknown (an error, as in supervisord).
using binding_lookup = std::function<std::optional<binding>(std::string_view name)>;

/// Expands every %(name)FORMAT of `text` and turns %% into %. Supported conversions: s, d,
/// i, u, x, X, o, with Python's flags, width and precision. A reference known only at run
/// time takes a format only if it is the process number. Errors say what is wrong, in
/// Python's words where Python has them.
std::variant<pieces, std::string> expand_percent(std::string_view text,
                                                 const binding_lookup& lookup);

}  // namespace taskmux::migrate
