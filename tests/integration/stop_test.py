"""Stopping (SPEC "Task lifecycle"): SIGTERM to taskmux stops every task in reverse dependency
order, SIGKILL after stop_timeout, and nothing a task started survives, setsid or not."""
import os
import signal
import subprocess
import sys
import time
import unittest

from harness import TASKMUX, TaskmuxTest, argv, cgroup2_tracking, probe, proc_state, read_pid


def alive(pid):
    return proc_state(pid) not in (None, "Z")


class StopTest(TaskmuxTest):
    def test_sigterm_with_50_tasks_exits_0_and_leaves_no_process(self):
        body = "".join(f'[[task]]\nname = "t{i}"\ncommand = {probe("sleep", 3600)}\n\n' for i in range(50))
        sup = self.start(body)
        sup.wait_state(None, ("running", "ready"), count=50)
        self.assertEqual(len(sup.leftovers()), 50)
        start = time.monotonic()
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(sup.leftovers(), [])

    def test_sigterm_while_instances_are_still_being_spawned_leaves_nothing(self):
        # Spawns run on their own thread: a stop that arrives while some are under way waits
        # for each to finish, then stops what it started.
        sup = self.start(f'[[task]]\nname = "many"\ncommand = {probe("sleep", 3600)}\ninstances = 300\n')
        sup.wait_stderr("many[0] started")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertEqual(sup.leftovers(), [])
        err = sup.stderr()
        started = err.count(" started (pid ")
        self.assertGreater(started, 0)
        self.assertEqual(err.count("] stopped"), started, "every instance that started was stopped")

    def test_a_task_ignoring_sigterm_is_killed_after_stop_timeout(self):
        sup = self.start(f'[[task]]\nname = "stubborn"\ncommand = {probe("ignore-term", 3600)}\nstop_timeout = "1s"\n')
        sup.wait_stdout("stubborn[0] | ignoring SIGTERM")
        start = time.monotonic()
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0, "a shutdown that needed SIGKILL still exits 0")
        took = time.monotonic() - start
        self.assertGreaterEqual(took, 0.9)
        self.assertLess(took, 4)
        self.assertIn("stubborn[0] did not stop within 1s of SIGTERM; sent SIGKILL", sup.stderr())
        self.assertIn("all tasks stopped (1 needed SIGKILL)", sup.stderr())
        self.assertEqual(sup.leftovers(), [])

    def test_an_instance_that_needed_sigkill_at_stop_is_reported_on_its_fault_queue(self):
        sup = self.start(f'[[task]]\nname = "stubborn"\nnamespace = "stub"\ncommand = {probe("ignore-term", 3600)}\n'
                         'stop_timeout = "500ms"\n\n'
                         f'[[task]]\nname = "calm"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_stdout("stubborn[0] | ignoring SIGTERM")
        sup.wait_state("calm", ("running", "ready"))
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        faults = [b for _, _, b in sup.messages("_fault_stub") if b["event"] == "fault"]
        self.assertEqual(len(faults), 1, sup.messages("_fault_stub"))
        self.assertEqual((faults[0]["task"], faults[0]["instance"], faults[0]["state"]), ("stubborn", 0, "stopping"))
        self.assertIn("did not stop within 500ms of SIGTERM; sent SIGKILL", faults[0]["message"])
        self.assertEqual(sup.messages("_fault_calm"), [], "a task that stopped on SIGTERM is no fault")

    def test_an_instance_killed_by_shutdown_timeout_or_a_second_sigterm_is_reported_as_a_fault(self):
        # SPEC: a shutdown that had to use SIGKILL exits 0 "after reporting a fault for each
        # instance that needed it", whichever deadline sent the SIGKILL.
        for second_sigterm in (False, True):
            with self.subTest(second_sigterm=second_sigterm):
                sup = self.start(f'[[task]]\nname = "stubborn"\ncommand = {probe("ignore-term", 3600)}\n'
                                 'stop_timeout = "60s"\n',
                                 supervisor_table=f'name = "test"\nshutdown_timeout = "{20 if second_sigterm else 1}s"')
                sup.wait_stdout("stubborn[0] | ignoring SIGTERM")
                sup.signal(signal.SIGTERM)
                if second_sigterm:
                    sup.wait_stderr("stubborn[0] stopping")
                    sup.signal(signal.SIGTERM)
                self.assertEqual(sup.wait_exit(10), 0)
                faults = [b for _, _, b in sup.messages("_fault_stubborn") if b["event"] == "fault"]
                self.assertEqual([(b["instance"], b["state"]) for b in faults], [(0, "stopping")],
                                 sup.messages("_fault_stubborn"))

    def test_a_second_sigterm_during_the_shutdown_kills_everything_at_once(self):
        sup = self.start(f'[[task]]\nname = "stubborn"\ncommand = {probe("ignore-term", 3600)}\nstop_timeout = "60s"\n\n'
                         f'[[task]]\nname = "calm"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_stdout("stubborn[0] | ignoring SIGTERM")
        sup.wait_state("calm", ("running", "ready"))
        sup.signal(signal.SIGTERM)
        sup.wait_stderr("stubborn[0] stopping")
        start = time.monotonic()
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(10), 0, "docs/cli.md: TERM exits 0, a second one too")
        self.assertLess(time.monotonic() - start, 1.5, "neither stop_timeout nor shutdown_timeout was waited for")
        self.assertIn("received SIGTERM again: killing everything now", sup.stderr())
        self.assertEqual(sup.leftovers(), [])

    def test_when_shutdown_timeout_passes_everything_left_is_killed_and_taskmux_exits_0(self):
        # Both outlast the 1 s shutdown_timeout: a main process that ignores TERM, and the setsid
        # child (ignoring TERM) of a main process that stops at once, within its own 60 s stop_timeout.
        pidfile = f"/tmp/taskmux-late-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(lambda: os.path.exists(pidfile) and os.unlink(pidfile))
        sup = self.start(f'[[task]]\nname = "stubborn"\ncommand = {probe("ignore-term", 3600)}\nstop_timeout = "60s"\n\n'
                         f'[[task]]\nname = "leaky"\ncommand = {probe("setsid-child", 3600, pidfile)}\nstop_timeout = "60s"\n',
                         supervisor_table='name = "test"\nshutdown_timeout = "1s"')
        sup.wait_stdout("stubborn[0] | ignoring SIGTERM")
        grandchild = sup.wait_for(lambda: read_pid(pidfile), what="grandchild pid")
        start = time.monotonic()
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(10), 0, "a shutdown that had to use SIGKILL still exits 0")
        took = time.monotonic() - start
        self.assertGreaterEqual(took, 0.9)
        self.assertLess(took, 3, "shutdown_timeout bounds the whole shutdown")
        self.assertIn("shutdown_timeout passed: killing what is left", sup.stderr())
        self.assertFalse(alive(grandchild))
        self.assertEqual(sup.leftovers(), [])

    def test_a_background_grandchild_in_the_group_is_gone_after_the_stop(self):
        pidfile = f"/tmp/taskmux-bg-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(lambda: os.path.exists(pidfile) and os.unlink(pidfile))
        sup = self.start(f'[[task]]\nname = "bg"\ncommand = {probe("background", 3600, pidfile)}\n')
        grandchild = sup.wait_for(lambda: read_pid(pidfile), what="grandchild pid")
        self.assertTrue(alive(grandchild))
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertFalse(alive(grandchild))

    def test_a_grandchild_that_called_setsid_is_gone_after_the_stop(self):
        pidfile = f"/tmp/taskmux-setsid-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(lambda: os.path.exists(pidfile) and os.unlink(pidfile))
        sup = self.start(f'[[task]]\nname = "escape"\ncommand = {probe("setsid-child", 3600, pidfile)}\n'
                         'stop_timeout = "1s"\n')
        grandchild = sup.wait_for(lambda: read_pid(pidfile), what="grandchild pid")
        self.assertNotEqual(os.getsid(grandchild), sup.rows("escape")[0]["pid"], "it left the session")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertFalse(alive(grandchild), "the setsid grandchild survived the stop")

    def test_what_a_task_left_behind_is_stopped_before_it_restarts(self):
        pidfile = f"/tmp/taskmux-left-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(lambda: os.path.exists(pidfile) and os.unlink(pidfile))
        # The main process exits after 0.3 s; its setsid child (ignoring TERM) must be killed.
        sup = self.start(f'[[task]]\nname = "leaky"\ncommand = {probe("setsid-child", 0.3, pidfile, 3600)}\n'
                         'restart = "never"\nstop_timeout = "500ms"\n')
        grandchild = sup.wait_for(lambda: read_pid(pidfile), what="grandchild pid")
        sup.wait_state("leaky", "exited", timeout=10)
        self.assertFalse(alive(grandchild))

    def test_a_clean_shutdown_after_an_earlier_kill_does_not_claim_sigkill(self):
        pidfile = f"/tmp/taskmux-killed-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(lambda: os.path.exists(pidfile) and os.unlink(pidfile))
        # The cleanup after its exit needs SIGKILL (the child ignores TERM); the shutdown later does not.
        sup = self.start(f'[[task]]\nname = "leaky"\ncommand = {probe("setsid-child", 0.3, pidfile, 3600)}\n'
                         'restart = "never"\nstop_timeout = "300ms"\n\n'
                         f'[[task]]\nname = "calm"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_state("leaky", "exited", timeout=10)
        sup.wait_stderr("sent SIGKILL")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        final = [l for l in sup.stderr().splitlines() if "all tasks stopped" in l]
        self.assertEqual(len(final), 1, sup.stderr())
        self.assertNotIn("needed SIGKILL", final[0])

    def test_an_unmarked_process_that_left_the_group_is_stopped_at_shutdown(self):
        pidfile = f"/tmp/taskmux-unmarked-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(lambda: os.path.exists(pidfile) and os.unlink(pidfile))
        # A cleared environment (no instance mark) and a new session: only its cgroup knows it;
        # without cgroup tracking, only the final orphan sweep can find it. ($$$$ is "$$" after
        # taskmux's own $-escaping.)
        sup = self.start('[[task]]\nname = "hide"\n'
                         f'command = "env -i /bin/sh -c \'echo $$$$ > {pidfile}; exec setsid sleep 3600\' & sleep 3600"\n')
        escaped = sup.wait_for(lambda: read_pid(pidfile), what="escaped pid")
        sup.wait_for(lambda: alive(escaped) and os.getsid(escaped) == escaped, what="escaped into its own session")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertFalse(alive(escaped), "the escaped process survived the shutdown")
        if cgroup2_tracking()[0]:
            self.assertNotIn("orphaned processes", sup.stderr(), "stopped with its task")
        else:
            self.assertIn("stopping 1 orphaned processes", sup.stderr())

    @unittest.skipUnless(os.geteuid() == 0, "a mount namespace without cgroup2 (unshare --mount) needs root")
    def test_the_next_taskmux_stops_what_a_killed_one_left_by_its_instance_mark(self):
        # No cgroup here: a grandchild of a taskmux killed with SIGKILL survives (PDEATHSIG
        # reaches only its own children); the next taskmux on the same state_dir finds it by
        # the dead run's instance mark.
        pidfile = f"/tmp/taskmux-stray-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(lambda: os.path.exists(pidfile) and os.unlink(pidfile))
        body = f'[[task]]\nname = "leaky"\ncommand = {probe("setsid-child", 3600, pidfile)}\n'
        first = self.start(body, no_cgroup=True)
        stray = first.wait_for(lambda: read_pid(pidfile), what="grandchild pid")
        first.wait_stderr("cgroup tracking off")
        run1 = first.status()["run"]
        first.proc.kill()
        first.wait_exit()
        time.sleep(0.2)
        self.assertTrue(alive(stray), "it outlives a SIGKILL of its taskmux")
        os.unlink(pidfile)
        second = self.start(body, no_cgroup=True, dir=first.dir)
        second.wait_stderr(f"run {run1} of a taskmux that was killed left 1 processes")
        # The log line follows the SIGKILL; the kernel ends the process a moment later.
        second.wait_for(lambda: not alive(stray), 5, "the stray to be gone")
        self.assertIn("stopped them (SIGTERM, then SIGKILL)", second.stderr())
        second.wait_for(lambda: read_pid(pidfile), what="the new run's grandchild")
        second.signal(signal.SIGTERM)
        self.assertEqual(second.wait_exit(20), 0)
        third = self.start(body, no_cgroup=True, dir=first.dir)
        third.wait_state("leaky", ("running", "ready"))
        self.assertNotIn("of a taskmux that was killed", third.stderr(), "a clean exit leaves nothing to stop")

    # A master that stops its own worker on SIGTERM, as nginx, gunicorn and PostgreSQL do.
    MASTER = (
        "import os, signal, sys, time\n"
        "def say(t): os.write(1, (t + '\\n').encode())\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    signal.signal(signal.SIGTERM, lambda *a: (say('worker got SIGTERM'), os._exit(0)))\n"
        "    signal.signal(signal.SIGUSR1, lambda *a: (say('worker stopped by its master'), os._exit(0)))\n"
        "    say('worker up')\n"
        "    while True: time.sleep(1)\n"
        "def stop(*a):\n"
        "    say('master got SIGTERM')\n"
        "    time.sleep(0.3)\n"  # a graceful master lets the worker finish first
        "    os.kill(pid, signal.SIGUSR1)\n"
        "    os.waitpid(pid, 0)\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "while True: time.sleep(1)\n")

    def stop_master(self, kill_mode):
        extra = f'kill_mode = "{kill_mode}"\n' if kill_mode else ""
        sup = self.start(f'[[task]]\nname = "m"\ncommand = {argv(sys.executable, "-c", self.MASTER)}\n{extra}')
        sup.wait_stdout("m[0] | worker up")
        subprocess.run([TASKMUX, "stop", "--socket", str(sup.socket), "m"], check=True, capture_output=True)
        sup.wait_state("m", "stopped")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        return sup.stdout(), sup.stderr()

    def test_kill_mode_mixed_signals_the_main_process_which_stops_its_own_workers(self):
        out, err = self.stop_master(None)  # the default
        self.assertIn("m[0] | master got SIGTERM", out)
        self.assertIn("m[0] | worker stopped by its master", out)
        self.assertNotIn("worker got SIGTERM", out)
        self.assertRegex(err, r"m\[0\] stopping \(SIGTERM to main process \d+\)")

    def test_kill_mode_group_signals_every_process(self):
        out, err = self.stop_master("group")
        self.assertIn("m[0] | master got SIGTERM", out)
        self.assertIn("m[0] | worker got SIGTERM", out)
        self.assertRegex(err, r"m\[0\] stopping \(SIGTERM to process group \d+\)")

    def test_a_program_that_puts_itself_in_the_background_is_named_and_its_leftovers_stopped(self):
        pidfile = f"/tmp/taskmux-daemon-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(lambda: os.path.exists(pidfile) and os.unlink(pidfile))
        # What `nginx` without `daemon off;` does: fork, the parent exits 0 at once.
        sup = self.start(f'[[task]]\nname = "d"\ncommand = "sleep 3600 & echo $! > {pidfile}"\nrestart = "never"\n')
        daemon = sup.wait_for(lambda: read_pid(pidfile), what="the daemon's pid")
        sup.wait_state("d", "exited", timeout=10)
        self.assertFalse(alive(daemon))
        err = sup.stderr()
        self.assertIn("d[0] it put itself in the background: exited 0 after", err)
        self.assertIn("daemon off;", err)
        self.assertIn("d[0] stopping what it left running", err)
        faults = [b["message"] for _, _, b in sup.messages("_fault_d")]
        self.assertTrue(any("put itself in the background" in m for m in faults), faults)

    def test_tasks_stop_in_reverse_dependency_order(self):
        sup = self.start(f'[[task]]\nname = "db"\ncommand = {probe("sleep", 3600)}\n\n'
                         f'[[task]]\nname = "app"\ncommand = {probe("sleep", 3600)}\ndepends_on = ["db"]\n\n'
                         f'[[task]]\nname = "edge"\ncommand = {probe("sleep", 3600)}\ndepends_on = ["app"]\n')
        sup.wait_state("edge", ("running", "ready"), timeout=15)
        err = sup.stderr()
        self.assertLess(err.index("db[0] ready"), err.index("app[0] started"), "app waits for db to be ready")
        self.assertLess(err.index("app[0] ready"), err.index("edge[0] started"))
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        err = sup.stderr()
        self.assertLess(err.index("edge[0] stopped"), err.index("app[0] stopping"))
        self.assertLess(err.index("app[0] stopped"), err.index("db[0] stopping"))

    def test_sigint_stops_like_sigterm(self):
        sup = self.start(f'[[task]]\nname = "s"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_state("s", ("running", "ready"))
        sup.signal(signal.SIGINT)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertEqual(sup.leftovers(), [])


if __name__ == "__main__":
    unittest.main()
