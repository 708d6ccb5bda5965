"""Queue reports (SPEC "Queue reports"): every event of every instance lands as one JSON
message in the right queue of the embedded store, `seq` is gap-free across all queues of a
run, committed reports survive a kill -9, `retain` bounds the queues, and `taskmux queue`
reads and writes the store with or without a supervisor. The store is read with python's own
sqlite3 (an independent client) as well as with the CLI."""
import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
from collections import defaultdict
from pathlib import Path

from harness import TASKMUX, TaskmuxTest, probe, read_queues

EVENTS = {"started", "ready", "progress", "exited", "backoff", "fatal", "stopping", "stopped", "cycle_started",
          "cycle_succeeded", "cycle_failed", "health_failed", "watchdog_expired", "fault", "success",
          "transfer_failed", "message_failed", "config_error", "snapshot"}
STATES = {"stopped", "starting", "running", "ready", "backoff", "waiting", "stopping", "exited", "fatal"}
ROW_KEYS = {"task", "instance", "state", "ready", "pid", "started_at", "uptime_s", "restarts", "last_exit", "status",
            "next_run"}
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# For shell-string commands: a task that stays up, taking the shell's pid with exec.
PROBE_SLEEP = " ".join(shlex.quote(a) for a in json.loads(probe("sleep", 3600)))


def queue_cli(config, *args, input=None, timeout=20):
    return subprocess.run([TASKMUX, "queue", *args, "-c", str(config)], input=input, capture_output=True,
                          timeout=timeout)


def of_run(messages, run):
    return [m for m in messages if isinstance(m[2], dict) and m[2].get("run") == run]


class Checks:
    """Assertions shared by the tests below."""

    def assert_event_shape(self, body, supervisor="test"):
        self.assertIsInstance(body, dict)
        self.assertRegex(body["ts"], TS)
        self.assertEqual(body["supervisor"], supervisor)
        self.assertIsInstance(body["run"], str)
        self.assertIsInstance(body["seq"], int)
        self.assertIn(body["event"], EVENTS)
        if body["event"] == "snapshot":
            return
        expected = {"ts", "supervisor", "run", "task", "instance", "pid", "event", "state", "exit_code", "signal",
                    "restarts", "seq", "message"}
        self.assertLessEqual(expected, set(body), body)
        self.assertIsInstance(body["task"], str)
        self.assertIsInstance(body["instance"], int)
        self.assertTrue(body["pid"] is None or isinstance(body["pid"], int), body)
        self.assertIn(body["state"], STATES, body)
        self.assertTrue(body["exit_code"] is None or isinstance(body["exit_code"], int), body)
        self.assertTrue(body["signal"] is None or isinstance(body["signal"], int), body)
        self.assertFalse(body["exit_code"] is not None and body["signal"] is not None, body)
        self.assertIsInstance(body["restarts"], int)
        self.assertIsInstance(body["message"], str)
        # How long a run lasted / how long until the next start (docs/reports.md).
        if body["event"] in ("exited", "cycle_succeeded", "cycle_failed"):
            self.assertIsInstance(body["run_time_s"], (int, float), body)
            self.assertGreaterEqual(body["run_time_s"], 0, body)
        if body["event"] == "backoff" or (body["event"] == "exited" and body["state"] == "backoff"):
            self.assertIsInstance(body["delay_s"], (int, float), body)
        if body["event"] not in ("exited", "backoff"):
            self.assertNotIn("delay_s", body)
        if "stderr" in body:
            self.assertIsInstance(body["stderr"], list)
            self.assertTrue(all(isinstance(l, str) for l in body["stderr"]), body)

    def assert_gap_free(self, messages, run):
        """seq of `run` is exactly 1..N across all queues, and increases within each queue."""
        mine = of_run(messages, run)
        seqs = sorted(m[2]["seq"] for m in mine)
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)), "seq has gaps or repeats across the queues")
        per_queue = defaultdict(list)
        for _, q, body in mine:  # in id order
            per_queue[q].append(body["seq"])
        for q, s in per_queue.items():
            self.assertTrue(all(a < b for a, b in zip(s, s[1:])), f"seq not increasing in {q}: {s}")
        return len(seqs)


def events(messages, queue, event=None, task=None):
    return [b for _, q, b in messages
            if q == queue and (event is None or b["event"] == event) and (task is None or b["task"] == task)]


