// state_dir's owner and mode: made private, repaired when others may write to it, refused when
// it belongs to someone else or is shared like /tmp.
#include "cli/state_dir.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using taskmux::cli::prepare_state_dir;

struct temp_dir {
  fs::path path =
      fs::temp_directory_path() / ("taskmux-state-dir-test-" + std::to_string(::getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};

mode_t mode_of(const fs::path& p) {
  struct stat st;
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("state_dir: a new one is 0700, its new parents 0755 minus the umask taskmux got") {
  temp_dir t;
  auto dir = t.path / "a" / "b" / "state";
  auto r = prepare_state_dir(dir, false, 027);
  CHECK(r.error == "");
  CHECK(r.note == "");
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(t.path / "a") == 0750);
  CHECK(mode_of(t.path / "a" / "b") == 0750);
}

TEST_CASE("state_dir: a new one that tasks of other users pass through is 0711") {
  temp_dir t;
  auto r = prepare_state_dir(t.path / "state", true, 0);
  CHECK(r.error == "");
  CHECK(mode_of(t.path / "state") == 0711);
}

TEST_CASE("state_dir: one that others may write to is made private, and that is worth a note") {
  temp_dir t;
  auto dir = t.path / "state";
  fs::create_directory(dir);
  ::chmod(dir.c_str(), 0775);
  auto r = prepare_state_dir(dir, false, 022);
  CHECK(r.error == "");
  CHECK(r.note == "state_dir " + dir.string() + " was mode 0775 (writable by others); now 0700");
  CHECK(mode_of(dir) == 0700);
}

TEST_CASE("state_dir: one nobody else may write to keeps its mode; tasks of other users add --x") {
  temp_dir t;
  auto dir = t.path / "state";
  fs::create_directory(dir);
  ::chmod(dir.c_str(), 0750);
  CHECK(prepare_state_dir(dir, false, 022).note == "");
  CHECK(mode_of(dir) == 0750);
  auto r = prepare_state_dir(dir, true, 022);
  CHECK(r.error == "");
  CHECK(r.note == "state_dir " + dir.string() +
                      " was mode 0750 (tasks running as another user reach their notify sockets "
                      "through it); now 0751");
  CHECK(mode_of(dir) == 0751);
}

TEST_CASE("state_dir: a shared sticky directory like /tmp is refused, not made private") {
  temp_dir t;
  auto dir = t.path / "shared";
  fs::create_directory(dir);
  ::chmod(dir.c_str(), 01777);
  auto r = prepare_state_dir(dir, false, 022);
  CHECK(r.error == "unable to use state_dir " + dir.string() +
                       ": a directory shared with others (mode 1777); give taskmux one of its own");
  CHECK(mode_of(dir) == 01777);
}

TEST_CASE("state_dir: a file in the way is refused") {
  temp_dir t;
  std::ofstream(t.path / "state") << "x";
  CHECK(prepare_state_dir(t.path / "state", false, 022).error ==
        "unable to use state_dir " + (t.path / "state").string() + ": Not a directory");
}

TEST_CASE("state_dir: one that belongs to another user is refused") {
  if (::geteuid() != 0) return;  // only root can give a directory away
  temp_dir t;
  auto dir = t.path / "state";
  fs::create_directory(dir);
  REQUIRE(::chown(dir.c_str(), 65534, 65534) == 0);
  CHECK(
      prepare_state_dir(dir, false, 022).error ==
      "unable to use state_dir " + dir.string() +
          ": owned by uid 65534, not by uid 0 (whoever owns it could replace the control socket)");
}
