"""Looped tasks (SPEC "Looped tasks and channels"): one run per period, never overlapping,
late runs start at once, runs past `timeout` are stopped as failures."""
import os
import time
import unittest

from harness import TaskmuxTest, probe


def runs(path):
    try:
        with open(path) as f:
            return [tuple(map(float, l.split())) for l in f.read().splitlines() if l.strip()]
    except OSError:
        return []


class LoopedTest(TaskmuxTest):
    def stamp_file(self):
        path = f"/tmp/taskmux-stamp-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        return path

    def test_a_looped_task_runs_once_per_period_without_overlap(self):
        stamps = self.stamp_file()
        sup = self.start(f'[[task]]\nname = "tick"\ncommand = {probe("stamp", stamps, 0.2)}\nevery = "1s"\n')
        sup.wait_for(lambda: len(runs(stamps)) >= 4, timeout=10, what="4 runs")
        r = runs(stamps)
        starts = [s for s, _ in r]
        for (s1, e1), (s2, _) in zip(r, r[1:]):
            self.assertGreaterEqual(s2, e1, "runs overlapped")
            self.assertAlmostEqual(s2 - s1, 1.0, delta=0.25)
        row = sup.rows("tick")[0]
        self.assertIn(row["state"], ("waiting", "running"))
        if row["state"] == "waiting":
            self.assertIsNotNone(row["next_run"])
        self.assertIn("tick[0] cycle succeeded", sup.stderr())
        self.assertGreaterEqual(len(starts), 4)

    def test_frequency_sec_is_the_period_in_whole_seconds(self):
        sup = self.start('[[task]]\nname = "f"\ncommand = "echo period=$FREQUENCY_SEC"\nevery = "2m"\n')
        sup.wait_stdout("f[0] | period=120")

    def test_a_late_run_starts_at_once_and_is_marked_late(self):
        stamps = self.stamp_file()
        sup = self.start(f'[[task]]\nname = "slow"\ncommand = {probe("stamp", stamps, 1.3)}\nevery = "1s"\n')
        sup.wait_for(lambda: len(runs(stamps)) >= 3, timeout=10, what="3 runs")
        r = runs(stamps)
        for (_, e1), (s2, _) in zip(r, r[1:]):
            self.assertGreaterEqual(s2, e1, "runs overlapped")
            self.assertLess(s2 - e1, 0.2, "a late run must start at once")
        self.assertIn("late", sup.stderr())

    def test_a_run_past_its_timeout_is_stopped_as_a_failure(self):
        sup = self.start(f'[[task]]\nname = "hang"\ncommand = {probe("sleep", 3600)}\nevery = "1s"\ntimeout = "500ms"\n')
        sup.wait_stderr("hang[0] cycle failed: timed out after 500ms", timeout=10)
        sup.wait_stderr("hang[0] cycle started", timeout=10)
        # and it keeps its schedule: another run starts after the failure
        sup.wait_for(lambda: sup.stderr().count("hang[0] cycle started") >= 2, timeout=10, what="second run")

    def test_a_failing_run_is_a_fault_and_the_schedule_goes_on(self):
        stamps = self.stamp_file()
        sup = self.start(f'[[task]]\nname = "bad"\ncommand = {probe("stamp", stamps, 0, 1)}\nevery = "500ms"\n')
        sup.wait_for(lambda: len(runs(stamps)) >= 3, timeout=10, what="3 runs")
        self.assertIn("bad[0] cycle failed: exited with code 1", sup.stderr())


if __name__ == "__main__":
    unittest.main()