class EventsTest(TaskmuxTest, Checks):
    def test_every_event_lands_in_its_queue_with_gap_free_seq(self):
        notify = (f'{TASKMUX} notify --status working && {TASKMUX} notify --fault "disk full" && '
                  f'{TASKMUX} notify --success "batch done" && exec {PROBE_SLEEP}')
        counter = Path(tempfile.mkdtemp(prefix="taskmux-test-")) / "runs"
        self.addCleanup(shutil.rmtree, counter.parent, True)
        # Each run says which it is on stderr: a fault carries that run's lines, no older ones.
        crash = (f'n=$(($(cat {counter} 2>/dev/null || echo 0) + 1)); echo $n > {counter}; '
                 'echo "crash run $n" >&2; echo "bye $n" >&2; exit 3')
        sup = self.start(
            f'[[task]]\nname = "crash"\ncommand = {json.dumps(crash)}\nrestart = "on-failure"\n'
            'backoff = { initial = "10ms", max = "50ms" }\nstart_limit = { burst = 3, interval = "60s" }\n\n'
            '[[task]]\nname = "good"\ncommand = "exit 0"\nevery = "1s"\n\n'
            '[[task]]\nname = "bad"\ncommand = "echo cycle broke >&2; exit 1"\nevery = "1s"\n\n'
            f'[[task]]\nname = "talker"\nnamespace = "nsx"\ncommand = {json.dumps(notify)}\n\n'
            f'[[task]]\nname = "long"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_ready()
        run = sup.status()["run"]
        sup.wait_state("crash", "fatal")
        sup.wait_state("long", "ready")
        sup.wait_for(lambda: len(events(sup.messages(), "_success_good", "cycle_succeeded")) >= 2, timeout=10,
                     what="2 successful cycles")
        sup.wait_for(lambda: len(events(sup.messages(), "_fault_bad", "cycle_failed")) >= 2, timeout=10,
                     what="2 failed cycles")
        sup.wait_for(lambda: events(sup.messages(), "_success_nsx", "success"), what="SUCCESS= report")
        sup.wait_for(lambda: events(sup.messages(), "_status_test", "snapshot"), what="a snapshot")
        # Stop between two cycles (the next is ~1 s away), so no cycle is cut short by the stop.
        sup.wait_for(lambda: {r["state"] for r in sup.rows() if r["task"] in ("good", "bad")} == {"waiting"},
                     what="both looped tasks between cycles")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(30), 0)

        msgs = sup.messages()
        self.assertTrue(msgs)
        for _, q, body in msgs:
            self.assert_event_shape(body)
            self.assertEqual(body["run"], run, "one run id for everything of this run")
        n = self.assert_gap_free(msgs, run)
        self.assertEqual(n, len(msgs))
        queues = {q for _, q, _ in msgs}
        self.assertEqual(queues, {"_status_crash", "_fault_crash", "_status_good", "_success_good", "_status_bad",
                                  "_fault_bad", "_status_nsx", "_fault_nsx", "_success_nsx", "_status_long",
                                  "_status_test"})
        # Each task's events go to its own namespace's queues; the supervisor's only snapshots.
        for _, q, body in msgs:
            if q == "_status_test":
                self.assertEqual(body["event"], "snapshot")
            else:
                ns = "nsx" if body["task"] == "talker" else body["task"]
                self.assertTrue(q.endswith("_" + ns), (q, body))

        # crash: 3 starts, each exit a fault with its stderr, then fatal.
        faults = events(msgs, "_fault_crash")
        self.assertEqual([b["event"] for b in faults], ["exited", "exited", "exited", "fatal"], faults)
        for i, b in enumerate(faults[:3]):
            self.assertEqual((b["exit_code"], b["signal"], b["restarts"]), (3, None, i), b)
            self.assertEqual(b["stderr"], [f"crash run {i + 1}", f"bye {i + 1}"], b)
            self.assertIsInstance(b["pid"], int)
            self.assertIn("exited with code 3", b["message"])
        self.assertEqual([b["state"] for b in faults], ["backoff", "backoff", "fatal", "fatal"])
        self.assertEqual(faults[3]["restarts"], 2)
        self.assertIn("fatal", faults[3]["message"])
        crash_status = events(msgs, "_status_crash")
        self.assertEqual([b["event"] for b in crash_status], ["started", "backoff", "started", "backoff", "started"])
        self.assertEqual([b["restarts"] for b in crash_status if b["event"] == "started"], [0, 1, 2])
        self.assertEqual(len({b["pid"] for b in crash_status if b["event"] == "started"}), 3)

        # looped: every cycle started on _status_, its end on _success_ or _fault_.
        good, bad = events(msgs, "_success_good"), events(msgs, "_fault_bad")
        self.assertTrue(all(b["event"] == "cycle_succeeded" and b["exit_code"] == 0 for b in good), good)
        self.assertTrue(all(b["event"] == "cycle_failed" and b["exit_code"] == 1 for b in bad), bad)
        self.assertTrue(all(b["stderr"] == ["cycle broke"] for b in bad), bad)
        for name, ends in (("good", good), ("bad", bad)):
            started = events(msgs, f"_status_{name}", "cycle_started")
            self.assertIn(len(started) - len(ends), (0, 1), f"{name}: {len(started)} starts, {len(ends)} ends")
        self.assertEqual(events(msgs, "_fault_good"), [])

        # notify: STATUS= on _status_ as progress, FAULT= on _fault_, SUCCESS= on _success_.
        self.assertEqual([b["message"] for b in events(msgs, "_status_nsx", "progress")], ["working"])
        self.assertEqual([(b["event"], b["message"]) for b in events(msgs, "_fault_nsx")], [("fault", "disk full")])
        self.assertEqual([(b["event"], b["message"]) for b in events(msgs, "_success_nsx")],
                         [("success", "batch done")])
        self.assertEqual({b["task"] for b in events(msgs, "_status_nsx")}, {"talker"})

        # long: started, ready, and on SIGTERM stopping then stopped by its signal.
        long_events = [b["event"] for b in events(msgs, "_status_long")]
        self.assertEqual(long_events, ["started", "ready", "stopping", "stopped"])
        stopped = events(msgs, "_status_long", "stopped")[0]
        self.assertEqual((stopped["exit_code"], stopped["signal"], stopped["state"]), (None, 15, "stopped"))

        # Snapshots: the status rows; the last one is the last message of the run, all stopped.
        snaps = events(msgs, "_status_test", "snapshot")
        self.assertGreaterEqual(len(snaps), 2)
        for s in snaps:
            self.assertEqual({r["task"] for r in s["tasks"]}, {"crash", "good", "bad", "talker", "long"})
            for r in s["tasks"]:
                self.assertEqual(set(r), ROW_KEYS, r)
        last = snaps[-1]
        self.assertEqual(last["seq"], n, "the final snapshot is the last report of the run")
        states = {r["task"]: r["state"] for r in last["tasks"]}
        self.assertEqual(states, {"crash": "fatal", "good": "stopped", "bad": "stopped", "talker": "stopped",
                                  "long": "stopped"})
        # A stopped instance has no STATUS= text: it was its last run's (as systemd's StatusText).
        self.assertIsNone({r["task"]: r["status"] for r in last["tasks"]}["talker"])

        # The CLI sees the same store.
        ls = queue_cli(sup.config, "ls", "--json")
        self.assertEqual(ls.returncode, 0, ls.stderr)
        listed = {q["queue"]: q for q in json.loads(ls.stdout)["queues"]}
        self.assertEqual(set(listed), queues)
        for q in queues:
            self.assertEqual(listed[q]["messages"], len(events(msgs, q)), q)
            self.assertEqual(listed[q]["dropped"], 0, q)
        self.assertEqual(json.loads(ls.stdout)["outbox"], 0)
        tail = queue_cli(sup.config, "tail", "-n", "100", "_fault_crash")
        self.assertEqual(tail.returncode, 0, tail.stderr)
        self.assertEqual([json.loads(l) for l in tail.stdout.decode().splitlines()], faults)
        tail = queue_cli(sup.config, "tail", "_status_test")  # default: the newest 10
        self.assertEqual(json.loads(tail.stdout.decode().splitlines()[-1]), last)


