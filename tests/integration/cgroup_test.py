"""cgroup v2 tracking (SPEC "Task lifecycle": nothing a task started outlives its stop, not even
a process that left the group with setsid). Where a child cgroup can be made, every instance
runs in its own; a process that left the group and exec'ed with a cleared environment is then
stopped with its task. Without a writable cgroup2 those tests are skipped: the fallback
(process group + instance mark) can only catch such a process in the final orphan sweep."""
import os
import signal
import time
import unittest
from pathlib import Path

from harness import TaskmuxTest, cgroup2_tracking, probe, processes_with_args

TRACKING, WHERE = cgroup2_tracking()
NO_TRACKING = (f"no writable cgroup v2 here ({WHERE}): taskmux falls back to the process group and "
               "the instance mark, which cannot find a process that left the group with a cleared environment")


def escaped_processes(token):
    return processes_with_args("escaped", token)


class EscapeTest:
    """A task whose child calls setsid and re-execs itself with an empty environment."""

    def escaping_task(self, main_seconds, extra=""):
        token = f"/tmp/taskmux-escape-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(lambda: os.path.exists(token) and os.unlink(token))
        self.addCleanup(lambda: [os.kill(p, signal.SIGKILL) for p in processes_with_args(token)])
        body = (f'[[task]]\nname = "escape"\ncommand = {probe("escape", main_seconds, token)}\n'
                f'stop_timeout = "500ms"\n{extra}')
        return token, body

    @staticmethod
    def escaped(token):
        return escaped_processes(token)

    def wait_escaped(self, sup, token):
        sup.wait_for(lambda: os.path.exists(token), what="the escaped process to write its pid")
        return sup.wait_for(lambda: escaped_processes(token), what="the escaped process")


class CgroupTest(TaskmuxTest, EscapeTest):
    def test_taskmux_says_whether_cgroup_tracking_is_on(self):
        sup = self.start(f'[[task]]\nname = "s"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_stderr("cgroup tracking")
        if TRACKING:
            self.assertIn(f"cgroup tracking on: {WHERE}/taskmux-", sup.stderr())
            cgroup = sup.stderr().split("cgroup tracking on: ")[1].split()[0]
            sup.wait_state("s", ("running", "ready"))
            with open(f"{cgroup}/s.0/cgroup.procs") as f:
                self.assertEqual([int(p) for p in f.read().split()], [sup.rows("s")[0]["pid"]])
        else:
            self.assertIn("cgroup tracking off (", sup.stderr())
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        if TRACKING:
            self.assertFalse(os.path.exists(cgroup), "the run's cgroup is removed at exit")

    @unittest.skipUnless(TRACKING, NO_TRACKING)
    def test_an_escaped_process_is_stopped_before_its_task_counts_as_exited(self):
        token, body = self.escaping_task(0.5, 'restart = "never"\n')
        sup = self.start(body)
        escaped = self.wait_escaped(sup, token)
        self.assertNotEqual(os.getsid(escaped[0]), sup.rows("escape")[0]["pid"], "it left the session")
        sup.wait_state("escape", "exited", timeout=10)
        self.assertEqual(escaped_processes(token), [], "the escaped process outlived its task")
        self.assertIn("escape[0] stopping what it left running (SIGTERM", sup.stderr())
        self.assertIn("escape[0] what it left running did not stop within 500ms of SIGTERM", sup.stderr())

    @unittest.skipUnless(TRACKING, NO_TRACKING)
    def test_an_escaped_process_is_stopped_with_its_task_not_by_the_orphan_sweep(self):
        token, body = self.escaping_task(3600)
        sup = self.start(body)
        self.wait_escaped(sup, token)
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertEqual(escaped_processes(token), [])
        self.assertIn("escape[0] stopped", sup.stderr())
        self.assertNotIn("orphaned processes", sup.stderr())

    @unittest.skipUnless(TRACKING, NO_TRACKING)
    def test_a_crash_looping_task_with_escaping_children_leaves_none_behind(self):
        token, body = self.escaping_task(0.1, 'restart = "always"\nbackoff = { initial = "0s", max = "0s" }\n'
                                               'start_limit = { burst = 0 }\n')
        sup = self.start(body)
        sup.wait_for(lambda: sup.rows("escape") and sup.rows("escape")[0]["restarts"] >= 3, what="3 restarts")
        self.assertLessEqual(len(escaped_processes(token)), 1, "one escaped process at a time at most")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertEqual(escaped_processes(token), [])
        self.assertNotIn("orphaned processes", sup.stderr())

    @unittest.skipUnless(TRACKING, NO_TRACKING)
    def test_the_next_taskmux_removes_the_cgroup_of_one_killed_with_sigkill(self):
        first = self.start(f'[[task]]\nname = "s"\ncommand = {probe("sleep", 3600)}\n')
        first.wait_state("s", ("running", "ready"))
        cgroup = first.stderr().split("cgroup tracking on: ")[1].split()[0]
        first.proc.kill()
        first.wait_exit()
        # PDEATHSIG ends its task; then the directory is empty, but nobody removed it.
        first.wait_for(lambda: Path(f"{cgroup}/s.0/cgroup.procs").read_text() == "", what="an empty leaf")
        self.assertTrue(os.path.isdir(cgroup))
        second = self.start(f'[[task]]\nname = "s"\ncommand = {probe("sleep", 3600)}\n')
        second.wait_stderr("cgroup tracking on")
        self.assertFalse(os.path.exists(cgroup), "the dead run's cgroup is removed")

    @unittest.skipUnless(TRACKING, NO_TRACKING)
    def test_the_next_taskmux_stops_what_a_killed_one_left_in_its_cgroup(self):
        # Outside a PID namespace nothing ends the grandchildren of a taskmux killed with SIGKILL
        # (PDEATHSIG reaches only its own children): the next one, in the same cgroup, does.
        token, body = self.escaping_task(3600)
        naptime = f"3600.{os.getpid()}{time.monotonic_ns() % 1000}"
        self.addCleanup(lambda: [os.kill(p, signal.SIGKILL) for p in processes_with_args("sleep", naptime)])
        first = self.start(body + f'\n[[task]]\nname = "nap"\ncommand = "setsid sleep {naptime} & wait"\n')
        self.wait_escaped(first, token)
        first.wait_for(lambda: processes_with_args("sleep", naptime), what="the setsid sleep")
        cgroup = first.stderr().split("cgroup tracking on: ")[1].split()[0]
        first.proc.kill()
        first.wait_exit()
        time.sleep(0.2)
        self.assertTrue(escaped_processes(token) and processes_with_args("sleep", naptime), "they outlive a SIGKILL")
        second = self.start(f'[[task]]\nname = "s"\ncommand = {probe("sleep", 3600)}\n')
        second.wait_stderr("cgroup tracking on", timeout=15)
        self.assertEqual(escaped_processes(token), [], "the TERM-ignoring leftover was killed")
        self.assertEqual(processes_with_args("sleep", naptime), [])
        self.assertIn(f"cgroup {cgroup} of a taskmux that was killed still held 2 processes: "
                      "stopped them (SIGTERM, then SIGKILL)", second.stderr())
        self.assertFalse(os.path.exists(cgroup), "the dead run's cgroup is removed")


if __name__ == "__main__":
    unittest.main()
