// Reads the [[task]] array; kept apart from load.cpp because a task has most of the keys.
#pragma once

#include "config/model.hpp"
#include "config/table_reader.hpp"

namespace taskmux::config {

/// Appends one task per [[task]] table, in file order, even when a table has problems, so that
/// c.tasks[i] always belongs to the i-th table (validate() relies on that).
void read_tasks(table_reader& top, config& c, reader_context& ctx);

}  // namespace taskmux::config
