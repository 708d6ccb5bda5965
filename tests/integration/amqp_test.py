"""Queue reports through RabbitMQ (SPEC "Queue reports", backend "amqp"): every event reaches
the right durable queue as a persistent application/json message with a gap-free seq, reports
wait on disk while the broker is down (or refuses us, or is not there at all) and are all
delivered when it is back, and the password never shows. One throwaway broker for the module
(tests/services/rabbitmq.sh); it is read with pika, an independent AMQP client."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
from collections import defaultdict
from pathlib import Path

import pika
import pika.exceptions

from harness import PROBE, REPO, TASKMUX, TaskmuxTest, probe
from reports_test import PROBE_SLEEP, Checks

BROKER_SCRIPT = REPO / "tests" / "services" / "rabbitmq.sh"
PORT = int(os.environ.get("TASKMUX_TEST_AMQP_PORT", "5691"))
GOOD_URL = f"amqp://guest:guest@127.0.0.1:{PORT}/%2f"
SHOWN_URL = f"amqp://guest:***@127.0.0.1:{PORT}/%2f"  # how taskmux spells it in its logs


class Broker:
    """The module's RabbitMQ node: started, stopped and restarted on one state dir."""

    def __init__(self, state_dir):
        self.state_dir = state_dir

    def script(self, *args, timeout=120):
        r = subprocess.run(["bash", str(BROKER_SCRIPT), *args], capture_output=True, text=True, timeout=timeout)
        return r.returncode, (r.stdout + r.stderr).strip()

    def start(self):
        return self.script("start", str(self.state_dir), str(PORT))

    def stop(self):
        return self.script("stop", str(self.state_dir), str(PORT))

    def running(self):
        return self.script("status", str(self.state_dir), str(PORT))[0] == 0


class Reader:
    """Takes messages off RabbitMQ queues (basic_get, auto-ack) and keeps them, per queue in
    arrival order: [(method, properties, body as parsed JSON)]. One connection per call, so a
    broker restart in between does not matter."""

    def __init__(self, url=GOOD_URL):
        self.url = url
        self.got = defaultdict(list)

    def _connect(self):
        return pika.BlockingConnection(pika.URLParameters(self.url + "?connection_attempts=3&retry_delay=0.5"))

    @staticmethod
    def _exists(conn, queue):
        ch = conn.channel()
        try:
            ch.queue_declare(queue, passive=True)
        except pika.exceptions.ChannelClosedByBroker as e:
            if e.reply_code == 404:
                return False
            raise
        ch.close()
        return True

    def existing(self, queues):
        conn = self._connect()
        try:
            return {q for q in queues if self._exists(conn, q)}
        finally:
            conn.close()

    def drain(self, queues):
        """Takes everything that is in `queues` now (missing queues are skipped); returns self.got."""
        conn = self._connect()
        try:
            for q in queues:
                if not self._exists(conn, q):
                    continue
                ch = conn.channel()
                while True:
                    method, props, body = ch.basic_get(q, auto_ack=True)
                    if method is None:
                        break
                    self.got[q].append((method, props, json.loads(body.decode("utf-8"))))
                ch.close()
        finally:
            conn.close()
        return self.got

    def durable(self, queue):
        """True when `queue` (which exists) is durable: re-declaring it durable succeeds; a
        transient queue makes the broker refuse (PRECONDITION_FAILED, inequivalent arg)."""
        conn = self._connect()
        try:
            ch = conn.channel()
            try:
                ch.queue_declare(queue, durable=True)
            except pika.exceptions.ChannelClosedByBroker as e:
                if e.reply_code == 406:
                    return False
                raise
            return True
        finally:
            conn.close()

    def delete(self, queues):
        conn = self._connect()
        try:
            for q in queues:
                conn.channel().queue_delete(q)
        finally:
            conn.close()

    def bodies(self, queue, event=None):
        return [b for _, _, b in self.got.get(queue, []) if event is None or b["event"] == event]


