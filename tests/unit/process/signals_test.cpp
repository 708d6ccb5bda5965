// Fault signals sent by another process are ignored; a real fault still ends the process.
// Each case runs in a fork()ed child, so the test runner keeps its own dispositions.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "process/signals.hpp"

namespace {

using namespace taskmux::process;

/// Runs `body` in a child with the fault handler installed; returns its wait status.
template <class F>
int in_child(F body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ignore_fault_signals_from_others();
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
TEST_CASE("signals: SEGV, BUS, ABRT... sent by another process do not end taskmux") {
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT}) {
    CAPTURE(sig);
    int status = in_child([sig] {
      pid_t me = ::getpid();
      pid_t sender = ::fork();
      if (sender == 0) {
        ::kill(me, sig);
        ::_exit(0);
      }
      ::waitpid(sender, nullptr, 0);
      ::usleep(20'000);  // delivered by now
    });
    CHECK(WIFEXITED(status));
  }
}

TEST_CASE("signals: a real fault still ends the process with its signal") {
  int status = in_child([] {
    volatile int* nowhere = nullptr;
    *nowhere = 1;
  });
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGSEGV);
  status = in_child([] { ::abort(); });
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
}
#endif

TEST_CASE("signals: the loop takes every catchable signal whose default would end taskmux") {
  auto s = loop_signals();
  for (int sig : {SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGPWR, SIGXCPU, SIGRTMIN, SIGRTMAX})
    CHECK(std::find(s.begin(), s.end(), sig) != s.end());
  for (int sig : {SIGCHLD, SIGPIPE, SIGKILL, SIGSTOP, SIGSEGV})
    CHECK(std::find(s.begin(), s.end(), sig) == s.end());
}

}  // namespace
