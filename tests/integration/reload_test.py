"""Hot reload (SPEC "Command line", `[supervisor] watch`): the file is validated first; only
the difference is applied; unchanged tasks keep their processes and restart counts."""
import signal
import subprocess
import time
import unittest

from harness import TASKMUX, TaskmuxTest, probe, proc_state


def alive(pid):
    return proc_state(pid) not in (None, "Z")


def task(name, *args, instances=1, extra=""):
    return f'[[task]]\nname = "{name}"\ncommand = {probe(*args)}\ninstances = {instances}\n{extra}\n'


HEAD = '[supervisor]\nstate_dir = "state"\nname = "test"\nshutdown_timeout = "20s"\n'


class ReloadTest(TaskmuxTest):
    def write(self, sup, body, head=HEAD):
        sup.config.write_text(head + "\n" + body)

    def reload(self, sup):
        return subprocess.run([TASKMUX, "-c", str(sup.config), "reload"], capture_output=True, text=True, timeout=30)

    def pids(self, sup):
        return {f'{r["task"]}[{r["instance"]}]': r["pid"] for r in sup.rows()}

    def running(self, sup, count):
        sup.wait_state(None, ("running", "ready"), count=count)
        return self.pids(sup)

    def test_add_remove_change_and_scale_touch_only_what_changed(self):
        body = (task("keep", "sleep", 3600) + task("gone", "sleep", 3600) + task("change", "sleep", 3600)
                + task("grow", "sleep", 3600, instances=1) + task("shrink", "sleep", 3600, instances=3))
        sup = self.start(body)
        before = self.running(sup, 7)
        self.write(sup, task("keep", "sleep", 3600) + task("change", "sleep", 3601)
                   + task("grow", "sleep", 3600, instances=3) + task("shrink", "sleep", 3600, instances=1)
                   + task("new", "sleep", 3600))
        r = self.reload(sup)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("added: new", r.stdout)
        self.assertIn("removed: gone", r.stdout)
        self.assertIn("restarted: change", r.stdout)
        self.assertIn("scaled: grow 1 -> 3 shrink 3 -> 1", r.stdout)
        sup.wait_for(lambda: set(self.pids(sup)) == {"keep[0]", "change[0]", "grow[0]", "grow[1]", "grow[2]",
                                                     "shrink[0]", "new[0]"}, what="the new set")
        after = self.running(sup, 7)
        for same in ("keep[0]", "grow[0]", "shrink[0]"):
            self.assertEqual(after[same], before[same], f"{same} keeps its process")
        self.assertNotEqual(after["change[0]"], before["change[0]"])
        for gone in ("gone[0]", "change[0]", "shrink[1]", "shrink[2]"):
            self.assertFalse(alive(before[gone]), f"{gone}'s old process is stopped")
        self.assertEqual([r["restarts"] for r in sup.rows("keep")], [0])

    def test_comments_whitespace_and_key_order_change_nothing(self):
        body = task("a", "sleep", 3600, instances=2) + task("b", "sleep", 3600, extra='restart = "always"')
        sup = self.start(body)
        before = self.running(sup, 3)
        shuffled = ('# edited by hand\n[[task]]\ncommand = ' + probe("sleep", 3600) + '\n   name   =   "a"\n'
                    'instances = 2   # two\n\n[[task]]\nrestart = "always"\nname = "b"\ncommand = '
                    + probe("sleep", 3600) + '\ninstances = 1\n')
        self.write(sup, shuffled, head='[supervisor]\nname = "test"\nshutdown_timeout = "20s"\nstate_dir = "state"\n')
        r = self.reload(sup)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "nothing changed\n")
        time.sleep(0.5)
        self.assertEqual(self.pids(sup), before)

    def test_an_invalid_file_keeps_every_process_and_says_every_problem(self):
        sup = self.start(task("a", "sleep", 3600) + task("b", "sleep", 3600))
        before = self.running(sup, 2)
        self.write(sup, task("a", "sleep", 3600) + '[[task]]\nname = "b"\ncommand = ["x"]\nbogus = 1\n'
                   'restart = "sometimes"\n')
        r = self.reload(sup)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"config\.toml:\d+:\d+: unknown key 'bogus'")
        self.assertRegex(r.stderr, r"config\.toml:\d+:\d+: restart must be one of")
        self.assertIn("2 problems; the running tasks are kept", r.stderr)
        time.sleep(0.5)
        self.assertEqual(self.pids(sup), before)
        msgs = sup.wait_for(lambda: sup.messages("_fault_test"), what="a config_error report")
        body = msgs[-1][2]
        self.assertEqual(body["event"], "config_error")
        self.assertIn("unknown key 'bogus'", body["message"])
        # A syntax error too: the file cannot even be parsed, the supervisor is still reached.
        sup.config.write_text(HEAD + '[[task]]\nname = "a"\ncommand = ["sleep", 3600\n')
        r = self.reload(sup)
        self.assertEqual(r.returncode, 2)
        self.assertIn("config.toml:", r.stderr)
        self.assertEqual(self.pids(sup), before)

    def test_sighup_reloads(self):
        sup = self.start(task("a", "sleep", 3600))
        before = self.running(sup, 1)
        self.write(sup, task("a", "sleep", 3600) + task("b", "sleep", 3600))
        sup.signal(signal.SIGHUP)
        sup.wait_state("b", ("running", "ready"))
        self.assertEqual(self.pids(sup)["a[0]"], before["a[0]"])
        self.assertIn("reload: added: b", sup.stderr())

    def test_log_timestamps_applies_at_once(self):
        sup = self.start(task("a", "sleep", 3600))
        self.running(sup, 1)
        self.write(sup, task("a", "sleep", 3600) + task("b", "sleep", 3600),
                   head=HEAD + "log_timestamps = true\n")
        self.assertEqual(self.reload(sup).returncode, 0)
        line = sup.wait_for(lambda: next((l for l in sup.stderr().splitlines() if "b[0] started" in l), None),
                            what="b[0] started")
        self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z taskmux \| b\[0\] started")
        self.assertNotRegex(sup.stderr().splitlines()[0], r"^\d{4}-", "lines before the reload have none")

    def test_watch_reloads_when_the_file_is_saved(self):
        head = HEAD + "watch = true\n"
        sup = self.start(task("a", "sleep", 3600), supervisor_table='name = "test"\nwatch = true')
        before = self.running(sup, 1)
        # As an editor saves: a new file renamed over the old one.
        tmp = sup.config.with_suffix(".tmp")
        tmp.write_text(head + "\n" + task("a", "sleep", 3600) + task("b", "sleep", 3600))
        tmp.rename(sup.config)
        sup.wait_state("b", ("running", "ready"))
        self.assertEqual(self.pids(sup)["a[0]"], before["a[0]"])
        # And written in place.
        sup.config.write_text(head + "\n" + task("a", "sleep", 3600))
        sup.wait_for(lambda: "b[0]" not in self.pids(sup), what="b removed")

    def test_removed_tasks_stop_dependents_first(self):
        sup = self.start(task("db", "sleep", 3600) + task("app", "sleep", 3600, extra='depends_on = ["db"]')
                         + task("other", "sleep", 3600))
        self.running(sup, 3)
        self.write(sup, task("other", "sleep", 3600))
        r = self.reload(sup)
        self.assertEqual(r.returncode, 0, r.stderr)
        sup.wait_for(lambda: set(self.pids(sup)) == {"other[0]"}, what="db and app gone")
        err = sup.stderr()
        self.assertLess(err.index("app[0] stopped"), err.index("db[0] stopped"), "the dependent stopped first")

    def test_a_follower_of_a_removed_task_sees_its_stream_end(self):
        sup = self.start('[[task]]\nname = "talk"\ncommand = ["sh", "-c", "while :; do echo hi; sleep 0.1; done"]\n'
                         + task("stay", "sleep", 3600))
        sup.wait_stdout("talk[0] | hi")
        follower = subprocess.Popen([TASKMUX, "--socket", str(sup.socket), "logs", "-f", "-n", "1", "talk"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(follower.kill)
        self.assertEqual(follower.stdout.readline(), "talk[0] | hi\n")
        self.write(sup, task("stay", "sleep", 3600))
        self.assertEqual(self.reload(sup).returncode, 0)
        out, _ = follower.communicate(timeout=15)
        self.assertEqual(follower.returncode, 0)
        self.assertTrue(out.endswith("[taskmux: talk was removed or replaced by a reload; its output ends here]\n"),
                        out[-300:])

    def test_a_reload_that_removes_what_a_stop_or_restart_waits_for(self):
        # The requests look their instances up by name at each step: the removed ones are
        # simply gone from the answer, and taskmux goes on.
        sup = self.start(task("stubborn", "ignore-term", 3600, extra='stop_timeout = "2s"')
                         + task("other", "sleep", 3600))
        sup.wait_stdout("stubborn[0] | ignoring SIGTERM")
        ctl = [TASKMUX, "--socket", str(sup.socket)]
        stop = subprocess.Popen(ctl + ["stop", "stubborn"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        restart = subprocess.Popen(ctl + ["restart", "--all"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        self.addCleanup(stop.kill)
        self.addCleanup(restart.kill)
        time.sleep(0.3)
        self.write(sup, task("other", "sleep", 3600))
        self.assertEqual(self.reload(sup).returncode, 0)
        out, err = stop.communicate(timeout=20)
        self.assertEqual((stop.returncode, out, err), (0, "", ""), "stubborn is gone from the answer")
        out, err = restart.communicate(timeout=20)
        self.assertEqual(restart.returncode, 0, err)
        self.assertRegex(out, r"^other\[0\]: running \(pid \d+\)\n$")
        self.assertIsNone(sup.proc.poll(), "taskmux is still running")
        self.assertEqual(set(self.pids(sup)), {"other[0]"})

    def test_keys_that_need_a_restart_keep_their_running_value_and_say_so(self):
        sup = self.start(task("a", "sleep", 3600))
        before = self.running(sup, 1)
        self.write(sup, task("a", "sleep", 3600),
                   head='[supervisor]\nstate_dir = "state"\nname = "renamed"\nshutdown_timeout = "20s"\n')
        r = self.reload(sup)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "nothing changed\n[supervisor] name changed: applies when taskmux restarts\n")
        self.assertEqual(sup.status()["supervisor"], "test", "the running name is kept")
        self.assertEqual(self.pids(sup), before)


if __name__ == "__main__":
    unittest.main()
