#include "process/program_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

namespace taskmux::process {
namespace {

/// The execute (search, for a directory) bit that applies to `user` on `st`, as the kernel
/// picks it: owner, else group, else others; root needs one of them only for a file.
bool may_execute(const struct stat& st, const identity& user) {
  if (user.uid == 0) return S_ISDIR(st.st_mode) || (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH));
  if (st.st_uid == user.uid) return st.st_mode & S_IXUSR;
  bool in_group = st.st_gid == user.gid ||
                  std::find(user.groups.begin(), user.groups.end(), st.st_gid) != user.groups.end();
  return st.st_mode & (in_group ? S_IXGRP : S_IXOTH);
}

bool is_executable_by(const std::string& full, const identity& user) {
  char resolved[PATH_MAX];
  if (!::realpath(full.c_str(), resolved)) return false;
  std::string path(resolved);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || !may_execute(st, user))
    return false;
  // Every directory on the way must be searchable by the user, "/" included.
  for (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0;
       slash = path.rfind('/', slash - 1)) {
    if (::stat(path.substr(0, slash).c_str(), &st) != 0 || !may_execute(st, user)) return false;
  }
  return ::stat("/", &st) == 0 && may_execute(st, user);
}

}  // namespace

std::string search_path(std::span<const char* const> env) {
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (std::string_view kv : env)
    if (kv.starts_with("PATH=")) path = kv.substr(5);
  return path;
}

bool is_executable(const std::string& path, const std::filesystem::path& workdir,
                   const identity* user) {
  std::string full = path.starts_with('/') || workdir.empty() ? path : (workdir / path).string();
  if (user && user->uid != ::geteuid()) return is_executable_by(full, *user);
  struct stat st;
  return ::stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(full.c_str(), X_OK) == 0;
}

std::string find_program(const std::string& name, std::span<const char* const> env,
                         const std::filesystem::path& workdir, const identity* user) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = search_path(env);
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(begin, end - begin);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (is_executable(candidate, workdir, user)) return candidate;
    begin = end + 1;
  }
  return {};
}

}  // namespace taskmux::process
