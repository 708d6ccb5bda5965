"""Notify (SPEC "Notify: task to supervisor"): sd_notify datagrams on NOTIFY_SOCKET from a raw
client (python's socket module, no taskmux code) and from `taskmux notify`; ready = "notify",
STATUS=, WATCHDOG=1 and the watchdog, STOPPING=1 and ERRNO=; senders that are not the task's
processes and malformed datagrams are refused, counted and logged sparingly."""
import json
import os
import shlex
import subprocess
import sys
import time
import unittest
from pathlib import Path

from harness import TASKMUX, TaskmuxTest, argv, probe

PROBE_SLEEP = " ".join(shlex.quote(a) for a in json.loads(probe("sleep", 3600)))

# A raw sd_notify client, the way a python service would write one. With barrier=True it passes
# the write end of a pipe along (as systemd-notify's BARRIER=1 does) and waits until the
# receiver closed its copy: the datagram has been handled.
CLIENT = r'''
import array, os, select, socket, sys, time

def notify(payload, path=None, barrier=True):
    path = path or os.environ["NOTIFY_SOCKET"]
    data = payload if isinstance(payload, bytes) else payload.encode()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if barrier:
        r, w = os.pipe()
        s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [w]))], 0, path)
        os.close(w)
        if not select.select([r], [], [], 10)[0]:
            sys.exit("no receipt for " + repr(data[:40]))
        os.close(r)
    else:
        s.sendto(data, path)
    s.close()

def wait_file(path):
    while not os.path.exists(path):
        time.sleep(0.02)

def forever():
    while True:
        time.sleep(3600)
'''


def py_task(body):
    """A TOML command running CLIENT followed by `body` in python3."""
    return argv(sys.executable, "-c", CLIENT + "\n" + body)


def warnings(stderr):
    return [l for l in stderr.splitlines() if "notify socket of" in l]