def iso_seconds(ts):
    """"2026-11-26T12:34:02.647Z" -> seconds (within a day is enough here)."""
    h, m, sec = ts[11:23].split(":")
    return int(h) * 3600 + int(m) * 60 + float(sec)


class SnapshotTest(TaskmuxTest):
    """SPEC: the snapshot goes to _status_<name> every report_interval and after state
    changes, coalesced, so a crash loop cannot flood it."""

    def test_snapshots_come_every_report_interval_while_nothing_changes(self):
        sup = self.start(f'[[task]]\nname = "idle"\ncommand = {probe("sleep", 3600)}\n',
                         supervisor_table='name = "snap"\nreport_interval = "500ms"')
        sup.wait_state("idle", "ready")
        time.sleep(0.5)
        before = len(events(sup.messages(), "_status_snap", "snapshot"))
        time.sleep(2.6)
        after = events(sup.messages(), "_status_snap", "snapshot")
        self.assertGreaterEqual(len(after) - before, 4, "a snapshot per 500 ms with no change at all")
        self.assertTrue(all(r["state"] == "ready" for r in after[-1]["tasks"]))

    def test_a_crash_loop_gets_at_most_one_snapshot_a_second(self):
        sup = self.start(f'[[task]]\nname = "crash"\ncommand = {probe("exit", 1)}\nrestart = "always"\n'
                         'backoff = { initial = "1ms", max = "1ms" }\nstart_limit = { burst = 0 }\n',
                         supervisor_table='name = "snap"\nreport_interval = "1h"')
        sup.wait_ready()
        # A busy loop for at least 3.5 s: a hundred crashes or more (slower under sanitizers).
        time.sleep(3.5)
        sup.wait_for(lambda: len(events(sup.messages(), "_fault_crash", "exited")) > 100, 30, "a hundred crashes")
        msgs = sup.messages()
        snaps = events(msgs, "_status_snap", "snapshot")
        self.assertGreaterEqual(len(snaps), 2, "changes are followed by snapshots, not held back")
        gaps = [b - a for a, b in zip((iso_seconds(s["ts"]) for s in snaps), (iso_seconds(s["ts"]) for s in snaps[1:]))]
        self.assertTrue(all(g >= 0.9 for g in gaps), f"snapshots closer than a second apart: {gaps}")


