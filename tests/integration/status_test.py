"""`taskmux status` over the control socket (SPEC "Command line", "Queue reports" row shape)."""
import json
import os
import stat
import subprocess
import unittest

from harness import TASKMUX, TaskmuxTest, probe


class StatusTest(TaskmuxTest):
    def test_status_json_has_one_row_per_instance_in_spec_shape(self):
        sup = self.start(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\ninstances = 2\n\n'
                         f'[[task]]\nname = "job"\ncommand = {probe("exit", 0)}\nevery = "1h"\n')
        sup.wait_state("web", "ready", count=2)
        sup.wait_state("job", "waiting")
        doc = sup.status()
        self.assertEqual(doc["supervisor"], "test")
        self.assertRegex(doc["run"], r"^[0-9a-f]{6}$")
        self.assertEqual([(r["task"], r["instance"]) for r in doc["tasks"]], [("web", 0), ("web", 1), ("job", 0)])
        keys = {"task", "instance", "state", "ready", "pid", "started_at", "uptime_s", "restarts", "last_exit", "status", "next_run"}
        for r in doc["tasks"]:
            self.assertEqual(set(r), keys)
        web = doc["tasks"][0]
        self.assertGreater(web["pid"], 1)
        self.assertEqual(web["restarts"], 0)
        job = doc["tasks"][2]
        self.assertEqual(job["last_exit"]["code"], 0)
        self.assertIsNotNone(job["next_run"])

    def test_status_filters_by_task_and_rejects_unknown_ones(self):
        sup = self.start(f'[[task]]\nname = "a"\ncommand = {probe("sleep", 3600)}\n\n'
                         f'[[task]]\nname = "b"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_ready()
        self.assertEqual([r["task"] for r in sup.status("b")["tasks"]], ["b"])
        r = subprocess.run([TASKMUX, "status", "--socket", str(sup.socket), "nope"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown task: nope", r.stderr)

    def test_the_table_names_every_instance(self):
        sup = self.start(f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\ninstances = 2\n')
        sup.wait_ready()
        r = subprocess.run([TASKMUX, "-c", str(sup.config), "status"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("TASK"))
        self.assertTrue(lines[1].startswith("web[0]"))
        self.assertTrue(lines[2].startswith("web[1]"))

    def test_the_control_socket_is_private(self):
        sup = self.start(f'[[task]]\nname = "a"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_ready()
        self.assertEqual(stat.S_IMODE(os.stat(sup.socket).st_mode), 0o600)

    def test_status_without_a_supervisor_exits_3(self):
        r = subprocess.run([TASKMUX, "status", "--socket", "/tmp/taskmux-nobody-here.sock"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 3)
        self.assertIn("unable to reach taskmux", r.stderr)


if __name__ == "__main__":
    unittest.main()