class NotifyTest(TaskmuxTest):
    def go_file(self):
        path = f"/tmp/taskmux-go-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        return path

    def status_of(self, sup, task):
        rows = sup.rows(task)
        return rows[0]["status"] if rows else None

    def assert_stays(self, sup, task, state, seconds):
        """`task` is in `state` all along for `seconds` (longer than the "started" rule's 1 s)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rows = sup.rows(task)
            self.assertEqual(rows[0]["state"], state, rows)
            time.sleep(0.1)


class ReadyTest(NotifyTest):
    def test_a_raw_sd_notify_client_becomes_ready_on_ready_1(self):
        go = self.go_file()
        body = f"notify('STATUS=booting')\nwait_file({go!r})\nnotify('READY=1\\nSTATUS=serving')\nforever()\n"
        sup = self.start(f'[[task]]\nname = "svc"\nready = "notify"\ncommand = {py_task(body)}\n')
        sup.wait_for(lambda: self.status_of(sup, "svc") == "booting", what="STATUS=booting")
        self.assert_stays(sup, "svc", "running", 1.5)
        Path(go).touch()
        rows = sup.wait_state("svc", "ready", timeout=5)
        self.assertEqual(rows[0]["status"], "serving")
        self.assertEqual(warnings(sup.stderr()), [])

        # The store commits on its own thread: the last reports may land a moment after the state.
        def reports_so_far():
            found = [b for _, _, b in sup.messages("_status_svc")]
            events = [b["event"] for b in found]
            return found if "ready" in events and events.count("progress") >= 2 else None
        reports = sup.wait_for(reports_so_far, what="the ready and 2 progress reports on _status_svc")
        self.assertEqual([b["message"] for b in reports if b["event"] == "progress"], ["booting", "serving"])
        self.assertEqual([b["event"] for b in reports if b["event"] == "ready"], ["ready"])

    def test_any_status_text_comes_back_as_valid_json(self):
        payload = b'STATUS=say "hi" \\ tab\t bell\x07 caf\xc3\xa9 bad\xff end'
        body = f"notify(bytes.fromhex({payload.hex()!r}))\nforever()\n"
        sup = self.start(f'[[task]]\nname = "odd"\ncommand = {py_task(body)}\n')
        want = 'say "hi" \\ tab\t bell\x07 caf\u00e9 bad\ufffd end'
        sup.wait_for(lambda: self.status_of(sup, "odd") == want, what="the STATUS text, escaped")
        raw = subprocess.run([TASKMUX, "status", "--json", "--socket", str(sup.socket)], capture_output=True, check=True).stdout
        self.assertEqual(json.loads(raw.decode("utf-8", errors="strict"))["tasks"][0]["status"], want)
        # The text is of the run: once it is stopped, it has none (as systemd's StatusText).
        subprocess.run([TASKMUX, "stop", "--socket", str(sup.socket), "odd"], capture_output=True, check=True)
        self.assertIsNone(sup.rows("odd")[0]["status"])

    def test_taskmux_notify_from_a_shell_task(self):
        go = self.go_file()
        cmd = (f'{TASKMUX} notify --status booting && while [ ! -e {go} ]; do sleep 0.02; done && '
               f'{TASKMUX} notify --ready --status serving && exec {PROBE_SLEEP}')
        sup = self.start(f'[[task]]\nname = "sh"\nready = "notify"\ncommand = {json.dumps(cmd)}\n')
        sup.wait_for(lambda: self.status_of(sup, "sh") == "booting", what="--status booting")
        self.assert_stays(sup, "sh", "running", 1.5)
        Path(go).touch()
        rows = sup.wait_state("sh", "ready", timeout=5)
        self.assertEqual(rows[0]["status"], "serving")
        self.assertEqual(warnings(sup.stderr()), [])
        self.assertNotIn("taskmux notify:", sup.stderr())

    def test_taskmux_notify_outside_a_task(self):
        env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
        r = subprocess.run([TASKMUX, "notify", "--ready"], env=env, capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("NOTIFY_SOCKET is not set", r.stderr)
        self.assertEqual(r.stdout, "")
        env["NOTIFY_SOCKET"] = f"/tmp/taskmux-no-such-socket-{os.getpid()}"
        r = subprocess.run([TASKMUX, "notify", "--status", "x"], env=env, capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("unable to send to", r.stderr)
        r = subprocess.run([TASKMUX, "notify"], env=env, capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("nothing to send", r.stderr)


class TrustTest(NotifyTest):
    def test_a_task_cannot_speak_for_another(self):
        go = self.go_file()
        a_body = (f"wait_file({go!r})\n"
                  "b = os.path.join(os.path.dirname(os.environ['NOTIFY_SOCKET']), 'b.sock')\n"
                  "notify('STATUS=evil', path=b)\n"
                  "notify('STATUS=a-own')\n"
                  "forever()\n")
        b_cmd = f"{TASKMUX} notify --status b-own && exec {PROBE_SLEEP}"
        sup = self.start(f'[[task]]\nname = "a"\ncommand = {py_task(a_body)}\n\n'
                         f'[[task]]\nname = "b"\ncommand = {json.dumps(b_cmd)}\n')
        sup.wait_for(lambda: self.status_of(sup, "b") == "b-own", what="b's own status")
        a_pid = sup.rows("a")[0]["pid"]
        Path(go).touch()
        sup.wait_for(lambda: self.status_of(sup, "a") == "a-own", what="a's own status")
        # a's datagram to b's socket was handled before a's own (the barrier waited for it).
        self.assertEqual(self.status_of(sup, "b"), "b-own")
        lines = warnings(sup.stderr())
        self.assertEqual(len(lines), 1, lines)
        self.assertIn(f"notify socket of b: ignored a datagram from pid {a_pid}: sender is no process of b", lines[0])
        self.assertNotIn("evil", json.dumps([b for _, _, b in sup.messages()]))
        self.assertEqual([b["message"] for _, _, b in sup.messages("_status_a") if b["event"] == "progress"],
                         ["a-own"])

    def test_the_sender_names_the_instance_even_from_a_detached_child(self):
        # Instance 1's main process speaks itself; instance 0's through a child that left the
        # process group (setsid): the TASKMUX_INSTANCE mark it inherited still names instance 0.
        body = ("i = os.environ['TASK_INSTANCE']\n"
                "if i == '0':\n"
                "    child = os.fork()\n"
                "    if child == 0:\n"
                "        os.setsid()\n"
                "        notify('STATUS=detached child of 0')\n"
                "        os._exit(0)\n"
                "    os.waitpid(child, 0)\n"
                "else:\n"
                "    notify('STATUS=instance ' + i)\n"
                "forever()\n")
        sup = self.start(f'[[task]]\nname = "multi"\ninstances = 2\ncommand = {py_task(body)}\n')
        sup.wait_for(lambda: [r["status"] for r in sup.rows("multi")] == ["detached child of 0", "instance 1"],
                     what="each instance's own status")
        reports = [b for _, _, b in sup.messages("_status_multi") if b["event"] == "progress"]
        self.assertEqual(sorted((b["instance"], b["message"]) for b in reports),
                         [(0, "detached child of 0"), (1, "instance 1")])
        self.assertEqual(warnings(sup.stderr()), [])

    def test_4096_bytes_is_the_largest_datagram(self):
        go = self.go_file()
        body = ("notify('STATUS=' + 'a' * (4096 - 7))\n"
                f"wait_file({go!r})\n"
                "notify('STATUS=' + 'b' * (4097 - 7))\n"
                "notify('STATUS=after')\n"
                "forever()\n")
        sup = self.start(f'[[task]]\nname = "big"\ncommand = {py_task(body)}\n')
        sup.wait_for(lambda: self.status_of(sup, "big") == "a" * 4089, what="a 4096-byte datagram")
        self.assertEqual(warnings(sup.stderr()), [])
        Path(go).touch()
        sup.wait_for(lambda: self.status_of(sup, "big") == "after", what="STATUS=after")
        lines = warnings(sup.stderr())
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("larger than 4096 bytes", lines[0])

    def test_a_flood_of_malformed_datagrams_is_refused_quietly(self):
        body = ("bad = [b'no equals sign', b'STATUS=nul\\0byte', b'status=lowercase', b'STATUS=' + b'x' * 5000]\n"
                "for i in range(10000):\n"
                "    notify(bad[i % 4], barrier=False)\n"
                "print('sent', i + 1, flush=True)\n"
                "notify('STATUS=ok')\n"
                "forever()\n")
        sup = self.start(f'[[task]]\nname = "noisy"\ncommand = {py_task(body)}\n')
        sup.wait_for(lambda: self.status_of(sup, "noisy") == "ok", timeout=30, what="STATUS=ok after the flood")
        self.assertIsNone(sup.proc.poll(), "taskmux died")
        self.assertIn("noisy[0] | sent 10000", sup.stdout())
        lines = warnings(sup.stderr())
        self.assertGreaterEqual(len(lines), 1, "refused datagrams are logged")
        self.assertLessEqual(len(lines), 2, lines)
        self.assertIn("notify socket of noisy: ignored a datagram from pid", lines[0])
        self.assertTrue(sup.status(), "status must still answer")
        self.assertEqual(sup.rows("noisy")[0]["restarts"], 0)


class WatchdogTest(NotifyTest):
    def test_watchdog_stops_a_silent_task_and_spares_a_pinging_one(self):
        pinger = "while True:\n    notify('WATCHDOG=1', barrier=False)\n    time.sleep(0.2)\n"
        trigger = "notify('WATCHDOG=trigger')\nforever()\n"
        sup = self.start(f'[[task]]\nname = "silent"\nwatchdog = "1s"\ncommand = {probe("sleep", 3600)}\n'
                         'backoff = { initial = "10ms", max = "50ms" }\nstart_limit = { burst = 0 }\n\n'
                         f'[[task]]\nname = "pinger"\nwatchdog = "2s"\ncommand = {py_task(pinger)}\n\n'
                         f'[[task]]\nname = "trigger"\nwatchdog = "30s"\nrestart = "never"\ncommand = {py_task(trigger)}\n')
        rows = sup.wait_state("pinger", ("running", "ready"))
        pid = rows[0]["pid"]
        faults = sup.wait_for(lambda: [b for _, _, b in sup.messages("_fault_silent") if b["event"] == "watchdog_expired"],
                              timeout=5, what="watchdog_expired on _fault_silent")
        self.assertEqual(faults[0]["message"], "watchdog: no WATCHDOG=1 within 1s")
        self.assertEqual(faults[0]["task"], "silent")
        self.assertEqual(faults[0]["restarts"], 0)
        # Stopped as a failure, then restarted by the on-failure policy.
        sup.wait_for(lambda: sup.rows("silent")[0]["restarts"] >= 1, timeout=5, what="silent restarted")
        exited = [b for _, _, b in sup.messages("_fault_silent") if b["event"] == "exited"]
        self.assertTrue(exited)
        self.assertIn("watchdog", exited[0]["message"])
        # The pinger: same pid, no restart, no fault, for 4 s (two watchdog periods; 2 s, not
        # 1 s, so that python's start on a loaded machine comes before the first WATCHDOG=1).
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            row = sup.rows("pinger")[0]
            self.assertEqual((row["pid"], row["restarts"]), (pid, 0), row)
            time.sleep(0.1)
        self.assertEqual(sup.messages("_fault_pinger"), [])
        self.assertGreaterEqual(len([b for _, _, b in sup.messages("_fault_silent")
                                     if b["event"] == "watchdog_expired"]), 2)
        # WATCHDOG=trigger: the task asks to be treated as hung, at once.
        triggered = [b for _, _, b in sup.messages("_fault_trigger")]
        self.assertEqual([b["event"] for b in triggered][:1], ["watchdog_expired"], triggered)
        self.assertIn("WATCHDOG=trigger", triggered[0]["message"])
        self.assertEqual(sup.rows("trigger")[0]["state"], "exited")
        self.assertEqual(warnings(sup.stderr()), [])


    def test_watchdog_usec_is_the_watchdog_in_microseconds_and_absent_without_one(self):
        # What sd_watchdog_enabled() reads. taskmux's own (from a service manager above it) is
        # never passed on.
        sup = self.start(f'[[task]]\nname = "dog"\nwatchdog = "1500ms"\nrestart = "never"\ncommand = {probe("env")}\n\n'
                         f'[[task]]\nname = "free"\nrestart = "never"\ncommand = {probe("env")}\n',
                         env={"WATCHDOG_USEC": "999", "WATCHDOG_PID": "1"})
        sup.wait_state(None, "exited", count=2)
        # The instance mark comes last in a task's environment: once it is there, all of it is.
        sup.wait_stdout("free[0] | TASKMUX_INSTANCE=")
        sup.wait_stdout("dog[0] | TASKMUX_INSTANCE=")
        out = sup.stdout().splitlines()
        self.assertEqual([l for l in out if l.startswith("dog[0] | WATCHDOG_")], ["dog[0] | WATCHDOG_USEC=1500000"])
        self.assertEqual([l for l in out if l.startswith("free[0] | WATCHDOG_")], [])


class OtherKeysTest(NotifyTest):
    def test_stopping_and_errno_are_accepted_and_errno_explains_the_exit(self):
        body = "notify('STOPPING=1')\nnotify('ERRNO=5')\nsys.exit(1)\n"
        sup = self.start(f'[[task]]\nname = "failing"\nrestart = "never"\ncommand = {py_task(body)}\n')
        sup.wait_state("failing", "exited")
        faults = sup.wait_for(lambda: sup.messages("_fault_failing"), what="the exit fault")
        self.assertEqual(faults[0][2]["event"], "exited")
        self.assertEqual(faults[0][2]["exit_code"], 1)
        self.assertIn("(ERRNO=5: Input/output error)", faults[0][2]["message"])
        self.assertEqual(warnings(sup.stderr()), [])


if __name__ == "__main__":
    unittest.main()
