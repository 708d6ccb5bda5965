"""A state_dir whose disk fills up (SPEC "Queue reports", "Bad input loses nothing"): supervising
never depends on the disk. On a small tmpfs: taskmux starts with a full disk, the reports
that wait in memory are bounded and what is dropped is counted, a little freed space takes a
little of the backlog, and the WAL file is emptied once the writing stops."""
import errno
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from harness import SANITIZED, TASKMUX, TaskmuxTest, argv, probe

# Waits for the file argv[2], then sends argv[1] STATUS= datagrams as fast as it can (each one a
# `progress` report, about 350 bytes in the store), then stays up.
FLOOD = """
import os, socket, sys, time
while not os.path.exists(sys.argv[2]):
    time.sleep(0.01)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
path = os.environ["NOTIFY_SOCKET"]
for i in range(int(sys.argv[1])):
    s.sendto(b"STATUS=busy with item %d of the batch" % i, path)
print("flood done", flush=True)
time.sleep(3600)
"""


def fill(path):
    """Writes zeros to `path` until the file system is full (unbuffered: nothing left to flush)."""
    with open(path, "wb", buffering=0) as f:
        for size in (1 << 16, 1 << 12):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def message_count(state):
    """Messages in the store, read with python's sqlite3 (read-only; 0 while there is no store)."""
    import sqlite3
    path = Path(state) / "queues.db"
    if not path.exists():
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute("SELECT count(*) FROM message").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def queues_json(config):
    r = subprocess.run([TASKMUX, "queue", "ls", "--json", "-c", str(config)], capture_output=True, text=True,
                       timeout=20)
    return {q["queue"]: q for q in json.loads(r.stdout)["queues"]} if r.returncode == 0 else {}


def flood_task(d, count):
    (d / "flood.py").write_text(FLOOD)
    return f'[[task]]\nname = "flood"\ncommand = {argv(sys.executable, d / "flood.py", count, d / "go")}\n'


@unittest.skipUnless(os.geteuid() == 0, "mounting a small tmpfs needs root")
class DiskFullTest(TaskmuxTest):
    def small_disk(self, size):
        """A temp dir whose `state` is a tmpfs of `size` (the state_dir of a Supervisor run in it)."""
        d = Path(tempfile.mkdtemp(prefix="taskmux-disk-"))
        (d / "state").mkdir(mode=0o700)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(d / "state")],
                       check=True)
        # Cleanups run last-in first-out: this one after the Supervisor's, which removes d.
        self.addCleanup(lambda: subprocess.run(["umount", "-l", str(d / "state")]))
        return d

    def flood_running(self, size):
        d = self.small_disk(size)
        sup = self.start(flood_task(d, 200_000), dir=d)
        sup.wait_state("flood", "ready")
        sup.wait_for(lambda: message_count(d / "state") > 0, 10, "the first reports on disk")
        return d, sup

    def test_taskmux_starts_and_supervises_on_a_full_disk_and_writes_the_reports_once_there_is_room(self):
        d = self.small_disk("1m")
        fill(d / "state" / "fill")
        sup = self.start(f'[[task]]\nname = "app"\ncommand = {probe("sleep", 3600)}\n', dir=d)
        sup.wait_stderr("supervising all the same")
        sup.wait_state("app", "ready")
        self.assertEqual(message_count(d / "state"), 0)
        (d / "state" / "fill").unlink()
        sup.wait_for(lambda: any(m[2]["event"] == "ready" for m in sup.messages("_status_app")), 20,
                     "the reports of the start, once there is room")
        sup.wait_stderr("works again")
        sup.signal(15)
        self.assertEqual(sup.wait_exit(), 0)

    def test_reports_waiting_for_a_full_disk_are_bounded_and_the_dropped_ones_counted(self):
        d, sup = self.flood_running("8m")
        fill(d / "state" / "fill")
        (d / "go").touch()
        # 200,000 reports are about 70 MB; at most 4 MiB of them may wait in memory.
        sup.wait_stdout("flood done", 120)
        sup.wait_stderr("reports wait in memory")
        if not SANITIZED:  # AddressSanitizer's shadow memory is RSS too
            self.assertLess(rss_kib(sup.taskmux_pid()), 24 * 1024)
        self.assertEqual(sup.rows("flood")[0]["state"], "ready")
        (d / "state" / "fill").unlink()
        sup.wait_stderr("reports were dropped", 30)
        status = queues_json(sup.config)["_status_flood"]
        self.assertGreater(status["dropped"], 100_000)
        # Each report is in the queue, or counted: trimmed by retain or dropped for the disk.
        self.assertGreaterEqual(status["messages"] + status["dropped"], 200_000)
        sup.signal(15)
        self.assertEqual(sup.wait_exit(), 0)

    def test_a_little_freed_space_takes_a_little_of_the_backlog(self):
        d, sup = self.flood_running("8m")
        with open(d / "state" / "spare", "wb") as f:
            f.write(b"\0" * (512 * 1024))
        fill(d / "state" / "fill")
        (d / "go").touch()
        sup.wait_stdout("flood done", 120)
        sup.wait_stderr("reports wait in memory")
        before = message_count(d / "state")
        # 512 KiB is far less than the ~4 MiB backlog needs: all or nothing would write nothing.
        (d / "state" / "spare").unlink()
        sup.wait_for(lambda: message_count(d / "state") > before + 500, 20, "part of the backlog on disk")


class WalTest(TaskmuxTest):
    def test_the_wal_file_is_emptied_once_writing_stops(self):
        d = Path(tempfile.mkdtemp(prefix="taskmux-wal-"))
        (d / "go").touch()
        sup = self.start(flood_task(d, 30_000), dir=d)
        wal = d / "state" / "queues.db-wal"
        largest = 0

        def done():
            nonlocal largest
            if wal.exists():
                largest = max(largest, wal.stat().st_size)
            return "flood done" in sup.stdout()
        sup.wait_for(done, 60, "the flood to end")
        self.assertGreater(largest, 1 << 20)
        sup.wait_for(lambda: wal.exists() and wal.stat().st_size == 0, 30, "an empty WAL file")
        self.assertEqual(sup.proc.poll(), None)


if __name__ == "__main__":
    unittest.main()
