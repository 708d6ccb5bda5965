"""Live control (SPEC "Command line"): start, stop, restart of named tasks or --all, and logs,
against a running supervisor. Each leaves every other instance's process alone."""
import json
import os
import socket
import subprocess
import time
import unittest

from harness import TASKMUX, TaskmuxTest, argv, probe, proc_state


def alive(pid):
    return proc_state(pid) not in (None, "Z")


def pids(sup):
    return {f'{r["task"]}[{r["instance"]}]': r["pid"] for r in sup.rows()}


THREE = (f'[[task]]\nname = "web"\ncommand = {probe("sleep", 3600)}\ninstances = 2\n\n'
         f'[[task]]\nname = "db"\ncommand = {probe("sleep", 3600)}\n\n'
         f'[[task]]\nname = "cache"\ncommand = {probe("sleep", 3600)}\n')


class ControlTest(TaskmuxTest):
    def ctl(self, sup, *args, timeout=30):
        return subprocess.run([TASKMUX, "--socket", str(sup.socket), *args], capture_output=True, text=True,
                              timeout=timeout)

    def running(self, sup):
        sup.wait_state(None, ("running", "ready"), count=4)
        return pids(sup)

    def test_stop_one_task_stops_it_for_good_and_leaves_every_other_pid(self):
        sup = self.start(THREE)
        before = self.running(sup)
        r = self.ctl(sup, "stop", "web")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "web[0]: stopped\nweb[1]: stopped\n")
        for name in ("web[0]", "web[1]"):
            self.assertFalse(alive(before[name]), f"{name} is stopped when stop answers")
        time.sleep(1.5)  # no restart policy brings it back
        after = pids(sup)
        self.assertEqual([r["state"] for r in sup.rows("web")], ["stopped", "stopped"])
        self.assertEqual({k: after[k] for k in ("db[0]", "cache[0]")}, {k: before[k] for k in ("db[0]", "cache[0]")})
        self.assertIn("web[0] stopped", sup.stderr())

    def test_start_brings_a_stopped_task_back_and_leaves_every_other_pid(self):
        sup = self.start(THREE)
        self.running(sup)
        self.assertEqual(self.ctl(sup, "stop", "db").returncode, 0)
        before = pids(sup)
        r = self.ctl(sup, "start", "db")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^db\[0\]: running \(pid \d+\)\n$")
        after = pids(sup)
        self.assertTrue(alive(after["db[0]"]))
        self.assertEqual({k: v for k, v in after.items() if k != "db[0]"},
                         {k: v for k, v in before.items() if k != "db[0]"})

    def test_restart_gives_the_task_new_processes_and_leaves_every_other_pid(self):
        sup = self.start(THREE)
        before = self.running(sup)
        r = self.ctl(sup, "restart", "web")
        self.assertEqual(r.returncode, 0, r.stderr)
        after = pids(sup)
        for name in ("web[0]", "web[1]"):
            self.assertNotEqual(after[name], before[name])
            self.assertFalse(alive(before[name]))
            self.assertTrue(alive(after[name]))
        self.assertEqual(after["db[0]"], before["db[0]"])
        self.assertEqual(after["cache[0]"], before["cache[0]"])

    def test_all_stops_and_starts_every_task_and_taskmux_keeps_running(self):
        sup = self.start(THREE)
        before = self.running(sup)
        r = self.ctl(sup, "stop", "--all")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count(": stopped\n"), 4)
        self.assertTrue(all(not alive(p) for p in before.values()))
        self.assertIsNone(sup.proc.poll(), "stopping every task does not end taskmux")
        r = self.ctl(sup, "start", "--all")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(all(alive(p) for p in pids(sup).values()))

    def test_stop_waits_for_a_task_that_needs_sigkill(self):
        sup = self.start(f'[[task]]\nname = "stubborn"\ncommand = {probe("ignore-term", 3600)}\nstop_timeout = "1s"\n')
        sup.wait_stdout("stubborn[0] | ignoring SIGTERM")
        pid = pids(sup)["stubborn[0]"]
        t0 = time.monotonic()
        r = self.ctl(sup, "stop", "stubborn")
        took = time.monotonic() - t0
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "stubborn[0]: stopped\n")
        self.assertGreaterEqual(took, 0.9, "it answers once the process is gone, not at once")
        self.assertFalse(alive(pid))

    def test_start_on_a_fatal_task_gives_it_its_whole_start_limit_again(self):
        sup = self.start(f'[[task]]\nname = "crash"\ncommand = ["sh", "-c", "echo run; exit 3"]\n'
                         'start_limit = { burst = 2, interval = "60s" }\nbackoff = { initial = "0s", max = "0s" }\n')
        sup.wait_state("crash", "fatal")
        runs = sup.stdout().count("crash[0] | run")
        self.assertEqual(runs, 2, "burst 2: the first start and one restart")
        r = self.ctl(sup, "start", "crash")
        self.assertEqual(r.returncode, 0, r.stderr)
        sup.wait_for(lambda: sup.stdout().count("crash[0] | run") == 4 and sup.rows("crash")[0]["state"] == "fatal",
                     what="two more runs (not one), then fatal again")

    def test_unknown_tasks_and_missing_names_are_usage_errors(self):
        sup = self.start(THREE)
        before = self.running(sup)
        r = self.ctl(sup, "stop", "web", "nope", "neither")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown task: nope, neither", r.stderr)
        self.assertEqual(pids(sup), before, "nothing was stopped")
        for cmd in ("start", "stop", "restart"):
            r = self.ctl(sup, cmd)
            self.assertEqual(r.returncode, 2, cmd)
            self.assertIn("name tasks or give --all", r.stderr)
        r = self.ctl(sup, "logs", "nope")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown task: nope", r.stderr)

    def test_unreachable_supervisor_is_exit_3(self):
        r = subprocess.run([TASKMUX, "--socket", "/nonexistent/control.sock", "stop", "--all"], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(r.returncode, 3)


class StatusCheckTest(TaskmuxTest):
    def check(self, sup):
        return subprocess.run([TASKMUX, "--socket", str(sup.socket), "status", "--check"], capture_output=True,
                              text=True, timeout=10)

    def test_check_is_0_only_when_every_instance_is_ready(self):
        sup = self.start(f'[[task]]\nname = "up"\ncommand = {probe("sleep", 3600)}\n\n'
                         f'[[task]]\nname = "once"\ncommand = {probe("exit", 0)}\nrestart = "never"\n\n'
                         f'[[task]]\nname = "late"\ncommand = {probe("sleep", 3600)}\nready = "notify"\n')
        sup.wait_state("up", "ready")
        sup.wait_state("once", "exited")
        r = self.check(sup)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, "not ready: late[0] (running)\n", "an exited-0 never task counts as ready")
        subprocess.run([TASKMUX, "--socket", str(sup.socket), "stop", "late"], check=True, capture_output=True)
        r = self.check(sup)
        self.assertEqual(r.returncode, 1)
        self.assertIn("late[0] (stopped)", r.stderr)
        r = subprocess.run([TASKMUX, "--socket", str(sup.socket), "status", "--check", "up", "once"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual((r.returncode, r.stderr), (0, ""))


class LogsTest(TaskmuxTest):
    def ctl(self, sup, *args, timeout=30):
        return subprocess.run([TASKMUX, "--socket", str(sup.socket), *args], capture_output=True, timeout=timeout)

    def test_logs_n_gives_the_last_lines_of_each_instance_prefixed_like_the_console(self):
        sup = self.start('[[task]]\nname = "talk"\ncommand = ["sh", "-c", "for i in $(seq 1 50); do echo line $i; '
                         'echo err $i >&2; done; exec sleep 3600"]\ninstances = 2\n')
        sup.wait_stdout("talk[1] | line 50")
        r = self.ctl(sup, "logs", "-n", "3", "talk")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 6, lines)
        for i in (0, 1):
            mine = [line for line in lines if line.startswith(f"talk[{i}] | ")]
            self.assertEqual(len(mine), 3)
            self.assertTrue(mine[-1].endswith("err 50") or mine[-1].endswith("line 50"), mine)

    def test_binary_output_and_a_4_mib_line_do_not_break_logs(self):
        sup = self.start(f'[[task]]\nname = "bin"\ncommand = {probe("binary")}\nrestart = "never"\n\n'
                         f'[[task]]\nname = "long"\ncommand = {probe("long-line", 4 * 1024 * 1024)}\nrestart = "never"\n')
        sup.wait_state("bin", "exited")
        sup.wait_state("long", "exited")
        r = self.ctl(sup, "logs", "bin")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"bin[0] | end\n", r.stdout)
        self.assertIn(bytes(range(128, 256)), r.stdout, "bytes that are not UTF-8 come through as they are")
        r = self.ctl(sup, "logs", "-n", "1000", "long")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith(b"long[0] | L"))
        self.assertIn(b"L" * 1000, r.stdout)
        self.assertIsNotNone(sup.status(), "the supervisor still answers")

    def test_logs_follow_prints_new_lines_until_interrupted(self):
        sup = self.start('[[task]]\nname = "tick"\ncommand = ["sh", "-c", "i=0; while :; do echo tick $i; '
                         'i=$((i+1)); sleep 0.1; done"]\n')
        sup.wait_stdout("tick[0] | tick 3")
        follower = subprocess.Popen([TASKMUX, "--socket", str(sup.socket), "logs", "-f", "-n", "1", "tick"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(follower.kill)
        first = follower.stdout.readline().decode()
        self.assertRegex(first, r"^tick\[0\] \| tick \d+\n$")
        n = int(first.split()[-1])
        seen = [follower.stdout.readline().decode() for _ in range(5)]
        self.assertEqual(seen, [f"tick[0] | tick {n + k}\n" for k in range(1, 6)], "new lines, in order, none lost")
        follower.terminate()
        follower.wait(5)
        # The supervisor forgets the follower: its output goes on, the console keeps getting it.
        mark = sup.stdout().count("tick[0] | tick")
        sup.wait_for(lambda: sup.stdout().count("tick[0] | tick") > mark + 3, what="more ticks on the console")

    def test_a_follower_that_never_reads_stalls_neither_the_task_nor_the_supervisor(self):
        sup = self.start(f'[[task]]\nname = "flood"\ncommand = {probe("flood", 200 * 1024 * 1024, 200)}\n'
                         'restart = "never"\n')
        # A follower that reads nothing: its socket buffer fills at once.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sup.wait_ready()
        s.connect(str(sup.socket))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(json.dumps({"command": "logs", "task": "flood", "follow": True, "lines": 0}).encode() + b"\n")
        self.addCleanup(s.close)
        t0 = time.monotonic()
        sup.wait_state("flood", "exited", timeout=60)
        self.assertIsNotNone(sup.status())
        self.assertLess(time.monotonic() - t0, 60)


class ControlSocketAbuseTest(TaskmuxTest):
    def status_time(self, sup):
        t0 = time.monotonic()
        r = subprocess.run([TASKMUX, "--socket", str(sup.socket), "status", "--json"], capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 0)
        return time.monotonic() - t0

    def test_silent_clients_and_a_1_mib_request_delay_no_one(self):
        sup = self.start(f'[[task]]\nname = "a"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_ready()
        silent = []
        for _ in range(50):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(str(sup.socket))
            silent.append(s)
        self.addCleanup(lambda: [s.close() for s in silent])
        big = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        big.connect(str(sup.socket))
        self.addCleanup(big.close)
        try:
            big.sendall(b"x" * (1024 * 1024))
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = big.recv(4096)
        self.assertIn(b"request too long", reply)
        self.assertLess(self.status_time(sup), 1.0, "status answers while 50 clients say nothing")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(sup.socket))
        s.sendall(b"not json\n")
        self.assertIn(b"malformed request", s.recv(4096))
        s.close()

    def test_a_client_that_never_writes_is_closed_after_the_request_timeout(self):
        sup = self.start(f'[[task]]\nname = "a"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_ready()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(sup.socket))
        self.addCleanup(s.close)
        s.settimeout(20)
        t0 = time.monotonic()
        self.assertEqual(s.recv(1), b"", "the server closes it")
        self.assertGreater(time.monotonic() - t0, 8)


if __name__ == "__main__":
    unittest.main()
