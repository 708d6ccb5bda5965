# Tests the demo task programs in tasks/ directly, without taskmux:
# python3 -m unittest tests/integration/demo_tasks_test.py -v
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TASKS = REPO / "tasks"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(script, env=None, instance=0):
    full_env = dict(os.environ, PYTHONUNBUFFERED="1", TASK_NAME=script.parent.name,
                    TASK_INSTANCE=str(instance), NAMESPACE="test")
    full_env.pop("NOTIFY_SOCKET", None)
    full_env.update(env or {})
    return subprocess.Popen([sys.executable, str(script)], env=full_env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class LineReader:
    """Drains a pipe in a thread so the child never blocks, and waits for lines with a deadline."""

    def __init__(self, pipe):
        self.lines, self.seen = queue.Queue(), []
        threading.Thread(target=self._pump, args=(pipe,), daemon=True).start()

    def _pump(self, pipe):
        with pipe:  # closed at EOF, i.e. once the child is gone
            for line in pipe:
                self.lines.put(line.rstrip("\n"))

    def wait_for(self, text, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            if any(text in line for line in self.seen):
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} not seen within {timeout}s; got {self.seen}")
            try:
                self.seen.append(self.lines.get(timeout=left))
            except queue.Empty:
                pass


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.headers, json.loads(resp.read())
    finally:
        conn.close()


class FibonacciTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.procs = [start(TASKS / "fibonacci" / "app.py", {"PORT": str(cls.port)}, i) for i in (0, 1)]
        cls.out = [LineReader(p.stdout) for p in cls.procs]
        cls.err = [LineReader(p.stderr) for p in cls.procs]
        for i, reader in enumerate(cls.out):
            reader.wait_for(f"listening on 127.0.0.1:{cls.port} (instance {i})")

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    def test_list_ten(self):
        status, headers, body = get(self.port, "/fibonacci/list?count=10")
        self.assertEqual(status, 200)
        self.assertEqual(body, {"answer": [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]})
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertIn(headers["X-Instance"], {"0", "1"})

    def test_small_counts(self):
        self.assertEqual(get(self.port, "/fibonacci/list?count=0")[2], {"answer": []})
        self.assertEqual(get(self.port, "/fibonacci/list?count=1")[2], {"answer": [0]})

    def test_bad_counts(self):
        for query in ("", "?count=", "?count=abc", "?count=-1", "?count=1.5", "?count=10001"):
            with self.subTest(query=query):
                status, headers, body = get(self.port, "/fibonacci/list" + query)
                self.assertTrue(400 <= status < 500, status)
                self.assertEqual(headers["Content-Type"], "application/json")
                self.assertIsInstance(body.get("error"), str)

    def test_unknown_path(self):
        status, _, body = get(self.port, "/nope")
        self.assertEqual(status, 404)
        self.assertIn("error", body)

    def test_health_and_both_instances_serve(self):
        seen = set()
        deadline = time.monotonic() + 10
        while seen != {0, 1} and time.monotonic() < deadline:
            status, headers, body = get(self.port, "/health")
            self.assertEqual(status, 200)
            self.assertEqual(body["status"], "UP")
            self.assertEqual(str(body["instance"]), headers["X-Instance"])
            seen.add(body["instance"])
        self.assertEqual(seen, {0, 1}, "SO_REUSEPORT should spread connections over both")

    def test_logs_one_line_per_request(self):
        get(self.port, "/fibonacci/list?count=3&tag=log")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for reader in self.out:  # either instance may have served it
                try:
                    reader.wait_for("GET /fibonacci/list?count=3&tag=log 200", timeout=0.1)
                    return
                except AssertionError:
                    pass
        self.fail("request was not logged")

    def test_zz_sigterm_exits_cleanly(self):  # runs last: it stops the servers
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            self.assertEqual(p.wait(timeout=2), 0)


class BatchTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        root = Path(self.tmp.name)
        self.src, self.dest, self.state = root / "in", root / "out", root / "state"
        for d in (self.src, self.dest, self.state):
            d.mkdir()
        (self.src / "a.txt").write_text("hello world\nfoo bar baz\n")
        (self.src / "sub").mkdir()
        (self.src / "sub" / "b.txt").write_text("one\n")

    def tearDown(self):
        self.tmp.cleanup()

    def run_batch(self, **env):
        env = dict(os.environ, TASK_NAME="batch", TASK_INSTANCE="0", FREQUENCY_SEC="10",
                   TMPDIR=str(self.state), **env)
        env.pop("NOTIFY_SOCKET", None)
        return subprocess.run([sys.executable, str(TASKS / "batch" / "report.py")], env=env,
                              capture_output=True, text=True, timeout=10)

    def test_report_written(self):
        res = self.run_batch(SOURCE_PATH=str(self.src), DEST_PATH=str(self.dest))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("run 1 started, period 10s", res.stdout)
        self.assertIn("summarized 2 files, 3 lines, 6 words", res.stdout)
        reports = list(self.dest.iterdir())
        self.assertEqual(len(reports), 1, reports)
        report = json.loads(reports[0].read_text())
        self.assertEqual(report["files"], [
            {"name": "a.txt", "lines": 2, "words": 5, "bytes": 24},
            {"name": "sub/b.txt", "lines": 1, "words": 1, "bytes": 4},
        ])
        self.assertEqual(report["totals"], {"lines": 3, "words": 6, "bytes": 28})

    def test_sample_without_paths(self):
        res = self.run_batch()
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("summarized 3 files", res.stdout)
        self.assertEqual(list(self.dest.iterdir()), [])

    def test_fail_every_second_run(self):
        codes = [self.run_batch(BATCH_FAIL_EVERY="2", DEST_PATH=str(self.dest)) for _ in range(2)]
        self.assertEqual([r.returncode for r in codes], [0, 1])
        self.assertIn("simulated failure", codes[1].stderr)
        self.assertEqual(len(list(self.dest.iterdir())), 1, "a failed run writes no report")


class FlakyWorkerTest(unittest.TestCase):
    def test_crashes_on_schedule(self):
        p = start(TASKS / "flaky_worker" / "worker.py", {"CRASH_AFTER_MIN": "1", "CRASH_AFTER_MAX": "1"})
        try:
            _, err = p.communicate(timeout=3)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("simulated crash:", err)

    def test_sigterm_exits_cleanly(self):
        p = start(TASKS / "flaky_worker" / "worker.py", {"CRASH_AFTER_MIN": "60", "CRASH_AFTER_MAX": "60"})
        out = LineReader(p.stdout)
        LineReader(p.stderr)
        try:
            out.wait_for("processed job 1")
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=2), 0)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()


if __name__ == "__main__":
    unittest.main()
