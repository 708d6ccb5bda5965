// Where taskmux's own cgroup v2 directory is, from the text of /proc/self/mountinfo and
// /proc/self/cgroup. Pure parsing: cgroup.cpp does the filesystem work.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskmux::process {

struct cgroup2_mount {
  std::string root;  ///< the cgroup path mounted there ("/" unless a subtree is bind-mounted)
  std::string mount_point;  ///< "/sys/fs/cgroup", "/sys/fs/cgroup/unified" on a hybrid host
};

/// Every cgroup2 mount in mountinfo text, in order, with mountinfo's octal escapes (\040)
/// decoded. Lines that are not cgroup2 or not well formed are skipped.
std::vector<cgroup2_mount> parse_cgroup2_mounts(std::string_view mountinfo);

/// The cgroup v2 path in /proc/self/cgroup text (the "0::/a/b" line). None when there is no
/// such line or the path is not usable: not absolute, outside our cgroup namespace ("/.."),
/// or removed (" (deleted)").
std::optional<std::string> parse_own_cgroup2(std::string_view proc_self_cgroup);

/// The directory of cgroup `own` under the first of `mounts` whose root contains it.
std::optional<std::string> cgroup2_directory(const std::vector<cgroup2_mount>& mounts,
                                             std::string_view own);

}  // namespace taskmux::process
