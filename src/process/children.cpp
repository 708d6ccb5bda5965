#include "process/children.hpp"

#include <dirent.h>
#include <fcntl.h>

#include <cstdio>
#include <string_view>

#include "process/text_file.hpp"

namespace taskmux::process {

std::vector<pid_t> list_children() {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc/self/task");
  if (!dir) return out;
  while (auto* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    auto pids = parse_pids(read_text_file(std::string("/proc/self/task/") + entry->d_name + "/children"));
    out.insert(out.end(), pids.begin(), pids.end());
  }
  ::closedir(dir);
  return out;
}

std::optional<process_info> read_process(pid_t pid) {
  std::string stat = read_text_file("/proc/" + std::to_string(pid) + "/stat", AT_FDCWD, 4096);
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return std::nullopt;
  process_info info;
  info.pid = pid;
  info.state = stat[close + 2];
  int ppid = 0, pgrp = 0;
  if (std::sscanf(stat.c_str() + close + 3, "%d %d", &ppid, &pgrp) != 2) return std::nullopt;
  info.pgid = pgrp;
  return info;
}

std::optional<std::string> instance_mark(pid_t pid) {
  std::string env = read_text_file("/proc/" + std::to_string(pid) + "/environ");
  std::string_view rest = env;
  std::string prefix = std::string(instance_mark_name) + "=";
  while (!rest.empty()) {
    auto end = rest.find('\0');
    auto entry = rest.substr(0, end);
    if (entry.starts_with(prefix)) return std::string(entry.substr(prefix.size()));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return std::nullopt;
}

}  // namespace taskmux::process
