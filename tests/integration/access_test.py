"""Who may reach taskmux, and what a full descriptor table does to it: the modes of state_dir and
what taskmux makes there whatever its umask, the umask tasks get, the client's check of who
serves the control socket, and the control socket's accept under EMFILE (SPEC "Command line")."""
import array
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from harness import SANITIZED, TASKMUX, TaskmuxTest, argv, probe

NOBODY = pwd.getpwnam("nobody")
# The system's python3: one under /root (pyenv) is out of reach of a task running as nobody.
PYTHON3 = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
FORGED = {"ok": True, "result": {"supervisor": "forged", "run": "666666", "tasks": []}}

# A task that tries to put its own control socket in place of taskmux's and answer `status`.
IMPOSTOR = """
import os, socket, time
path = os.environ["CONTROL"]
try:
    os.unlink(path)
    print("unlink ok", flush=True)
except OSError as e:
    print("unlink failed:", e.strerror, flush=True)
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(8)
    print("bind ok", flush=True)
except OSError as e:
    print("bind failed:", e.strerror, flush=True)
    time.sleep(3600)
while True:
    c, _ = s.accept()
    c.recv(65536)
    c.sendall(%r.encode() + b"\\n")
    c.close()
""" % json.dumps(FORGED)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def cpu_seconds(pid):
    """utime + stime of every thread of `pid` (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid, below):
    """How many of the descriptors 0..below-1 `pid` has open."""
    return sum(1 for fd in os.listdir(f"/proc/{pid}/fd") if int(fd) < below)


def status(socket_path):
    return subprocess.run([TASKMUX, "status", "--json", "--socket", str(socket_path)], capture_output=True,
                          text=True, timeout=10)


def shared_dir(test):
    """A temp dir other users may enter, as an application directory usually is."""
    d = Path(tempfile.mkdtemp(prefix="taskmux-test-"))
    test.addCleanup(shutil.rmtree, d, True)
    os.chmod(d, 0o755)
    return d


@unittest.skipUnless(os.geteuid() == 0, "needs root (tasks with user = \"nobody\", chown)")
class PermissionsTest(TaskmuxTest):
    def test_a_task_of_another_user_cannot_replace_the_control_socket_under_umask_000(self):
        d = shared_dir(self)
        control = d / "state" / "control.sock"
        sup = self.start(f'[[task]]\nname = "impostor"\nuser = "nobody"\ncommand = {argv(PYTHON3, "-c", IMPOSTOR)}\n'
                         f'env = {{ CONTROL = "{control}" }}\n\n'
                         f'[[task]]\nname = "plain"\ncommand = {probe("sleep", 3600)}\n', dir=d, umask=0)
        sup.wait_for(lambda: "bind ok" in sup.stdout() or "bind failed" in sup.stdout(), what="the impostor's bind")
        self.assertIn("impostor[0] | unlink failed: Permission denied", sup.stdout())
        self.assertIn("impostor[0] | bind failed: Address already in use", sup.stdout())
        r = status(control)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["supervisor"], "test")
        # 0711: the impostor's notify socket is inside, and it must reach it; nothing more.
        state = d / "state"
        self.assertEqual(mode(state), 0o711)
        self.assertEqual(mode(control), 0o600)
        self.assertEqual(mode(state / "notify"), 0o711)
        self.assertEqual(mode(state / "notify" / "plain.sock"), 0o600)
        self.assertEqual(mode(state / "notify" / "impostor.sock"), 0o600)
        self.assertEqual(os.stat(state / "notify" / "impostor.sock").st_uid, NOBODY.pw_uid)

    def test_state_dir_and_sockets_are_private_under_umask_000(self):
        sup = self.start(f'[[task]]\nname = "a"\ncommand = {probe("sleep", 3600)}\n', umask=0)
        sup.wait_ready()
        state = sup.dir / "state"
        self.assertEqual(mode(state), 0o700)
        self.assertEqual(mode(sup.socket), 0o600)
        self.assertEqual(mode(state / "notify"), 0o700)
        self.assertEqual(mode(state / "notify" / "a.sock"), 0o600)

    def test_a_state_dir_writable_by_others_is_made_private_and_logged(self):
        d = shared_dir(self)
        (d / "state").mkdir()
        os.chmod(d / "state", 0o777)
        sup = self.start(f'[[task]]\nname = "a"\ncommand = {probe("sleep", 3600)}\n', dir=d)
        sup.wait_ready()
        self.assertEqual(mode(d / "state"), 0o700)
        sup.wait_stderr(f"state_dir {d / 'state'} was mode 0777 (writable by others); now 0700")

    def test_a_state_dir_owned_by_another_user_is_refused(self):
        d = shared_dir(self)
        (d / "state").mkdir()
        os.chown(d / "state", NOBODY.pw_uid, NOBODY.pw_gid)
        sup = self.start(f'[[task]]\nname = "a"\ncommand = {probe("sleep", 3600)}\n', dir=d)
        self.assertEqual(sup.wait_exit(10), 1)
        self.assertIn(f"unable to use state_dir {d / 'state'}: owned by uid {NOBODY.pw_uid}, not by uid 0",
                      sup.stderr())
        self.assertFalse((d / "state" / "control.sock").exists())
        self.assertEqual(sup.leftovers(), [])

    def test_status_refuses_a_control_socket_served_by_another_user(self):
        d = shared_dir(self)
        os.chown(d, NOBODY.pw_uid, NOBODY.pw_gid)
        path = d / "control.sock"
        server = subprocess.Popen([PYTHON3, "-c", IMPOSTOR], env={**os.environ, "CONTROL": str(path)},
                                  user=NOBODY.pw_uid, group=NOBODY.pw_gid, extra_groups=[],
                                  stdout=subprocess.PIPE, text=True)
        self.addCleanup(server.stdout.close)
        self.addCleanup(server.wait)
        self.addCleanup(server.kill)
        self.assertEqual(server.stdout.readline().strip(), "unlink failed: No such file or directory")
        self.assertEqual(server.stdout.readline().strip(), "bind ok")
        r = status(path)
        self.assertEqual(r.returncode, 3, r.stdout)
        self.assertNotIn("forged", r.stdout)
        self.assertIn(f"taskmux: control socket {path} is served by uid {NOBODY.pw_uid}, not by uid 0", r.stderr)


class UmaskTest(TaskmuxTest):
    def test_tasks_get_the_umask_taskmux_was_started_with(self):
        sup = self.start('[[task]]\nname = "u"\ncommand = "umask"\nrestart = "never"\n', umask=0o027)
        sup.wait_stdout("u[0] | 0027")
        self.assertEqual(mode(sup.dir / "state"), 0o700)

    def test_what_taskmux_writes_in_state_dir_is_its_own_alone_under_umask_000(self):
        sup = self.start('[[task]]\nname = "u"\ncommand = "sleep 3600"\n', umask=0)
        state = sup.dir / "state"
        names = ["queues.db", "queues.db-wal", "queues.db-shm", "run.lock", "control.sock", "notify/u.sock"]
        sup.wait_for(lambda: all((state / n).exists() for n in names), 10, "the files of state_dir")
        self.assertEqual(mode(state), 0o700)
        self.assertEqual(mode(state / "notify"), 0o700)
        for n in names:
            self.assertEqual(mode(state / n) & 0o077, 0, f"{n} is mode {mode(state / n):04o}")


class DescriptorsTest(TaskmuxTest):
    NOFILE = 64

    def fill_descriptor_table(self, sup, pid):
        """Idle control connections until taskmux has no descriptor left below its limit."""
        held = []
        while open_fds(pid, self.NOFILE) < self.NOFILE:
            before = open_fds(pid, self.NOFILE)
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(str(sup.socket))
            held.append(c)
            sup.wait_for(lambda: open_fds(pid, self.NOFILE) > before, 5, "taskmux to accept a connection")
            self.assertLess(len(held), self.NOFILE)
        return held

    # UBSan checks a C++ object's type by probing its memory through a pipe: with no descriptor
    # left, the probe fails and it reports a false "invalid vptr" and aborts.
    @unittest.skipIf(SANITIZED, "UBSan's vptr check needs a free descriptor")
    def test_a_full_descriptor_table_neither_spins_nor_loses_the_waiting_client(self):
        sup = self.start(f'[[task]]\nname = "a"\ncommand = {probe("sleep", 3600)}\ninstances = 3\n', nofile=self.NOFILE)
        sup.wait_state("a", "ready", count=3)
        pid = sup.taskmux_pid()
        held = self.fill_descriptor_table(sup, pid)
        self.addCleanup(lambda: [c.close() for c in held])
        waiting = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(waiting.close)
        waiting.connect(str(sup.socket))
        waiting.sendall(b'{"command": "status"}\n')
        # A notify datagram carrying a descriptor taskmux has no room for: MSG_CTRUNC, not a loop.
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as n, open("/dev/null") as f:
            n.sendmsg([b"STATUS=x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [f.fileno()]))],
                      0, str(sup.dir / "state" / "notify" / "a.sock"))
        # The accept now fails with EMFILE: taskmux must wait, not retry at once.
        start = cpu_seconds(pid)
        time.sleep(2)
        used = cpu_seconds(pid) - start
        self.assertLess(used, 0.2, f"taskmux used {used:.2f}s of CPU in 2s with a connection it cannot accept")
        sup.wait_stderr("unable to accept a control connection")
        self.assertEqual(sup.stderr().count("unable to accept a control connection"), 1, sup.stderr())
        # One descriptor freed: the waiting client is served.
        held.pop().close()
        waiting.settimeout(10)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = waiting.recv(65536)
            self.assertTrue(chunk, "taskmux closed the waiting connection without a reply")
            reply += chunk
        self.assertEqual(json.loads(reply)["result"]["supervisor"], "test")
        for c in held:
            c.close()
        held.clear()
        r = status(sup.socket)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
