// The human status table (`taskmux status` on a terminal or in a pipe).
#pragma once

#include <boost/json/object.hpp>
#include <ostream>

namespace taskmux::cli {

/// One row per instance: TASK STATE PID UPTIME RESTARTS LAST-EXIT NEXT-RUN STATUS.
void print_status_table(std::ostream& out, const boost::json::object& doc, bool color);

}  // namespace taskmux::cli
