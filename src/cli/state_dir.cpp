#include "cli/state_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "process/unique_fd.hpp"

namespace taskmux::cli {
namespace {

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode));
  return buf;
}

/// `mkdir -p`, each new directory with exactly `mode` (the umask of 077 would take more).
std::string make_parents(const std::filesystem::path& dir, mode_t mode) {
  std::error_code ec;
  if (dir.empty() || std::filesystem::is_directory(dir, ec)) return {};
  if (auto err = make_parents(dir.parent_path(), mode); !err.empty()) return err;
  if (::mkdir(dir.c_str(), mode) == 0)
    ::chmod(dir.c_str(), mode);
  else if (errno != EEXIST)
    return "unable to create " + dir.string() + ": " + std::strerror(errno);
  return {};
}

}  // namespace

state_dir_result prepare_state_dir(const std::filesystem::path& dir, bool traversable,
                                   mode_t umask) {
  auto fail = [&](const std::string& why) {
    return state_dir_result{"unable to use state_dir " + dir.string() + ": " + why, {}};
  };
  if (auto err = make_parents(dir.parent_path(), 0755 & ~umask); !err.empty()) return fail(err);
  // 0700 from the start (a umask only takes bits away): nobody else gets in, even for a moment.
  bool made = ::mkdir(dir.c_str(), 0700) == 0;
  if (!made && errno != EEXIST) return fail(std::strerror(errno));
  // Checked and changed through one descriptor, so a rename in between cannot redirect it.
  process::unique_fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  struct stat st;
  if (!d || ::fstat(d.get(), &st) != 0) return fail(std::strerror(errno));
  if (st.st_uid != ::geteuid())
    return fail("owned by uid " + std::to_string(st.st_uid) + ", not by uid " +
                std::to_string(::geteuid()) +
                " (whoever owns it could replace the control socket)");
  mode_t wanted = traversable ? 0711 : 0700;
  mode_t mode = st.st_mode & 07777;
  mode_t next = mode;
  std::string why;
  if (made) {
    next = wanted;
  } else if (mode & (S_IWGRP | S_IWOTH)) {
    if (mode & S_ISVTX)
      return fail("a directory shared with others (mode " + octal(mode) +
                  "); give taskmux one of its own");
    next = wanted;
    why = "writable by others";
  } else if (traversable && (mode & 011) != 011) {
    next = mode | 011;
    why = "tasks running as another user reach their notify sockets through it";
  }
  if (next != mode && ::fchmod(d.get(), next) != 0)
    return fail(std::string("unable to chmod: ") + std::strerror(errno));
  if (made || next == mode) return {};
  return {{},
          "state_dir " + dir.string() + " was mode " + octal(mode) + " (" + why + "); now " +
              octal(next)};
}

}  // namespace taskmux::cli
