"""Drives the real taskmux binary for the integration tests: one temp dir, state_dir and
control socket per test, output collected, waits with deadlines, and every process the test
started (found by a marker in its environment) killed at the end."""
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TASKMUX = os.path.abspath(os.environ.get("TASKMUX_BIN", str(REPO / "build" / "taskmux")))
PROBE = os.path.abspath(os.environ.get("PROBE_TASK", str(REPO / "build" / "tests" / "probe_task")))


def _sanitized():
    """Whether the taskmux under test is built with AddressSanitizer or ThreadSanitizer: their
    shadow memory makes RSS meaningless, and their own SEGV/BUS/... handlers stay in place."""
    try:
        out = subprocess.run(["ldd", TASKMUX], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "libasan" in out or "libtsan" in out


SANITIZED = _sanitized()


def free_port(host="127.0.0.1"):
    """A TCP port nobody listens on right now, on `host` (IPv4 or IPv6)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def children_of(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return out


def proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2]
    except (OSError, ValueError):
        return None


def read_pid(path):
    """The first pid written in `path`, or None while it is not there yet."""
    try:
        text = Path(path).read_text().split()
        return int(text[0]) if text else None
    except OSError:
        return None


def processes_with_env(needle):
    """Pids whose initial environment holds `needle` (e.g. "TEST_MARK=abc")."""
    found = []
    raw = needle.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if raw in f.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            pass
    return found


def processes_with_args(*args):
    """Live pids with all of `args` among their arguments (found from outside a PID namespace too)."""
    found = []
    raw = {a.encode() for a in args}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if raw <= set(f.read().split(b"\0")) and proc_state(int(entry)) not in (None, "Z"):
                    found.append(int(entry))
        except OSError:
            pass
    return found


def cgroup2_tracking():
    """(True, directory) when taskmux can track its tasks with cgroup v2 here: a child cgroup can
    be made under our own on the cgroup2 mount (what taskmux tries at start-up, from the same
    /proc/self/mountinfo and /proc/self/cgroup); else (False, why)."""
    def unescape(p):
        return p.encode().decode("unicode_escape") if "\\" in p else p
    try:
        with open("/proc/self/mountinfo") as f:
            mounts = []
            for line in f:
                fields = line.split()
                if "-" in fields[6:] and fields[fields.index("-", 6) + 1] == "cgroup2":
                    mounts.append((unescape(fields[3]).rstrip("/"), unescape(fields[4])))
        with open("/proc/self/cgroup") as f:
            own = next((line.rstrip("\n")[3:] for line in f if line.startswith("0::")), None)
    except OSError as e:
        return False, str(e)
    if not mounts:
        return False, "no cgroup2 file system is mounted"
    if not own or not own.startswith("/") or "/../" in own + "/" or own.endswith(" (deleted)"):
        return False, "/proc/self/cgroup names no usable cgroup v2 path"
    for root, point in mounts:
        if own == root or own.startswith(root + "/"):
            parent = point.rstrip("/") + own[len(root):].rstrip("/")
            # Not "taskmux-*": a taskmux starting meanwhile would take it for a dead run's.
            probe_dir = os.path.join(parent, "tmxtest-probe-" + uuid.uuid4().hex[:8])
            try:
                os.mkdir(probe_dir)
            except OSError as e:
                return False, f"unable to create {probe_dir}: {e.strerror}"
            os.rmdir(probe_dir)
            return True, parent
    return False, f"our cgroup {own} is not under a cgroup2 mount"


def read_queues(state_dir, queue=None):
    """[(id, queue, body as parsed JSON)] from `<state_dir>/queues.db`, oldest first, read with
    python's own sqlite3 (an independent client, read-only); [] while there is no store yet.
    Bodies that are not JSON (pushed by hand) stay strings."""
    path = Path(state_dir) / "queues.db"
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        sql, args = "SELECT id, queue, body FROM message ORDER BY id", ()
        if queue is not None:
            sql, args = "SELECT id, queue, body FROM message WHERE queue = ? ORDER BY id", (queue,)
        try:
            rows = db.execute(sql, args).fetchall()
        except sqlite3.OperationalError as e:
            if "no such table" not in str(e):  # created, schema not committed yet
                raise
            rows = []
    finally:
        db.close()
    out = []
    for id_, q, body in rows:
        try:
            body = json.loads(body)
        except ValueError:
            pass
        out.append((id_, q, body))
    return out


class Supervisor:
    """taskmux run on a config written into a fresh temp dir."""

    def __init__(self, config_body, *, pid1=False, env=None, supervisor_table=None, read_stdout=True, dir=None,
                 pass_fds=(), umask=None, nofile=None, no_cgroup=False, config_file=None, whole_file=False):
        # `dir`: run in the dir of an earlier Supervisor (same state_dir, e.g. after a crash).
        # `config_file`: run that file as it is (config_body None), its state_dir the default
        # .taskmux beside it; cleanup removes the file's directory.
        # `umask`: taskmux's umask at start; `nofile`: its RLIMIT_NOFILE, soft and hard (taskmux
        # raises the soft limit to the hard one, so only a hard limit holds it). `no_cgroup`: a
        # mount namespace of its own with no cgroup2 mounted (tracking falls back to marks);
        # `unshare` execs taskmux, so the process stays taskmux's. `whole_file`: config_body is the
        # whole config.toml, written as it is (its [supervisor] table sets state_dir = "state").
        self.mark = "TEST_MARK=" + uuid.uuid4().hex
        if config_file is not None:
            self.config = Path(config_file)
            self.dir = self.config.parent
            self.socket = self.dir / ".taskmux" / "control.sock"
        else:
            self.dir = Path(dir) if dir is not None else Path(tempfile.mkdtemp(prefix="taskmux-test-"))
            self.socket = self.dir / "state" / "control.sock"
            head = supervisor_table or 'name = "test"\nshutdown_timeout = "20s"'
            self.config = self.dir / "config.toml"
            self.config.write_text(config_body if whole_file else
                                   f'[supervisor]\nstate_dir = "state"\n{head}\n\n{config_body}')
        # Every task inherits the marker, so leftovers can be found by it.
        full_env = dict(os.environ)
        full_env[self.mark.split("=")[0]] = self.mark.split("=")[1]
        full_env.update(env or {})
        cmd = [TASKMUX, "run", "-c", str(self.config)]
        if nofile is not None:
            cmd = ["prlimit", f"--nofile={nofile}:{nofile}", "--"] + cmd
        if no_cgroup:
            cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                   'mount -t tmpfs none /sys/fs/cgroup && exec "$@"', "sh"] + cmd
        if pid1:
            cmd = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"] + cmd
        self.out, self.err = [], []
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env,
                                     pass_fds=pass_fds, umask=-1 if umask is None else umask)
        self._readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True),
                         threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True)]
        self._readers[0 if read_stdout else 1].start()
        if read_stdout:
            self._readers[1].start()
        self.pid1 = pid1

    def start_reading_stdout(self):
        """For tests that first leave taskmux's stdout unread (a stalled reader)."""
        self._readers[0].start()

    def read_rest_of_stdout(self, timeout=10.0):
        """After taskmux exited with its stdout left unread: read what the pipe still holds."""
        self._readers[0].start()
        self._readers[0].join(timeout)

    @staticmethod
    def _read(stream, sink):
        for line in iter(stream.readline, b""):
            sink.append(line)

    # --- what it says -------------------------------------------------------------------
    def stdout(self):
        return b"".join(self.out).decode(errors="replace")

    def stderr(self):
        return b"".join(self.err).decode(errors="replace")

    def taskmux_pid(self):
        """The pid of taskmux itself (under unshare: its child, PID 1 inside)."""
        if not self.pid1:
            return self.proc.pid
        kids = children_of(self.proc.pid)
        return kids[0] if kids else None

    def status(self, *tasks):
        r = subprocess.run([TASKMUX, "status", "--json", "--socket", str(self.socket), *tasks],
                           capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout)

    def rows(self, task=None):
        doc = self.status()
        if not doc:
            return []
        return [r for r in doc["tasks"] if task is None or r["task"] == task]

    def messages(self, queue=None):
        """What the embedded queue store holds (see read_queues)."""
        return read_queues(self.dir / "state", queue)

    # --- waiting --------------------------------------------------------------------------
    def wait_for(self, predicate, timeout=10.0, what="condition"):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value {last!r}\n"
                             f"--- taskmux stderr ---\n{self.stderr()[-4000:]}\n"
                             f"--- taskmux stdout ---\n{self.stdout()[-2000:]}")

    def wait_state(self, task, states, count=None, timeout=10.0):
        states = {states} if isinstance(states, str) else set(states)

        def check():
            rows = self.rows(task)
            want = count if count is not None else max(1, len(rows))
            return rows if rows and sum(r["state"] in states for r in rows) >= want else None
        return self.wait_for(check, timeout, f"{task} in {sorted(states)}")

    def wait_stderr(self, text, timeout=10.0):
        return self.wait_for(lambda: text in self.stderr(), timeout, f"stderr to contain {text!r}")

    def wait_stdout(self, text, timeout=10.0):
        return self.wait_for(lambda: text in self.stdout(), timeout, f"stdout to contain {text!r}")

    def wait_ready(self, timeout=10.0):
        return self.wait_for(lambda: self.socket.exists() and self.status(), timeout, "control socket")

    # --- ending ---------------------------------------------------------------------------
    def signal(self, sig):
        pid = self.taskmux_pid()
        if pid:
            os.kill(pid, sig)

    def wait_exit(self, timeout=30.0):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"taskmux did not exit within {timeout}s\n{self.stderr()[-4000:]}")
        for r in self._readers:
            if r.is_alive():
                r.join(5)
        return rc

    def leftovers(self):
        """Processes of this test still alive (zombies excluded)."""
        me = {self.proc.pid, self.taskmux_pid()}
        return [p for p in processes_with_env(self.mark) if p not in me and proc_state(p) not in (None, "Z")]

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for pid in processes_with_env(self.mark):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for r in self._readers:
            if r.is_alive():
                r.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class TaskmuxTest(unittest.TestCase):
    """Starts supervisors that are always cleaned up, and shows their output on failure."""

    def start(self, config_body, **kw):
        sup = Supervisor(config_body, **kw)
        self.addCleanup(sup.cleanup)
        return sup


def argv(*args):
    """A TOML array literal for a command."""
    return "[" + ", ".join(json.dumps(str(a)) for a in args) + "]"


def probe(*args):
    return argv(PROBE, *args)
