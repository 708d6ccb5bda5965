"""Task lifecycle with real processes: restart policies, backoff, start limit, critical tasks,
commands that cannot be executed (SPEC "Task lifecycle")."""
import json
import os
import re
import shlex
import shutil
import signal
import tempfile
import time
import unittest
from pathlib import Path

from harness import TaskmuxTest, probe

# For shell-string commands: a task that stays up, taking the shell's pid with exec.
PROBE_SLEEP = " ".join(shlex.quote(a) for a in json.loads(probe("sleep", 3600)))


def exits(stderr, label):
    return [l for l in stderr.splitlines() if f"{label} exited" in l or f"{label} unable" in l]


class RestartPolicyTest(TaskmuxTest):
    def test_restart_never_leaves_a_failed_task_exited(self):
        sup = self.start(f'[[task]]\nname = "once"\ncommand = {probe("exit", 3)}\nrestart = "never"\n')
        rows = sup.wait_state("once", "exited")
        self.assertEqual(rows[0]["last_exit"]["code"], 3)
        self.assertEqual(rows[0]["restarts"], 0)
        time.sleep(0.3)
        self.assertEqual(len(exits(sup.stderr(), "once[0]")), 1)

    def test_restart_on_failure_does_not_restart_a_clean_exit(self):
        sup = self.start(f'[[task]]\nname = "ok"\ncommand = {probe("exit", 0)}\nrestart = "on-failure"\n')
        rows = sup.wait_state("ok", "exited")
        self.assertEqual(rows[0]["last_exit"]["code"], 0)
        self.assertEqual(rows[0]["restarts"], 0)

    def test_restart_on_failure_restarts_a_failed_exit(self):
        sup = self.start(f'[[task]]\nname = "bad"\ncommand = {probe("exit", 1)}\nrestart = "on-failure"\n'
                         'backoff = { initial = "10ms", max = "50ms" }\nstart_limit = { burst = 0 }\n')
        sup.wait_for(lambda: (sup.rows("bad") or [{}])[0].get("restarts", 0) >= 3, what="3 restarts")

    def test_restart_always_restarts_a_clean_exit(self):
        sup = self.start(f'[[task]]\nname = "again"\ncommand = {probe("exit", 0)}\nrestart = "always"\n'
                         'backoff = { initial = "10ms", max = "50ms" }\nstart_limit = { burst = 0 }\n')
        sup.wait_for(lambda: (sup.rows("again") or [{}])[0].get("restarts", 0) >= 3, what="3 restarts")

    def test_backoff_gaps_grow(self):
        sup = self.start(f'[[task]]\nname = "crash"\ncommand = {probe("exit", 1)}\n'
                         'backoff = { initial = "100ms", max = "2s" }\nstart_limit = { burst = 0 }\n')
        sup.wait_for(lambda: len(re.findall(r"crash\[0\] exited", sup.stderr())) >= 5, timeout=15, what="5 exits")
        delays = [float(m) for m in re.findall(r"crash\[0\] exited .*restarting in (\d+)ms", sup.stderr())][:4]
        self.assertEqual(len(delays), 4, sup.stderr())
        # 100, 200, 400, 800 ms, each within the ±20% jitter.
        for n, d in enumerate(delays):
            base = 100 * 2 ** n
            self.assertGreaterEqual(d, base * 0.8 - 1, delays)
            self.assertLessEqual(d, base * 1.2 + 1, delays)

    def test_backoff_starts_again_from_initial_after_a_run_longer_than_max(self):
        # Runs 1-3 fail at once (100, 200, 400 ms), run 4 fails after 0.8 s, longer than max:
        # the delay after it is initial again, then it doubles anew.
        counter = Path(tempfile.mkdtemp(prefix="taskmux-test-")) / "runs"
        self.addCleanup(shutil.rmtree, counter.parent, True)
        script = (f'n=$(($(cat {counter} 2>/dev/null || echo 0) + 1)); echo $n > {counter}; '
                  f'case $n in 4) sleep 0.8; exit 1;; [1-5]) exit 1;; *) exec {PROBE_SLEEP};; esac')
        sup = self.start(f'[[task]]\nname = "flap"\ncommand = {json.dumps(script)}\n'
                         'backoff = { initial = "100ms", max = "500ms" }\nstart_limit = { burst = 0 }\n')

        def failed_runs():
            found = [b for _, _, b in sup.messages("_fault_flap") if b["event"] == "exited"]
            return found if len(found) >= 5 else None
        exited = sup.wait_for(failed_runs, timeout=15, what="5 failed runs on _fault_flap")
        runs = [(b["run_time_s"], b["delay_s"]) for b in exited]
        self.assertGreater(runs[3][0], 0.5, f"run 4 lasted longer than max: {runs}")
        self.assertTrue(all(r < 0.5 for r, _ in runs[:3] + runs[4:]), f"the other runs did not: {runs}")
        # Each within the ±20% jitter of 100, 200, 400, then 100 (reset), 200 ms.
        for (_, delay), base in zip(runs, (0.1, 0.2, 0.4, 0.1, 0.2)):
            self.assertGreaterEqual(delay, base * 0.8 - 0.001, runs)
            self.assertLessEqual(delay, base * 1.2 + 0.001, runs)

        # The store commits on its own thread: the 5th backoff report may land a moment later.
        def backoff_delays():
            found = [b["delay_s"] for _, _, b in sup.messages("_status_flap") if b["event"] == "backoff"]
            return found if len(found) >= 5 else None
        backoffs = sup.wait_for(backoff_delays, what="5 backoff reports on _status_flap")
        self.assertEqual(backoffs[:5], [d for _, d in runs], "the backoff report names the same delay")

    def test_start_limit_makes_a_task_fatal(self):
        sup = self.start(f'[[task]]\nname = "loop"\ncommand = {probe("exit", 1)}\n'
                         'backoff = { initial = "0s", max = "0s" }\nstart_limit = { burst = 3, interval = "60s" }\n')
        rows = sup.wait_state("loop", "fatal")
        self.assertEqual(rows[0]["restarts"], 2)
        sup.wait_stderr("loop[0] fatal")
        self.assertIsNone(sup.proc.poll(), "a non-critical fatal task must not stop taskmux")

    def test_a_fatal_critical_task_stops_everything_with_exit_1(self):
        sup = self.start(f'[[task]]\nname = "vital"\ncommand = {probe("exit", 1)}\ncritical = true\n'
                         'backoff = { initial = "0s", max = "0s" }\nstart_limit = { burst = 2, interval = "60s" }\n\n'
                         f'[[task]]\nname = "bystander"\ncommand = {probe("sleep", 3600)}\n')
        self.assertEqual(sup.wait_exit(20), 1)
        self.assertIn("critical task vital[0] is fatal", sup.stderr())
        self.assertEqual(sup.leftovers(), [])

    def test_a_command_that_cannot_be_executed_is_a_fault_not_a_crash(self):
        sup = self.start('[[task]]\nname = "ghost"\ncommand = ["/nonexistent/program"]\n'
                         'backoff = { initial = "10ms", max = "10ms" }\nstart_limit = { burst = 3, interval = "60s" }\n\n'
                         f'[[task]]\nname = "alive"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_state("ghost", "fatal")
        self.assertIn("unable to execute /nonexistent/program", sup.stderr())
        self.assertEqual(sup.rows("alive")[0]["state"] in ("running", "ready"), True)

    def test_a_workdir_that_is_gone_is_a_fault_that_names_the_step(self):
        # The child fails between vfork and exec: reported as such, not as the task's own exit.
        gone = tempfile.mkdtemp(prefix="taskmux-workdir-")
        self.addCleanup(shutil.rmtree, gone, True)
        sup = self.start(f'[[task]]\nname = "lost"\ncommand = {probe("exit", 1)}\nworkdir = "{gone}"\n'
                         'backoff = { initial = "200ms", max = "200ms" }\nstart_limit = { burst = 3, interval = "60s" }\n\n'
                         f'[[task]]\nname = "alive"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_stderr("lost[0] exited with code 1")
        os.rmdir(gone)
        sup.wait_state("lost", "fatal")
        self.assertRegex(sup.stderr(), r"unable to execute \S+probe_task \(chdir\): No such file or directory")
        self.assertIn(sup.rows("alive")[0]["state"], ("running", "ready"))


class DependencyFailureTest(TaskmuxTest):
    """SPEC: a task whose dependency goes fatal, or exits for good with a failure, is blocked."""

    def blocked_reports(self, sup, task):
        return [b for _, _, b in sup.messages(f"_fault_{task}") if b["event"] == "blocked"]

    def test_dependents_of_a_failed_never_task_are_blocked_with_a_fault_naming_it(self):
        sup = self.start(f'[[task]]\nname = "db"\ncommand = {probe("exit", 3)}\nrestart = "never"\n\n'
                         f'[[task]]\nname = "app"\ncommand = {probe("sleep", 3600)}\ndepends_on = ["db"]\ninstances = 2\n\n'
                         f'[[task]]\nname = "edge"\ncommand = {probe("sleep", 3600)}\ndepends_on = ["app"]\n')
        sup.wait_state("app", "blocked", count=2)
        sup.wait_state("edge", "blocked")
        sup.wait_stderr("edge[0] blocked")
        err = sup.stderr()
        self.assertIn("app[0] blocked: dependency db[0] exited with a failure and does not restart", err)
        self.assertIn("app[1] blocked: dependency db[0]", err)
        self.assertIn("edge[0] blocked: dependency app[0] is blocked", err)
        reports = sup.wait_for(lambda: len(self.blocked_reports(sup, "app")) == 2 and self.blocked_reports(sup, "app"),
                               what="blocked reports on _fault_app")
        self.assertEqual(sorted(r["instance"] for r in reports), [0, 1])
        self.assertTrue(all("db[0]" in r["message"] and r["state"] == "blocked" for r in reports), reports)
        self.assertEqual(sup.leftovers(), [], "nothing of a blocked task was started")
        self.assertIsNone(sup.proc.poll(), "a non-critical blocked task does not stop taskmux")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertIn("app[1] stopped", sup.stderr())

    def test_dependents_of_a_fatal_task_are_blocked(self):
        sup = self.start(f'[[task]]\nname = "flaky"\ncommand = {probe("exit", 1)}\n'
                         'backoff = { initial = "0s", max = "0s" }\nstart_limit = { burst = 2, interval = "60s" }\n\n'
                         f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\ndepends_on = ["flaky"]\n')
        sup.wait_state("web", "blocked")
        self.assertEqual(sup.rows("flaky")[0]["state"], "fatal")
        sup.wait_for(lambda: self.blocked_reports(sup, "web"), what="a blocked report")
        self.assertIn("flaky[0] is fatal", self.blocked_reports(sup, "web")[0]["message"])

    def test_a_blocked_critical_task_ends_taskmux_with_exit_1(self):
        sup = self.start(f'[[task]]\nname = "db"\ncommand = {probe("exit", 1)}\nrestart = "never"\n\n'
                         f'[[task]]\nname = "api"\ncommand = {probe("sleep", 3600)}\ndepends_on = ["db"]\ncritical = true\n\n'
                         f'[[task]]\nname = "bystander"\ncommand = {probe("sleep", 3600)}\n')
        self.assertEqual(sup.wait_exit(20), 1)
        self.assertIn("critical task api[0] is blocked", sup.stderr())
        self.assertEqual(sup.leftovers(), [])


class DependencyReadyTest(TaskmuxTest):
    """SPEC: a looped task between runs and a `restart = "never"` task that exited 0 count as
    ready, for depends_on as for /readyz."""

    def test_a_looped_dependency_between_runs_lets_its_dependent_start(self):
        sup = self.start(f'[[task]]\nname = "batch"\ncommand = {probe("sleep", 0.5)}\nevery = "1h"\n\n'
                         f'[[task]]\nname = "app"\ncommand = {probe("sleep", 3600)}\ndepends_on = ["batch"]\n')
        sup.wait_state("app", ("running", "ready"), timeout=10)
        self.assertEqual(sup.rows("batch")[0]["state"], "waiting")
        err = sup.stderr()
        self.assertLess(err.index("batch[0] cycle succeeded"), err.index("app[0] started"),
                        "app waits for the end of the first run")

    def test_a_never_task_that_exited_0_lets_its_dependent_start(self):
        sup = self.start(f'[[task]]\nname = "migrate"\ncommand = {probe("exit", 0)}\nrestart = "never"\n\n'
                         f'[[task]]\nname = "app"\ncommand = {probe("sleep", 3600)}\ndepends_on = ["migrate"]\n')
        sup.wait_state("app", ("running", "ready"), timeout=10)
        row = sup.rows("migrate")[0]
        self.assertEqual((row["state"], row["last_exit"]["code"]), ("exited", 0), row)
        err = sup.stderr()
        self.assertLess(err.index("migrate[0] exited"), err.index("app[0] started"))


class LongChainTest(TaskmuxTest):
    def test_a_chain_of_5000_dependencies_starts_and_stops_in_order_without_recursion(self):
        # Each task waits for the one before it; a SIGTERM stops them all, last first: a chain
        # of synchronous stops, which must not recurse once per link.
        n = 5000
        body = "".join(f'[[task]]\nname = "t{i}"\ncommand = {probe("sleep", 3600)}\n'
                       + (f'depends_on = ["t{i - 1}"]\n' if i else "") + "\n" for i in range(n))
        sup = self.start(body)
        sup.wait_state("t0", ("running", "ready"), timeout=30)
        sup.wait_state("t1", ("running", "ready"), timeout=10)
        start = time.monotonic()
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(60), 0)
        self.assertLess(time.monotonic() - start, 20)
        err = sup.stderr()
        self.assertLess(err.index(f"t{n - 1}[0] stopped"), err.index("t1[0] stopping"))
        self.assertLess(err.index("t1[0] stopped"), err.index("t0[0] stopping"))
        self.assertEqual(sup.leftovers(), [])


class SpawnFailureLoopTest(TaskmuxTest):
    def test_a_failing_command_with_zero_backoff_and_no_limit_does_not_crash_taskmux(self):
        sup = self.start('[[task]]\nname = "ghost"\ncommand = ["/nonexistent/program"]\n'
                         'backoff = { initial = "0s", max = "0s" }\nstart_limit = { burst = 0 }\n')
        sup.wait_for(lambda: (sup.rows("ghost") or [{}])[0].get("restarts", 0) > 2000, timeout=20,
                     what="2000 failed restarts")
        self.assertIsNone(sup.proc.poll(), "taskmux died")


class EnvironmentTest(TaskmuxTest):
    def test_a_task_gets_its_name_instance_namespace_and_config_env(self):
        sup = self.start(f'[[task]]\nname = "show"\ncommand = {probe("env")}\ninstances = 2\nrestart = "never"\n'
                         'namespace = "ns1"\nenv = { GREETING = "hello", PYTHONUNBUFFERED = "0" }\n')
        sup.wait_state("show", "exited", count=2)
        out = sup.stdout()
        for i in (0, 1):
            self.assertIn(f"show[{i}] | TASK_INSTANCE={i}", out)
        self.assertIn("show[0] | TASK_NAME=show", out)
        self.assertIn("show[0] | NAMESPACE=ns1", out)
        self.assertIn("show[0] | GREETING=hello", out)
        self.assertIn("show[0] | PYTHONUNBUFFERED=0", out, "a configured value wins over the default")

    def test_inherit_env_false_gives_a_task_only_its_own_variables(self):
        sup = self.start(f'[[task]]\nname = "bare"\ncommand = {probe("env")}\nrestart = "never"\ninherit_env = false\n'
                         'env = { MINE = "x" }\n\n'
                         f'[[task]]\nname = "full"\ncommand = {probe("env")}\nrestart = "never"\n',
                         env={"TASKMUX_TEST_OUTER": "outer"})
        sup.wait_state(None, "exited", count=2)
        sup.wait_stdout("full[0] | TASKMUX_TEST_OUTER=outer")
        # The instance mark comes last in a task's environment: once it is there, all of it is.
        sup.wait_stdout("bare[0] | TASKMUX_INSTANCE=")
        bare = [l[len("bare[0] | "):] for l in sup.stdout().splitlines() if l.startswith("bare[0] | ")]
        # PYTHONUNBUFFERED is taskmux's default for every task; TASKMUX_INSTANCE marks its processes.
        self.assertEqual(sorted(kv.split("=", 1)[0] for kv in bare),
                         ["MINE", "NAMESPACE", "NOTIFY_SOCKET", "PYTHONUNBUFFERED", "TASKMUX_INSTANCE", "TASK_INSTANCE",
                          "TASK_NAME"], bare)
        self.assertIn("MINE=x", bare)

    def test_a_string_command_runs_through_sh_in_the_workdir(self):
        sup = self.start('[[task]]\nname = "sh"\ncommand = "echo dir=$(pwd) && echo $((6*7))"\nworkdir = "/tmp"\n'
                         'restart = "never"\n')
        sup.wait_state("sh", "exited")
        self.assertIn("sh[0] | dir=/tmp", sup.stdout())
        self.assertIn("sh[0] | 42", sup.stdout())

    @unittest.skipUnless(os.geteuid() == 0, "dropping privileges needs root")
    def test_user_drops_privileges_to_that_user_and_its_groups(self):
        sup = self.start('[[task]]\nname = "who"\ncommand = ["id"]\nuser = "nobody"\nrestart = "never"\n')
        sup.wait_state("who", "exited")
        sup.wait_stdout("who[0] | uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)")

    def test_each_instance_leads_its_own_process_group(self):
        sup = self.start(f'[[task]]\nname = "grp"\ncommand = {probe("sleep", 3600)}\ninstances = 3\n')
        rows = sup.wait_state("grp", ("running", "ready"), count=3)
        for r in rows:
            self.assertEqual(os.getpgid(r["pid"]), r["pid"])

    def test_a_task_inherits_stdin_stdout_and_stderr_only(self):
        # taskmux holds the control socket, the store, notify sockets and probe connections;
        # none of them may leak into a task, nor a descriptor taskmux itself inherited.
        script = "import os; print('fds', sorted(int(f) for f in os.listdir('/proc/self/fd')))"
        extra_r, extra_w = os.pipe()
        self.addCleanup(os.close, extra_r)
        self.addCleanup(os.close, extra_w)
        sup = self.start('[[task]]\nname = "fds"\ncommand = ["python3", "-c", "' + script.replace('"', '\\"') +
                         '"]\nrestart = "never"\n[[task]]\nname = "other"\ncommand = ["sleep", "3600"]\n'
                         'ready = { tcp = "127.0.0.1:9" }\n', pass_fds=(extra_r, extra_w))
        sup.wait_state("fds", "exited")
        # 3 is the directory python lists /proc/self/fd with.
        sup.wait_stdout("fds[0] | fds [0, 1, 2, 3]")


if __name__ == "__main__":
    unittest.main()
