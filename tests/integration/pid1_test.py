"""taskmux as PID 1 of a fresh PID namespace (unshare --pid --fork --mount-proc), as in a
container: signals work although PID 1 has no default actions, and every orphan is reaped."""
import os
import signal
import time
import unittest

from cgroup_test import NO_TRACKING, TRACKING, EscapeTest
from harness import TaskmuxTest, children_of, probe, proc_state


class Pid1Test(TaskmuxTest, EscapeTest):
    def zombies(self, sup):
        pid = sup.taskmux_pid()
        return [c for c in children_of(pid) if proc_state(c) == "Z"] if pid else []

    def test_1000_orphaned_grandchildren_are_reaped_and_no_zombie_is_left(self):
        sup = self.start(f'[[task]]\nname = "forker"\ncommand = {probe("orphans", 1000)}\n', pid1=True)
        sup.wait_stdout("forker[0] | forked 1000 orphans", timeout=30)
        # The grandchildren exit 0.5 s after they were forked.
        sup.wait_for(lambda: len(children_of(sup.taskmux_pid())) == 1, timeout=10,
                     what="only the forker left as taskmux's child")
        self.assertEqual(self.zombies(sup), [])
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertIn("1000 orphans reaped", sup.stderr())

    def test_sigterm_to_pid_1_stops_everything_with_exit_0(self):
        sup = self.start(f'[[task]]\nname = "a"\ncommand = {probe("sleep", 3600)}\ninstances = 5\n', pid1=True)
        sup.wait_for(lambda: sup.taskmux_pid() and len(children_of(sup.taskmux_pid())) == 5, what="5 children")
        sup.wait_stderr("a[4] started")
        start = time.monotonic()
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(sup.leftovers(), [])

    def test_sigint_to_pid_1_works_too(self):
        sup = self.start(f'[[task]]\nname = "a"\ncommand = {probe("sleep", 3600)}\n', pid1=True)
        sup.wait_stderr("a[0] started")
        sup.signal(signal.SIGINT)
        self.assertEqual(sup.wait_exit(20), 0)

    @unittest.skipUnless(TRACKING, NO_TRACKING)
    def test_as_pid_1_an_escaped_process_is_stopped_before_its_task_counts_as_exited(self):
        token, body = self.escaping_task(0.5, 'restart = "never"\n')
        sup = self.start(body, pid1=True)
        self.wait_escaped(sup, token)
        sup.wait_state("escape", "exited", timeout=10)
        self.assertEqual(self.escaped(token), [], "the escaped process outlived its task")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)


if __name__ == "__main__":
    unittest.main()