def dedupe(messages):
    """Keeps the first arrival of each (run, seq), in order; returns (kept, duplicate count)."""
    seen, kept, dups = {}, [], 0
    for m in messages:
        body = m[-1]
        key = (body["run"], body["seq"])
        if key in seen:
            dups += 1
            assert seen[key] == body, f"two different messages with run/seq {key}: {seen[key]} / {body}"
            continue
        seen[key] = body
        kept.append(m)
    return kept, dups


def queue_ls(config):
    r = subprocess.run([TASKMUX, "queue", "ls", "--json", "-c", str(config)], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def outbox(config):
    return queue_ls(config)["outbox"]


def reports_table(url):
    return f'[reports]\nbackend = "amqp"\nurl = {json.dumps(url)}\n\n'


def crash_loop(name, burst=0):
    """A task that says why on stderr and exits 1 at once, restarted after 50..200 ms; `burst`
    starts at most (0: for ever)."""
    limit = "{ burst = 0 }" if burst == 0 else f'{{ burst = {burst}, interval = "60s" }}'
    crash = f"echo {name} broke >&2; exec {PROBE} exit 1"
    return (f'[[task]]\nname = "{name}"\ncommand = {json.dumps(crash)}\nrestart = "always"\n'
            f'backoff = {{ initial = "50ms", max = "200ms" }}\nstart_limit = {limit}\n\n')


class AmqpTest(TaskmuxTest, Checks):
    broker_error = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="taskmux-amqp-test-"))
        cls.broker = Broker(cls.tmp / "broker")
        try:
            rc, out = cls.broker.start()
        except subprocess.TimeoutExpired as e:
            rc, out = -1, f"timed out: {e}"
        if rc != 0:
            # Not a skip: CI installs the broker, so a broker that cannot start is a failure.
            cls.broker_error = f"{BROKER_SCRIPT} start failed (exit {rc}):\n{out}"

    @classmethod
    def tearDownClass(cls):
        try:
            cls.broker.stop()
        finally:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        if self.broker_error:
            self.fail(self.broker_error)
        if not self.broker.running():  # an earlier test failed with the broker stopped
            rc, out = self.broker.start()
            self.assertEqual(rc, 0, out)

    def supervisor_table(self, name):
        return f'name = "{name}"\nshutdown_timeout = "20s"'

    def assert_amqp_message(self, queue, method, props, body, supervisor):
        self.assertEqual(props.delivery_mode, 2, f"{queue}: not persistent")
        self.assertEqual(props.content_type, "application/json", queue)
        self.assertEqual((method.exchange, method.routing_key), ("", queue))
        self.assert_event_shape(body, supervisor)

    def assert_gap_free_over(self, got, run):
        """Deduped on (run, seq): within each queue seq increases in arrival order, and the
        union over all queues is 1..N without a gap. Returns (N, duplicates)."""
        seqs, dups = [], 0
        for q, msgs in got.items():
            kept, d = dedupe([m for m in msgs if m[2]["run"] == run])
            dups += d
            s = [b["seq"] for _, _, b in kept]
            self.assertTrue(all(a < b for a, b in zip(s, s[1:])), f"seq not increasing in {q}: {s}")
            seqs += s
        self.assertEqual(sorted(seqs), list(range(1, len(seqs) + 1)), "seq has gaps across the queues")
        return len(seqs), dups

    # ---------------------------------------------------------------------------------------
    def test_every_event_reaches_its_rabbitmq_queue(self):
        sup_name = "amqpev"
        notify = (f'{TASKMUX} notify --status working && {TASKMUX} notify --fault "disk full" && '
                  f'{TASKMUX} notify --success "batch done" && exec {PROBE_SLEEP}')
        sup = self.start(
            reports_table(GOOD_URL) + crash_loop("ev_crash", burst=3) +
            '[[task]]\nname = "ev_good"\ncommand = "exit 0"\nevery = "1s"\n\n'
            '[[task]]\nname = "ev_bad"\ncommand = "echo cycle broke >&2; exit 1"\nevery = "1s"\n\n'
            f'[[task]]\nname = "ev_talker"\nnamespace = "ev_nsx"\ncommand = {json.dumps(notify)}\n\n'
            f'[[task]]\nname = "ev_long"\ncommand = {probe("sleep", 3600)}\n',
            supervisor_table=self.supervisor_table(sup_name))
        expected_queues = {"_status_ev_crash", "_fault_ev_crash", "_status_ev_good", "_success_ev_good",
                           "_status_ev_bad", "_fault_ev_bad", "_status_ev_nsx", "_fault_ev_nsx", "_success_ev_nsx",
                           "_status_ev_long", "_status_" + sup_name}
        # Namespaces nobody should use: nothing may end up there.
        unexpected = {f"_{k}_{t}" for k in ("status", "fault", "success")
                      for t in ("ev_talker", sup_name)} - {"_status_" + sup_name}
        unexpected |= {"_success_ev_crash", "_fault_ev_good", "_success_ev_bad", "_fault_ev_long",
                       "_success_ev_long", "_fault_" + sup_name, "_success_" + sup_name}
        reader = Reader()
        self.addCleanup(lambda: self.broker.running() and reader.delete(expected_queues | unexpected))
        sup.wait_ready()
        run = sup.status()["run"]

        def have(queue, event, n=1):
            reader.drain(expected_queues)
            return len(reader.bodies(queue, event)) >= n
        sup.wait_state("ev_crash", "fatal")
        sup.wait_state("ev_long", "ready")
        sup.wait_for(lambda: have("_success_ev_good", "cycle_succeeded", 2), what="2 successful cycles in RabbitMQ")
        sup.wait_for(lambda: have("_fault_ev_bad", "cycle_failed", 2), what="2 failed cycles in RabbitMQ")
        sup.wait_for(lambda: have("_success_ev_nsx", "success"), what="the SUCCESS= report in RabbitMQ")
        sup.wait_for(lambda: have("_status_" + sup_name, "snapshot"), what="a snapshot in RabbitMQ")
        sup.wait_for(lambda: {r["state"] for r in sup.rows() if r["task"] in ("ev_good", "ev_bad")} == {"waiting"},
                     what="both looped tasks between cycles")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(30), 0)
        self.assertEqual(outbox(sup.config), 0, "taskmux delivered everything before it exited")
        self.assertEqual(queue_ls(sup.config)["queues"], [], "the amqp backend leaves the embedded queues alone")
        self.assertIn(f"amqp: connected to {SHOWN_URL}", sup.stderr())
        self.assertNotIn("amqp: unable", sup.stderr())

        got = reader.drain(expected_queues)
        self.assertEqual(set(got), expected_queues)
        self.assertEqual(reader.existing(unexpected), set(), "reports went to queues they do not belong in")
        for q in expected_queues:
            self.assertTrue(reader.durable(q), f"{q} is not durable")
            for method, props, body in got[q]:
                self.assert_amqp_message(q, method, props, body, sup_name)
                self.assertEqual(body["run"], run)
                if q == "_status_" + sup_name:
                    self.assertEqual(body["event"], "snapshot")
                else:
                    ns = "ev_nsx" if body["task"] == "ev_talker" else body["task"]
                    self.assertTrue(q.endswith("_" + ns), (q, body))
        n, _ = self.assert_gap_free_over(got, run)
        got = {q: dedupe(m)[0] for q, m in got.items()}
        reader.got = got

        # The same events in the same queues as with the embedded store (reports_test).
        faults = reader.bodies("_fault_ev_crash")
        self.assertEqual([b["event"] for b in faults], ["exited", "exited", "exited", "fatal"], faults)
        for i, b in enumerate(faults[:3]):
            self.assertEqual((b["exit_code"], b["signal"], b["restarts"]), (1, None, i), b)
            self.assertEqual(b["stderr"], ["ev_crash broke"], b)
            self.assertIn("exited with code 1", b["message"])
        self.assertEqual([b["event"] for b in reader.bodies("_status_ev_crash")],
                         ["started", "backoff", "started", "backoff", "started"])
        good, bad = reader.bodies("_success_ev_good"), reader.bodies("_fault_ev_bad")
        self.assertTrue(all(b["event"] == "cycle_succeeded" and b["exit_code"] == 0 for b in good), good)
        self.assertTrue(all(b["event"] == "cycle_failed" and b["exit_code"] == 1 for b in bad), bad)
        self.assertTrue(all(b["stderr"] == ["cycle broke"] for b in bad), bad)
        self.assertEqual([b["message"] for b in reader.bodies("_status_ev_nsx", "progress")], ["working"])
        self.assertEqual([(b["event"], b["message"]) for b in reader.bodies("_fault_ev_nsx")], [("fault", "disk full")])
        self.assertEqual([(b["event"], b["message"]) for b in reader.bodies("_success_ev_nsx")],
                         [("success", "batch done")])
        self.assertEqual([b["event"] for b in reader.bodies("_status_ev_long")], ["started", "ready", "stopping", "stopped"])
        snaps = reader.bodies("_status_" + sup_name, "snapshot")
        self.assertEqual(snaps[-1]["seq"], n, "the final snapshot is the last report of the run")
        self.assertEqual({r["task"]: r["state"] for r in snaps[-1]["tasks"]},
                         {"ev_crash": "fatal", "ev_good": "stopped", "ev_bad": "stopped", "ev_talker": "stopped",
                          "ev_long": "stopped"})

    # ---------------------------------------------------------------------------------------
    def test_reports_wait_on_disk_through_a_broker_outage_and_none_is_lost(self):
        sup_name = "amqpout"
        tasks = ("out_a", "out_b")
        queues = {f"_{k}_{t}" for k in ("status", "fault") for t in tasks} | {"_status_" + sup_name}
        reader = Reader()
        self.addCleanup(lambda: self.broker.running() and reader.delete(queues))
        sup = self.start(reports_table(GOOD_URL) + "".join(crash_loop(t) for t in tasks),
                         supervisor_table=self.supervisor_table(sup_name))
        sup.wait_ready()
        run = sup.status()["run"]
        sup.wait_for(lambda: all(reader.drain(queues).get(f"_fault_{t}") for t in tasks), what="faults in RabbitMQ")

        # The broker goes away (cleanly: it closes our connection) for ~10 s.
        t0 = time.monotonic()
        said_before = len(sup.stderr())
        rc, out = self.broker.stop()
        self.assertEqual(rc, 0, out)
        self.addCleanup(lambda: self.broker.running() or self.broker.start())
        sup.wait_stderr(f"amqp: unable to connect to {SHOWN_URL}: connection refused; reports wait on disk (",
                        timeout=15)
        restarts_before = sum(r["restarts"] for r in sup.rows())
        samples = []
        while time.monotonic() - t0 < 10 or len(samples) < 3:
            samples.append(outbox(sup.config))
            time.sleep(0.5)
        self.assertIsNone(sup.proc.poll(), "taskmux keeps running without its broker")
        self.assertGreater(sum(r["restarts"] for r in sup.rows()), restarts_before, "the crash loop goes on")
        self.assertEqual(samples, sorted(samples), f"the outbox only grows while the broker is away: {samples}")
        self.assertGreater(samples[-1], samples[0], f"reports pile up on disk: {samples}")
        self.assertGreater(samples[0], 0)

        # Back on the same state dir (the durable queues and what they held survive).
        rc, out = self.broker.start()
        self.assertEqual(rc, 0, out)
        sup.wait_for(lambda: outbox(sup.config) == 0, timeout=30, what="the outbox to empty after the outage")
        stderr = sup.stderr()[said_before:]
        self.assertRegex(stderr, re.escape(f"amqp: connected to {SHOWN_URL}, delivering ") + r"\d+ waiting reports")
        sup.signal(signal.SIGTERM)
        self.assertEqual(sup.wait_exit(30), 0)
        self.assertEqual(outbox(sup.config), 0)

        got = reader.drain(queues)
        n, dups = self.assert_gap_free_over(got, run)
        self.assertGreater(n, samples[-1], "the run reported more than what waited")
        for t in tasks:
            for q in (f"_fault_{t}", f"_status_{t}"):
                for method, props, body in got[q]:
                    self.assert_amqp_message(q, method, props, body, sup_name)
            faults, _ = dedupe(got[f"_fault_{t}"])
            self.assertTrue(all(b["stderr"] == [f"{t} broke"] for _, _, b in faults))
            seqs = [b["seq"] for _, _, b in faults]
            self.assertTrue(all(a < b for a, b in zip(seqs, seqs[1:])), f"{t}: faults out of order: {seqs}")
            # Every start ended in a fault (the last one perhaps in the stop instead).
            starts = [b for _, _, b in dedupe(got[f"_status_{t}"])[0] if b["event"] == "started"]
            self.assertIn(len(starts) - len(faults), (0, 1), f"{t}: {len(starts)} starts, {len(faults)} faults")
            self.assertEqual([b["restarts"] for _, _, b in faults], list(range(len(faults))),
                             f"{t}: a fault is missing")
        snaps = [b for _, _, b in dedupe(got["_status_" + sup_name])[0]]
        self.assertEqual(snaps[-1]["seq"], n, "the final snapshot is the last report of the run")

    # ---------------------------------------------------------------------------------------
    def test_a_wrong_password_is_refused_and_never_shown_and_reports_wait_for_the_right_one(self):
        sup_name = "amqppw"
        queues = {"_status_pw_crash", "_fault_pw_crash", "_status_pw_long", "_status_" + sup_name}
        reader = Reader()
        self.addCleanup(lambda: self.broker.running() and reader.delete(queues))
        body = crash_loop("pw_crash", burst=3) + f'[[task]]\nname = "pw_long"\ncommand = {probe("sleep", 3600)}\n'
        bad_url = f"amqp://guest:wrong@127.0.0.1:{PORT}/%2f"
        sup = self.start(reports_table(bad_url) + body, supervisor_table=self.supervisor_table(sup_name))
        sup.wait_stderr(f"amqp: unable to connect to {SHOWN_URL}: login: ACCESS_REFUSED")
        sup.wait_state("pw_crash", "fatal")
        sup.wait_state("pw_long", "ready")
        run1 = sup.status()["run"]
        sup.wait_for(lambda: outbox(sup.config) >= 9, what="the reports to wait in the outbox")
        shown = [sup.stdout(), sup.stderr()]
        for args in (["status"], ["status", "--json"]):
            r = subprocess.run([TASKMUX, *args, "--socket", str(sup.socket)], capture_output=True, text=True,
                               timeout=10)
            self.assertEqual(r.returncode, 0, r.stderr)
            shown += [r.stdout, r.stderr]
        for args in (["ls"], ["ls", "--json"]):
            r = subprocess.run([TASKMUX, "queue", *args, "-c", str(sup.config)], capture_output=True, text=True,
                               timeout=10)
            self.assertEqual(r.returncode, 0, r.stderr)
            shown += [r.stdout, r.stderr]
        self.assertIn("reports wait in the outbox", shown[-4])
        self.assertEqual(reader.existing(queues), set(), "nothing reached RabbitMQ with the wrong password")
        sup.signal(signal.SIGTERM)
        t0 = time.monotonic()
        self.assertEqual(sup.wait_exit(30), 0)
        self.assertLess(time.monotonic() - t0, 10, "a refusing broker does not hold up the exit")
        shown += [sup.stdout(), sup.stderr()]
        for text in shown:
            self.assertNotIn("wrong", text, "the password was shown")
        [line] = [l for l in sup.stderr().splitlines() if "ACCESS_REFUSED" in l]  # said once, not per retry
        self.assertIn("retrying in", line)
        waiting = outbox(sup.config)
        self.assertGreaterEqual(waiting, 9)
        self.assertIn(f"amqp: stopped with {waiting} reports waiting on disk", sup.stderr())

        # Same state dir, the right password: the first run's reports go out, then the second's.
        again = self.start(reports_table(GOOD_URL) + body, dir=sup.dir,
                           supervisor_table=self.supervisor_table(sup_name))
        again.wait_ready()
        run2 = again.status()["run"]
        self.assertNotEqual(run1, run2)
        again.wait_stderr(f"amqp: connected to {SHOWN_URL}, delivering ")
        again.wait_state("pw_crash", "fatal")
        again.wait_for(lambda: outbox(again.config) == 0, timeout=15, what="the outbox to empty")
        again.signal(signal.SIGTERM)
        self.assertEqual(again.wait_exit(30), 0)
        self.assertEqual(outbox(again.config), 0)

        got = reader.drain(queues)
        n1, _ = self.assert_gap_free_over(got, run1)
        self.assertEqual(n1, waiting, "every report of the first run was delivered")
        self.assert_gap_free_over(got, run2)
        for q, msgs in got.items():
            runs = [b["run"] for _, _, b in dedupe(msgs)[0]]
            self.assertEqual(runs, sorted(runs, key=lambda r: r != run1), f"{q}: run1's reports come first")
            for method, props, b in msgs:
                self.assert_amqp_message(q, method, props, b, sup_name)
        faults1 = [b for _, _, b in dedupe(got["_fault_pw_crash"])[0] if b["run"] == run1]
        self.assertEqual([b["event"] for b in faults1], ["exited", "exited", "exited", "fatal"])
        self.assertEqual([b["event"] for b in reader.bodies("_status_pw_long") if b["run"] == run1],
                         ["started", "ready", "stopping", "stopped"])

    # ---------------------------------------------------------------------------------------
    def test_an_unreachable_broker_is_reported_and_the_tasks_run_regardless(self):
        url = "amqp://guest:guest@127.0.0.1:1/%2f"
        sup = self.start(reports_table(url) + crash_loop("un_crash", burst=3) +
                         f'[[task]]\nname = "un_long"\ncommand = {probe("sleep", 3600)}\n'
                         '[[task]]\nname = "un_cycle"\ncommand = "exit 0"\nevery = "200ms"\n',
                         supervisor_table=self.supervisor_table("amqpun"))
        sup.wait_stderr("amqp: unable to connect to amqp://guest:***@127.0.0.1:1/%2f: connection refused; "
                        "reports wait on disk (")
        sup.wait_state("un_crash", "fatal")
        sup.wait_state("un_long", "ready")
        sup.wait_for(lambda: any(r["last_exit"] for r in sup.rows("un_cycle")), what="a finished cycle")
        first = outbox(sup.config)
        self.assertGreater(first, 0)
        sup.wait_for(lambda: outbox(sup.config) > first, what="the outbox to grow with every cycle")
        self.assertIsNone(sup.proc.poll())
        sup.signal(signal.SIGTERM)
        t0 = time.monotonic()
        self.assertEqual(sup.wait_exit(30), 0)
        self.assertLess(time.monotonic() - t0, 10, "an unreachable broker does not hold up the exit")
        self.assertGreater(outbox(sup.config), first, "the reports stay on disk for the next run")
        self.assertIn("reports waiting on disk; they are delivered after the next start", sup.stderr())


if __name__ == "__main__":
    unittest.main()