class DurabilityTest(TaskmuxTest, Checks):
    def test_reports_committed_before_a_kill_9_are_all_there_and_the_next_run_follows(self):
        body = (f'[[task]]\nname = "loop"\ncommand = {probe("exit", 1)}\nrestart = "always"\n'
                'backoff = { initial = "1ms", max = "1ms" }\nstart_limit = { burst = 0 }\n')
        sup = self.start(body)
        sup.wait_ready()
        run1 = sup.status()["run"]
        time.sleep(2)  # a crash loop writing reports as fast as it can, for a while
        sup.signal(signal.SIGKILL)
        self.assertEqual(sup.wait_exit(10), -signal.SIGKILL)

        before = sup.messages()
        self.assertEqual({b["run"] for _, _, b in before}, {run1})
        k = self.assert_gap_free(before, run1)
        # Many, not a rate: under ASan on a busy 2-CPU machine the loop makes about 50 a second.
        self.assertGreater(k, 50, "a 2 s crash loop with 1 ms backoff should have produced many reports")
        self.assertEqual([b["seq"] for _, _, b in before], list(range(1, k + 1)), "one writer: id order is seq order")

        again = self.start(body, dir=sup.dir)
        again.wait_ready()
        run2 = again.status()["run"]
        self.assertNotEqual(run1, run2)
        again.wait_for(lambda: len(of_run(again.messages(), run2)) >= 20, what="reports of the second run")
        again.signal(signal.SIGTERM)
        self.assertEqual(again.wait_exit(30), 0)

        after = again.messages()
        self.assertEqual(after[:len(before)], before, "the first run's reports are unchanged")
        rest = after[len(before):]
        self.assertTrue(rest)
        self.assertEqual({b["run"] for _, _, b in rest}, {run2}, "the second run's reports follow the first's")
        self.assertGreater(rest[0][0], before[-1][0])
        self.assert_gap_free(after, run2)

    def test_a_report_shows_up_in_the_store_quickly(self):
        go = self.go_file()
        cmd = f'while [ ! -e {go} ]; do sleep 0.02; done; {TASKMUX} notify --status X-marks; exec {PROBE_SLEEP}'
        sup = self.start(f'[[task]]\nname = "quick"\ncommand = {json.dumps(cmd)}\n')
        sup.wait_state("quick", ("running", "ready"))
        Path(go).touch()
        t0 = time.monotonic()
        sup.wait_for(lambda: events(sup.messages(), "_status_quick", "progress"), timeout=5,
                     what="the progress report in the store")
        elapsed = time.monotonic() - t0
        self.assertLess(elapsed, 5)
        self.assertEqual(events(sup.messages(), "_status_quick", "progress")[0]["message"], "X-marks")

    def go_file(self):
        path = f"/tmp/taskmux-go-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        return path


