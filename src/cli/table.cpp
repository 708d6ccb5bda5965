#include "cli/table.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <string>
#include <vector>

#include "config/duration.hpp"
#include "config/signal_names.hpp"

namespace taskmux::cli {
namespace {

namespace json = boost::json;

std::string text(const json::value& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_double()) return config::format_duration(std::chrono::milliseconds(static_cast<long long>(v.as_double() * 1000)));
  return json::serialize(v);
}

std::string last_exit(const json::value& v) {
  if (v.is_null()) return "-";
  auto& e = v.as_object();
  if (!e.at("signal").is_null()) return config::signal_name(static_cast<int>(e.at("signal").as_int64()));
  if (!e.at("code").is_null()) return "code " + std::to_string(e.at("code").as_int64());
  return "failed to start";
}

const char* state_color(const std::string& s) {
  if (s == "ready" || s == "running" || s == "waiting") return "\033[32m";
  if (s == "fatal" || s == "blocked") return "\033[1;31m";
  if (s == "backoff" || s == "exited" || s == "stopping") return "\033[33m";
  return "";
}

}  // namespace

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows, bool color,
                 const std::function<std::string(size_t column, const std::string& cell)>& cell_color) {
  if (rows.empty()) return;
  std::vector<size_t> width(rows[0].size(), 0);
  for (auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (size_t c = 0; c < rows[r].size(); ++c) {
      std::string cell = rows[r][c];
      cell.resize(c + 1 == rows[r].size() ? cell.size() : width[c] + 2, ' ');
      if (color && r > 0 && cell_color)
        if (auto code = cell_color(c, rows[r][c]); !code.empty()) cell = code + cell + "\033[0m";
      if (color && r == 0) cell = "\033[1m" + cell + "\033[0m";
      line += cell;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

void print_status_table(std::ostream& out, const json::object& doc, bool color) {
  std::vector<std::vector<std::string>> rows{{"TASK", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "NEXT RUN", "STATUS"}};
  for (auto& r : doc.at("tasks").as_array()) {
    auto& o = r.as_object();
    std::string next = o.at("next_run").is_null() ? "-" : std::string(o.at("next_run").as_string()).substr(11, 8);
    rows.push_back({std::string(o.at("task").as_string()) + "[" + text(o.at("instance")) + "]", text(o.at("state")),
                    text(o.at("pid")), text(o.at("uptime_s")), text(o.at("restarts")), last_exit(o.at("last_exit")),
                    next, text(o.at("status"))});
  }
  print_table(out, rows, color, [](size_t column, const std::string& cell) {
    return column == 1 ? std::string(state_color(cell)) : std::string();
  });
}

}  // namespace taskmux::cli
