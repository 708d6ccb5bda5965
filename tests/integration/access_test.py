"""Who may reach taskmux, and what a full descriptor table does to it: the control socket's
accept under EMFILE (SPEC "Command line")."""
import array
import json
import os
import socket
import subprocess
import time
import unittest

from harness import TASKMUX, TaskmuxTest, probe


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
