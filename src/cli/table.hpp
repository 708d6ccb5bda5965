// Human tables (`taskmux status`, `taskmux queue ls`) on a terminal or in a pipe.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace taskmux::cli {

/// Columns padded to their widest cell; the first row is the (bold) header. `cell_color`
/// may give an ANSI color for a body cell.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows, bool color,
                 const std::function<std::string(size_t column, const std::string& cell)>& cell_color = {});

/// One row per instance: TASK STATE PID UPTIME RESTARTS LAST-EXIT NEXT-RUN STATUS.
void print_status_table(std::ostream& out, const boost::json::object& doc, bool color);

}  // namespace taskmux::cli
