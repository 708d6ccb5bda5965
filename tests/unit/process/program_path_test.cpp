// Where a program is found: the PATH of the task's environment, relative entries and names
// against its workdir, and the mode bits another user meets on the way. Files in a temp dir.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "process/program_path.hpp"

namespace {

namespace fs = std::filesystem;
using namespace taskmux::process;

/// dir/bin/{tool 0755, data 0644, sub/}, dir/work/rel/app 0755, dir/private (0700)/tool 0755,
/// dir/group/tool 0750; removed at the end.
struct tree {
  fs::path dir;
  tree() {
    char name[] = "/tmp/program-path-XXXXXX";
    REQUIRE(::mkdtemp(name));
    dir = name;
    fs::permissions(dir, fs::perms(0755));
    file("bin/tool", 0755);
    file("bin/data", 0644);
    fs::create_directories(dir / "bin/sub");
    file("work/rel/app", 0755);
    file("private/tool", 0755);
    file("group/tool", 0750);
    // Whatever the umask: open directories, but the one that is meant to be closed.
    for (auto& entry : fs::recursive_directory_iterator(dir))
      if (entry.is_directory()) fs::permissions(entry.path(), fs::perms(0755));
    fs::permissions(dir / "private", fs::perms(0700));
  }
  ~tree() { fs::remove_all(dir); }
  void file(const std::string& rel, int mode) {
    fs::create_directories((dir / rel).parent_path());
    int fd = ::open((dir / rel).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    ::close(fd);
    fs::permissions(dir / rel, fs::perms(mode));
  }
  std::string operator/(const std::string& rel) const { return (dir / rel).string(); }
};

/// An environment holding only PATH=`path`.
struct path_env {
  std::string var;
  std::vector<const char*> env;
  explicit path_env(const std::string& path) : var("PATH=" + path), env{var.c_str()} {}
};

const identity nobody{65534, 65534, {65534}, "nobody", "/nonexistent"};

}  // namespace

TEST_CASE("program path: the PATH of the task's environment is searched, in order") {
  tree t;
  path_env env(t / "bin" + ":/usr/bin:/bin");
  CHECK(find_program("tool", env.env) == t / "bin/tool");
  CHECK(find_program("sh", env.env).ends_with("/sh"));
  path_env only_bin(t / "bin");
  CHECK(find_program("sh", only_bin.env).empty());  // taskmux's own PATH is not looked at
  CHECK(search_path(only_bin.env) == t / "bin");
}

TEST_CASE("program path: without PATH in the environment the default one is searched") {
  std::vector<const char*> none{"HOME=/root"};
  CHECK(search_path(none) == "/usr/local/bin:/usr/bin:/bin");
  CHECK(find_program("sh", none).ends_with("bin/sh"));
}

TEST_CASE("program path: a file that is not executable, or a directory, is not the program") {
  tree t;
  path_env env(t / "bin");
  CHECK(find_program("data", env.env).empty());
  CHECK(find_program("sub", env.env).empty());
  CHECK(find_program("missing", env.env).empty());
}

TEST_CASE("program path: relative PATH entries and names resolve against the workdir") {
  tree t;
  path_env rel("rel");
  CHECK(find_program("app", rel.env, t / "work") == "rel/app");
  CHECK(find_program("app", rel.env, t.dir).empty());
  path_env empty_entry(":/usr/bin");  // "" is the current directory: the workdir
  CHECK(find_program("app", empty_entry.env, t / "work/rel") == "./app");
  // A name with a '/' is run as written (exec resolves it after the chdir to the workdir).
  CHECK(find_program("rel/app", rel.env, t.dir) == "rel/app");
  CHECK(is_executable("rel/app", t / "work"));
  CHECK_FALSE(is_executable("rel/app", t.dir));
  CHECK(is_executable(t / "bin/tool", "/elsewhere"));  // an absolute path ignores the workdir
}

TEST_CASE("program path: another user needs the execute bit that applies to it, all the way") {
  tree t;
  CHECK(is_executable(t / "bin/tool", {}, &nobody));
  CHECK_FALSE(is_executable(t / "bin/data", {}, &nobody));
  CHECK_FALSE(is_executable(t / "private/tool", {}, &nobody));  // its directory is closed to it
  CHECK_FALSE(is_executable(t / "group/tool", {}, &nobody));    // not in the file's group
  struct stat st;
  REQUIRE(::stat((t / "group/tool").c_str(), &st) == 0);
  identity member = nobody;
  member.groups.push_back(st.st_gid);
  CHECK(is_executable(t / "group/tool", {}, &member));
  // Found as the user would find it: the closed directory is passed over.
  path_env env(t / "private" + ":" + t / "bin");
  CHECK(find_program("tool", env.env) == t / "private/tool");
  CHECK(find_program("tool", env.env, {}, &nobody) == t / "bin/tool");
}