class RetainTest(TaskmuxTest, Checks):
    def test_retain_keeps_the_newest_messages_and_counts_the_dropped(self):
        sup = self.start('[reports]\nretain = 5\n\n'
                         f'[[task]]\nname = "crash"\ncommand = {probe("exit", 2)}\nrestart = "on-failure"\n'
                         'backoff = { initial = "1ms", max = "1ms" }\nstart_limit = { burst = 10, interval = "60s" }\n')
        sup.wait_state("crash", "fatal")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(30), 0)

        ls = queue_cli(sup.config, "ls", "--json")
        self.assertEqual(ls.returncode, 0, ls.stderr)
        listed = {q["queue"]: q for q in json.loads(ls.stdout)["queues"]}
        for q in listed.values():
            self.assertLessEqual(q["messages"], 5, q)
        # 10 starts: 10 exits and the fatal on _fault_; 10 started and 9 backoff on _status_.
        fault, status = listed["_fault_crash"], listed["_status_crash"]
        self.assertEqual((fault["messages"], fault["dropped"]), (5, 6))
        self.assertEqual((status["messages"], status["dropped"]), (5, 14))

        msgs = sup.messages()
        kept = events(msgs, "_fault_crash")
        self.assertEqual(len(kept), 5)
        self.assertEqual([b["event"] for b in kept], ["exited"] * 4 + ["fatal"])
        self.assertEqual([b["restarts"] for b in kept], [6, 7, 8, 9, 9], "the newest are kept")
        kept_status = events(msgs, "_status_crash")
        self.assertEqual([(b["event"], b["restarts"]) for b in kept_status],
                         [("started", 7), ("backoff", 7), ("started", 8), ("backoff", 8), ("started", 9)])
        for q in ("_fault_crash", "_status_crash"):
            seqs = [b["seq"] for b in events(msgs, q)]
            self.assertEqual(seqs, sorted(seqs), q)
        # Nothing was lost beside what retain dropped: kept + dropped is all the run reported.
        total_run = max(b["seq"] for _, _, b in msgs)
        retained = sum(q["messages"] for q in listed.values())
        dropped = sum(q["dropped"] for q in listed.values())
        self.assertEqual(retained + dropped, total_run, "every report of the run is kept or counted as dropped")


