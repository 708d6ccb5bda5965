#include "process/children.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

namespace taskmux::process {
namespace {

std::string read_small_file(const std::string& path, size_t limit = 1 << 20) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buf[4096];
  ssize_t n;
  while (out.size() < limit && (n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  ::close(fd);
  return out;
}

}  // namespace

std::vector<pid_t> list_children() {
  std::vector<pid_t> out;
  DIR* dir = ::opendir("/proc/self/task");
  if (!dir) return out;
  while (auto* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::string text = read_small_file(std::string("/proc/self/task/") + entry->d_name + "/children");
    const char* p = text.c_str();
    char* end;
    for (long v = std::strtol(p, &end, 10); end != p; v = std::strtol(p, &end, 10)) {
      out.push_back(static_cast<pid_t>(v));
      p = end;
    }
  }
  ::closedir(dir);
  return out;
}

std::optional<process_info> read_process(pid_t pid) {
  std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat", 4096);
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
  std::string env = read_small_file("/proc/" + std::to_string(pid) + "/environ");
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
