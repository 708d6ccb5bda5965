"""Signals to taskmux itself (SPEC "Task lifecycle"): TERM, INT, QUIT and PWR stop everything
cleanly; HUP is reload, which stops nothing; USR1 writes the status to the log; every other
signal a process can send is ignored, outside PID 1 too, where the kernel's default would end
taskmux and leave its tasks running."""
import signal
import time
import unittest

from harness import SANITIZED, TaskmuxTest, probe, proc_state

# Signals whose default action is to end (or stop) a process, which taskmux must survive.
SURVIVED = ["SIGUSR2", "SIGALRM", "SIGVTALRM", "SIGPROF", "SIGXCPU", "SIGXFSZ", "SIGIO", "SIGSTKFLT",
            "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGTRAP", "SIGSYS",
            "SIGABRT", "SIGWINCH", "SIGURG"]
# Under the sanitizers their own handlers of these stay, to report real faults (DECISIONS "Signals").
FAULTS = {"SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGTRAP", "SIGSYS", "SIGABRT"}


class SignalsTest(TaskmuxTest):
    def start_two(self, **kw):
        sup = self.start(f'[[task]]\nname = "a"\ncommand = {probe("sleep", 3600)}\n\n'
                         f'[[task]]\nname = "b"\ncommand = {probe("sleep", 3600)}\ninstances = 2\n', **kw)
        sup.wait_state(None, "ready", count=3)
        return sup

    def test_usr1_writes_the_status_of_every_instance_to_the_log(self):
        sup = self.start_two()
        sup.signal(signal.SIGUSR1)

        def table():
            lines = sup.stderr().splitlines()
            head = [i for i, l in enumerate(lines) if l.startswith("taskmux | TASK") and "STATE" in l]
            rows = lines[head[0] + 1:head[0] + 4] if head else []
            return rows if len(rows) == 3 else None
        rows = sup.wait_for(table, what="the status table in the log")
        self.assertIn("received SIGUSR1", sup.stderr())
        self.assertEqual([r.split()[2:4] for r in rows], [["a[0]", "ready"], ["b[0]", "ready"], ["b[1]", "ready"]], rows)
        self.assertIsNone(sup.proc.poll())

    def test_every_other_signal_is_survived_and_the_tasks_keep_running(self):
        sup = self.start_two()
        pids = sorted(r["pid"] for r in sup.rows())
        names = [n for n in SURVIVED if not (SANITIZED and n in FAULTS)] + [f"SIGRTMIN+{i}" for i in (0, 5)] + ["SIGRTMAX"]
        for name in names:
            signo = getattr(signal, name) if not name.startswith("SIGRTMIN+") else signal.SIGRTMIN + int(name[9:])
            sup.signal(signo)
            time.sleep(0.05)
            self.assertIsNone(sup.proc.poll(), f"taskmux died of {name}")
            self.assertNotEqual(proc_state(sup.taskmux_pid()), "T", f"taskmux was stopped by {name}")
        self.assertEqual(sorted(r["pid"] for r in sup.rows()), pids, "no task was touched")
        sup.wait_stderr("received SIGUSR2: ignored")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertEqual(sup.leftovers(), [])

    def test_sighup_is_reload_and_stops_neither_taskmux_nor_its_tasks(self):
        sup = self.start_two()
        pids = sorted(r["pid"] for r in sup.rows())
        sup.signal(signal.SIGHUP)
        sup.wait_stderr("received SIGHUP")
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline:
            self.assertIsNone(sup.proc.poll(), "taskmux ended on SIGHUP")
            self.assertEqual(sorted(r["pid"] for r in sup.rows()), pids, "a task was restarted or stopped")
            time.sleep(0.1)
        self.assertNotIn("] stopping", sup.stderr())
        # docs/cli.md: HUP is reload (with an unchanged file, nothing to do), not a stray signal.
        self.assertRegex(sup.stderr(), r"received SIGHUP: [^\n]*reload")
        self.assertNotIn("received SIGHUP: ignored", sup.stderr())
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(20), 0)
        self.assertEqual(sup.leftovers(), [])

    def test_quit_and_pwr_stop_everything_like_term(self):
        for sig in (signal.SIGQUIT, signal.SIGPWR):
            with self.subTest(signal=sig.name):
                sup = self.start_two()
                sup.signal(sig)
                self.assertEqual(sup.wait_exit(20), 0)
                self.assertIn(f"received {sig.name}: stopping all tasks", sup.stderr())
                self.assertEqual(sup.leftovers(), [])


if __name__ == "__main__":
    unittest.main()
