// The spawner thread, with a descriptor table of its own and with the loop's: short real
// processes (/bin/sh), results on an io_context, in submit order.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

#include "process/spawn_service.hpp"
#include "process/spawner.hpp"

namespace {

using namespace taskmux::process;

struct run {
  pid_t pid = -1;
  std::string error;
  std::string output;
  int exit_code = -1;
};

// Each command runs as `sh -c CMD` with stdout on a pipe; returns what each printed.
std::vector<run> spawn_all(spawner::table t, const std::vector<std::string>& commands, bool* own = nullptr) {
  boost::asio::io_context loop;
  spawner s(loop, t);
  if (own) *own = s.has_own_descriptors();
  std::vector<std::vector<std::string>> argvs;
  for (auto& c : commands) argvs.push_back({"/bin/sh", "-c", c});
  std::vector<const char*> env{"PATH=/usr/bin:/bin"};
  std::vector<run> runs(commands.size());
  std::vector<int> read_ends;
  size_t delivered = 0;
  for (size_t i = 0; i < commands.size(); ++i) {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    read_ends.push_back(p[0]);
    spawn_request req{.argv = argvs[i], .env = env, .workdir = "/", .stdout_fd = p[1], .stderr_fd = p[1]};
    s.submit(req, [&, i, w = p[1]](spawn_result r) {
      ::close(w);
      CHECK(delivered == i);  // in submit order
      ++delivered;
      runs[i].pid = r.pid;
      runs[i].error = r.error;
    });
  }
  while (delivered < commands.size()) loop.run_one();
  for (size_t i = 0; i < runs.size(); ++i) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(read_ends[i], buf, sizeof buf)) > 0) runs[i].output.append(buf, n);
    ::close(read_ends[i]);
    int status = 0;
    if (runs[i].pid > 0 && ::waitpid(runs[i].pid, &status, 0) == runs[i].pid && WIFEXITED(status))
      runs[i].exit_code = WEXITSTATUS(status);
  }
  return runs;
}

// The child reports a failed exec by writing into the parent's memory, which a vfork child
// shares. ThreadSanitizer turns vfork into fork (its vfork interceptor calls fork).
#if defined(__SANITIZE_THREAD__)
constexpr bool vfork_shares_memory = false;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool vfork_shares_memory = false;
#else
constexpr bool vfork_shares_memory = true;
#endif
#else
constexpr bool vfork_shares_memory = true;
#endif

// The child's open descriptors, as `ls` (exec'd by the shell, so nothing of the shell's is in
// between) sees them: 0, 1, 2, and 3, the directory it reads.
constexpr const char* list_fds = "exec ls /proc/self/fd";
constexpr const char* only_stdio = "0\n1\n2\n3\n";

}  // namespace

TEST_CASE("spawner: runs commands from a table of its own and hands results back in order") {
  // Descriptors the loop has open (some not even close-on-exec) must not reach the children.
  std::vector<int> clutter;
  for (int i = 0; i < 200; ++i) clutter.push_back(::open("/dev/null", O_RDONLY));
  bool own = false;
  auto runs = spawn_all(spawner::table::own, {"echo one", "echo two; exit 3", list_fds}, &own);
  for (int fd : clutter) ::close(fd);
  if (!own) MESSAGE("this kernel refused unshare(CLONE_FILES) or pidfd_getfd: the shared table was used");
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].error == "");
  CHECK(runs[0].output == "one\n");
  CHECK(runs[0].exit_code == 0);
  CHECK(runs[1].output == "two\n");
  CHECK(runs[1].exit_code == 3);
  CHECK(runs[2].output == only_stdio);
}

TEST_CASE("spawner: the shared-table fallback runs the same commands") {
  std::vector<int> clutter;
  for (int i = 0; i < 200; ++i) clutter.push_back(::open("/dev/null", O_RDONLY));
  auto runs = spawn_all(spawner::table::shared, {"echo one", list_fds});
  for (int fd : clutter) ::close(fd);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].output == "one\n");
  CHECK(runs[0].exit_code == 0);
  CHECK(runs[1].output == only_stdio);
}

TEST_CASE("spawner: a command that cannot be executed is an error result, not a crash") {
  boost::asio::io_context loop;
  spawner s(loop);
  std::vector<std::string> argv{"/nonexistent/program"};
  std::vector<const char*> env;
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  spawn_result got;
  bool done = false;
  s.submit({.argv = argv, .env = env, .workdir = "/", .stdout_fd = p[1], .stderr_fd = p[1]}, [&](spawn_result r) {
    got = std::move(r);
    done = true;
  });
  while (!done) loop.run_one();
  ::close(p[0]);
  ::close(p[1]);
  if (!vfork_shares_memory) {
    // The child's report stayed in its own copy of memory: the failed exec shows only as the
    // launcher's _exit(127).
    REQUIRE(got.pid > 0);
    int status = 0;
    REQUIRE(::waitpid(got.pid, &status, 0) == got.pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 127);
    return;
  }
  CHECK(got.pid == -1);
  CHECK(got.error == "unable to execute /nonexistent/program: No such file or directory");
}

TEST_CASE("spawn service: a spawn that failed before the spawner comes back on the loop, never inside fail()") {
  // Inside fail() it would recurse: a failed spawn with no backoff spawns again at once.
  boost::asio::io_context loop;
  reaper r(loop);
  spawner s(loop);
  os_spawn_service spawns(loop, r, s);
  std::string got;
  spawns.fail("unable to start x[0]: pipe: Too many open files", [&](spawn_result res) { got = res.error; });
  CHECK(got.empty());
  loop.poll();
  CHECK(got == "unable to start x[0]: pipe: Too many open files");
}
