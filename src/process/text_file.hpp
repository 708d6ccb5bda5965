// Small text files of /proc and of the cgroup file system, read whole: the one reader the
// process/ code shares, and the one parser for their lists of pids.
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace taskmux::process {

/// The file's text (at most `limit` bytes; "" when it cannot be opened). `path` is relative
/// to `dir_fd` unless it is absolute.
std::string read_text_file(const std::string& path, int dir_fd = AT_FDCWD, size_t limit = 1 << 20);

/// Pids separated by white space ("12 13\n" of /proc/PID/task/TID/children, cgroup.procs).
std::vector<pid_t> parse_pids(std::string_view text);

}  // namespace taskmux::process
