#include "process/children.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
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

bool has_exited(pid_t pid) {
  siginfo_t info{};
  // ECHILD: reaped already (by the reaper, before the spawn that made it was settled).
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
  return info.si_pid == pid;
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

std::optional<pid_t> process_view::pgid() const {
  if (!pgid_) {
    auto info = read_process(pid_);
    pgid_ = info ? std::optional(info->pgid) : std::nullopt;
  }
  return *pgid_;
}

const std::optional<std::string>& process_view::mark() const {
  if (!mark_) mark_ = instance_mark(pid_);
  return *mark_;
}

std::vector<pid_t> marked_processes(std::string_view prefix) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    char* tail = nullptr;
    long pid = std::strtol(name.c_str(), &tail, 10);
    if (pid <= 0 || *tail || pid == ::getpid()) continue;
    auto mark = instance_mark(static_cast<pid_t>(pid));
    if (!mark || !mark->starts_with(prefix)) continue;
    if (auto info = read_process(static_cast<pid_t>(pid)); info && info->state != 'Z') out.push_back(info->pid);
  }
  return out;
}

}  // namespace taskmux::process
