// The reaper's held exits: a child can be reaped before the spawn that made it has reported
// its pid (spawns finish on the spawner thread). Real short-lived children, fork()ed here.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include "process/reaper.hpp"

namespace {

using namespace taskmux::process;

// A child that exits with `code` at once; returns after it has become a zombie.
pid_t exited_child(int code) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(code);
  siginfo_t info{};
  ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);  // exited, not reaped
  return pid;
}

}  // namespace

TEST_CASE("reaper: an exit reaped before its spawn settled goes to that spawn, not to the orphans") {
  boost::asio::io_context loop;
  reaper r(loop);
  r.expect();
  pid_t pid = exited_child(7);
  r.reap_now();  // the loop got the SIGCHLD first
  CHECK(r.orphans_reaped() == 0);
  int got = -1;
  spawn_result result;
  result.pid = pid;
  r.settle(result, [&](pid_t p, int status) {
    CHECK(p == pid);
    got = WEXITSTATUS(status);
  });
  CHECK(got == -1);  // posted: the caller finishes registering the start first
  loop.poll();  // runs what is ready; the SIGCHLD wait itself stays pending
  CHECK(got == 7);
  CHECK(r.orphans_reaped() == 0);
}

TEST_CASE("reaper: an unknown exit is an orphan once the spawns under way at the time settled") {
  boost::asio::io_context loop;
  reaper r(loop);
  r.expect();
  pid_t stranger = exited_child(0);
  r.reap_now();
  CHECK(r.orphans_reaped() == 0);  // it might still be the spawn's child
  spawn_result other;
  other.pid = exited_child(0);
  r.settle(other, [](pid_t, int) {});
  CHECK(r.orphans_reaped() == 1);
  r.reap_now();  // the spawn's own child is watched: not an orphan
  CHECK(r.orphans_reaped() == 1);
  (void)stranger;
}

TEST_CASE("reaper: without spawns under way an unknown exit is an orphan at once") {
  boost::asio::io_context loop;
  reaper r(loop);
  exited_child(0);
  r.reap_now();
  CHECK(r.orphans_reaped() == 1);
}
