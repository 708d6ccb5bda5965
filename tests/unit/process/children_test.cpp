// What /proc and waitid say about taskmux's own children, with real short-lived children.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "process/children.hpp"

namespace {

using namespace taskmux::process;

/// Waits (bounded) until `pid` is a zombie: exited, not reaped.
bool became_zombie(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    auto info = read_process(pid);
    if (info && info->state == 'Z') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE("children: has_exited sees an exit the reaper has not taken, and leaves it there") {
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  CHECK_FALSE(has_exited(child));
  ::kill(child, SIGKILL);
  REQUIRE(became_zombie(child));
  CHECK(has_exited(child));
  CHECK(has_exited(child));  // asking twice changes nothing
  int status = 0;
  CHECK(::waitpid(child, &status, WNOHANG) == child);  // still there for the reaper
  CHECK(WIFSIGNALED(status));
  CHECK(has_exited(child));  // reaped: gone for good
}
