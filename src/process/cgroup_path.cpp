#include "process/cgroup_path.hpp"

namespace taskmux::process {
namespace {

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    auto at = line.find(sep);
    out.push_back(line.substr(0, at));
    if (at == std::string_view::npos) return out;
    line.remove_prefix(at + 1);
  }
}

bool is_octal(char c) {
  return c >= '0' && c <= '7';
}

// mountinfo writes space, tab, newline and backslash in paths as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && is_octal(s[i + 1]) && is_octal(s[i + 2]) &&
        is_octal(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::vector<cgroup2_mount> parse_cgroup2_mounts(std::string_view mountinfo) {
  std::vector<cgroup2_mount> out;
  for (auto line : split(mountinfo, '\n')) {
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    auto fields = split(line, ' ');
    size_t dash = 6;
    while (dash < fields.size() && fields[dash] != "-")
      ++dash;
    if (fields.size() < 7 || dash + 1 >= fields.size() || fields[dash + 1] != "cgroup2") continue;
    out.push_back({unescape(fields[3]), unescape(fields[4])});
  }
  return out;
}

std::optional<std::string> parse_own_cgroup2(std::string_view proc_self_cgroup) {
  for (auto line : split(proc_self_cgroup, '\n')) {
    if (!line.starts_with("0::")) continue;
    auto path = line.substr(3);
    if (!path.starts_with('/') || path.ends_with(" (deleted)")) return std::nullopt;
    for (auto part : split(path, '/'))
      if (part == "..") return std::nullopt;
    return std::string(path);
  }
  return std::nullopt;
}

std::optional<std::string> cgroup2_directory(const std::vector<cgroup2_mount>& mounts,
                                             std::string_view own) {
  for (auto& m : mounts) {
    std::string_view root = m.root;
    if (root.ends_with('/')) root.remove_suffix(1);
    if (!own.starts_with(root) || (own.size() > root.size() && own[root.size()] != '/')) continue;
    std::string dir = m.mount_point;
    auto rest = own.substr(root.size());
    if (rest == "/") rest = {};
    if (dir.ends_with('/') && rest.starts_with('/')) dir.pop_back();
    return dir + std::string(rest);
  }
  return std::nullopt;
}

}  // namespace taskmux::process