class QueueCliTest(TaskmuxTest, Checks):
    def fresh_config(self, reports=""):
        d = Path(tempfile.mkdtemp(prefix="taskmux-test-"))
        self.addCleanup(shutil.rmtree, d, True)
        config = d / "config.toml"
        config.write_text('[supervisor]\nname = "cli"\nstate_dir = "state"\n\n' + reports +
                          '[[task]]\nname = "x"\ncommand = ["true"]\n')
        return config

    def test_push_keeps_a_queue_to_retain(self):
        config = self.fresh_config('[reports]\nretain = 5\n\n')
        for i in range(8):
            self.assertEqual(queue_cli(config, "push", "jobs", str(i)).returncode, 0)
        self.assertEqual([b for _, _, b in read_queues(config.parent / "state", "jobs")], [3, 4, 5, 6, 7])
        ls = json.loads(queue_cli(config, "ls", "--json").stdout)
        self.assertEqual(ls["queues"], [{"queue": "jobs", "messages": 5, "dropped": 3}])

    def test_push_tail_pop_without_a_supervisor(self):
        config = self.fresh_config()
        ls = queue_cli(config, "ls", "--json")
        self.assertEqual(ls.returncode, 0, ls.stderr)
        self.assertEqual(json.loads(ls.stdout), {"queues": [], "outbox": 0})

        self.assertEqual(queue_cli(config, "push", "jobs", "first").returncode, 0)
        self.assertEqual(queue_cli(config, "push", "jobs", '{"n": 2}').returncode, 0)
        r = queue_cli(config, "push", "jobs", input=b"third from stdin")
        self.assertEqual(r.returncode, 0, r.stderr)

        ls = json.loads(queue_cli(config, "ls", "--json").stdout)
        self.assertEqual(ls["queues"], [{"queue": "jobs", "messages": 3, "dropped": 0}])
        tail = queue_cli(config, "tail", "jobs")
        self.assertEqual(tail.stdout.decode().splitlines(), ["first", '{"n": 2}', "third from stdin"])
        self.assertEqual(queue_cli(config, "tail", "-n", "1", "jobs").stdout.decode().splitlines(),
                         ["third from stdin"])
        self.assertEqual([b for _, _, b in read_queues(config.parent / "state", "jobs")],
                         ["first", {"n": 2}, "third from stdin"])

        for expected in ("first", '{"n": 2}', "third from stdin"):
            pop = queue_cli(config, "pop", "jobs")
            self.assertEqual(pop.returncode, 0, pop.stderr)
            self.assertEqual(pop.stdout.decode(), expected + "\n")
        empty = queue_cli(config, "pop", "jobs")
        self.assertEqual((empty.returncode, empty.stdout), (1, b""))
        empty = queue_cli(config, "pop", "never-used")
        self.assertEqual((empty.returncode, empty.stdout), (1, b""))
        ls = json.loads(queue_cli(config, "ls", "--json").stdout)
        self.assertEqual(ls["queues"], [{"queue": "jobs", "messages": 0, "dropped": 0}])

    def test_push_and_pop_beside_a_running_supervisor(self):
        sup = self.start(f'[[task]]\nname = "crash"\ncommand = {probe("exit", 1)}\nrestart = "always"\n'
                         'backoff = { initial = "1ms", max = "1ms" }\nstart_limit = { burst = 0 }\n')
        sup.wait_ready()
        run = sup.status()["run"]
        for i in range(30):
            r = queue_cli(sup.config, "push", "work", f"item {i}")
            self.assertEqual(r.returncode, 0, r.stderr)
        popped = []
        for _ in range(30):
            r = queue_cli(sup.config, "pop", "work")
            self.assertEqual(r.returncode, 0, r.stderr)
            popped.append(r.stdout.decode().rstrip("\n"))
        self.assertEqual(popped, [f"item {i}" for i in range(30)])
        self.assertEqual(queue_cli(sup.config, "pop", "work").returncode, 1)
        self.assertIsNone(sup.proc.poll())
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(30), 0)
        msgs = sup.messages()
        self.assertGreater(len(of_run(msgs, run)), 30, "the crash loop reported all along")
        self.assert_gap_free(msgs, run)

    def follow(self, config, *args):
        """`taskmux queue tail -f ARGS`, and a function returning its next line ("" after `timeout`)."""
        follower = subprocess.Popen([TASKMUX, "queue", "tail", "-f", *args, "-c", str(config)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def stop_follower():
            follower.kill()
            follower.wait(10)
            follower.stdout.close()
            follower.stderr.close()
        self.addCleanup(stop_follower)

        def next_line(timeout=5.0):
            deadline = time.monotonic() + timeout
            buf = b""
            while time.monotonic() < deadline and not buf.endswith(b"\n"):
                ready, _, _ = select.select([follower.stdout], [], [], 0.05)
                if ready:
                    c = os.read(follower.stdout.fileno(), 1)
                    if not c:
                        break
                    buf += c
            return buf.decode()
        return follower, next_line

    def test_tail_follow_prints_a_message_pushed_after_it_started(self):
        sup = self.start(f'[[task]]\nname = "long"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_ready()
        queue_cli(sup.config, "push", "feed", "older one")
        queue_cli(sup.config, "push", "feed", "old one")
        follower, next_line = self.follow(sup.config, "-n", "1", "feed")
        self.assertEqual(next_line(), "old one\n")
        queue_cli(sup.config, "push", "feed", "new one")
        self.assertEqual(next_line(), "new one\n")
        queue_cli(sup.config, "push", "feed", "newer one")
        self.assertEqual(next_line(), "newer one\n")
        self.assertIsNone(follower.poll())

    def test_tail_n_0_prints_nothing_that_is_there(self):
        sup = self.start(f'[[task]]\nname = "long"\ncommand = {probe("sleep", 3600)}\n')
        sup.wait_ready()
        for i in range(3):
            queue_cli(sup.config, "push", "feed", f"old {i}")
        r = queue_cli(sup.config, "tail", "-n", "0", "feed")
        self.assertEqual((r.returncode, r.stdout), (0, b""))
        # -f -n 0: only what comes after it started. Nothing shows when it is ready to follow,
        # so push until a line comes; it must be one of the new ones.
        follower, next_line = self.follow(sup.config, "-n", "0", "feed")
        line = ""
        for i in range(20):
            queue_cli(sup.config, "push", "feed", f"new {i}")
            line = next_line(timeout=0.5)
            if line:
                break
        self.assertTrue(line.startswith("new "), f"tail -f -n 0 printed {line!r}")

if __name__ == "__main__":
    unittest.main()
