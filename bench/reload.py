#!/usr/bin/env python3
"""Reload of a 500-task config with one task changed: taskmux (`reload`, time on its loop and
at the client) beside supervisord (`supervisorctl update`), each checking that the 499 other
tasks keep their processes. Usage: bench/reload.py [-n TASKS] [-r ROUNDS]; TASKMUX=binary."""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

TASKMUX = os.environ.get("TASKMUX", str(Path(__file__).resolve().parent.parent / "build" / "taskmux"))


def wait(pred, timeout=120, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


class Taskmux:
    name = "taskmux"

    def __init__(self, d, n):
        self.d, self.n = d, n
        self.conf = d / "config.toml"
        self.sock = d / "state" / "control.sock"
        self.write(changed=0)
        self.proc = subprocess.Popen([TASKMUX, "run", "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def write(self, changed):
        body = '[supervisor]\nname = "bench"\nstate_dir = "state"\n'
        for i in range(self.n):
            secs = 3600 + (changed if i == 0 else 0)
            body += f'[[task]]\nname = "t{i}"\ncommand = ["sleep", "{secs}"]\n'
        self.conf.write_text(body)

    def call(self, req):
        s = socket.socket(socket.AF_UNIX)
        s.connect(str(self.sock))
        s.sendall(json.dumps(req).encode() + b"\n")
        data = b""
        while chunk := s.recv(1 << 20):
            data += chunk
        s.close()
        return json.loads(data.split(b"\n")[0])

    def pids(self):
        try:
            rows = self.call({"command": "status"})["result"]["tasks"]
        except (OSError, ValueError, KeyError):
            return None
        if any(r["state"] not in ("running", "ready") for r in rows):
            return None
        return {r["task"]: r["pid"] for r in rows}

    def reload(self, changed):
        self.write(changed)
        t0 = time.monotonic()
        r = self.call({"command": "reload"})
        wall = (time.monotonic() - t0) * 1000
        assert r["ok"] and r["result"]["restarted"] == ["t0"], r
        return wall, r["result"]["took_ms"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


class Supervisord:
    name = "supervisord"

    def __init__(self, d, n):
        self.d, self.n = d, n
        self.conf = d / "supervisord.conf"
        self.write(changed=0)
        self.proc = subprocess.Popen(["supervisord", "-n", "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def write(self, changed):
        body = (f"[supervisord]\nnodaemon=true\nsilent=true\nuser=root\nlogfile={self.d}/sd.log\n"
                f"pidfile={self.d}/sd.pid\nminfds=8192\n[unix_http_server]\nfile={self.d}/sd.sock\n"
                "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
                "supervisor.rpcinterface:make_main_rpcinterface\n"
                f"[supervisorctl]\nserverurl=unix://{self.d}/sd.sock\n")
        for i in range(self.n):
            secs = 3600 + (changed if i == 0 else 0)
            body += (f"[program:t{i}]\ncommand=sleep {secs}\nautostart=true\nstdout_logfile=NONE\n"
                     "stderr_logfile=NONE\n")
        self.conf.write_text(body)

    def ctl(self, *args):
        return subprocess.run(["supervisorctl", "-c", str(self.conf), *args], capture_output=True, text=True,
                              timeout=120)

    def pids(self):
        r = self.ctl("status")
        out = {}
        for line in r.stdout.splitlines():
            parts = line.split()
            if len(parts) < 4 or parts[1] != "RUNNING":
                return None
            out[parts[0]] = int(parts[3].rstrip(","))
        return out if len(out) == self.n else None

    def reload(self, changed):
        self.write(changed)
        t0 = time.monotonic()
        r = self.ctl("update")
        wall = (time.monotonic() - t0) * 1000
        assert "t0" in r.stdout, r.stdout + r.stderr
        return wall, None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(120)


def one(kind, n, rounds):
    d = Path(tempfile.mkdtemp(prefix="reload-bench-"))
    sup = kind(d, n)
    walls, loops = [], []
    try:
        for k in range(1, rounds + 1):
            before = wait(sup.pids, what=f"{sup.name}: all running")
            wall, loop = sup.reload(changed=k)
            walls.append(wall)
            if loop is not None:
                loops.append(loop)
            after = wait(lambda: (p := sup.pids()) and p["t0"] != before["t0"] and p, what="t0 restarted")
            same = sum(after[t] == before[t] for t in before if t != "t0")
            assert same == n - 1, f"{sup.name}: only {same} of {n - 1} kept their pid"
    finally:
        sup.stop()
        shutil.rmtree(d, ignore_errors=True)
    return walls, loops


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("-r", type=int, default=5)
    a = ap.parse_args()
    results = {}
    for kind in (Taskmux, Supervisord):
        if kind is Supervisord and not shutil.which("supervisord"):
            print("supervisord: not installed, skipped")
            continue
        walls, loops = one(kind, a.n, a.r)
        results[kind.name] = statistics.median(walls)
        extra = f", on the loop {statistics.median(loops):.1f} ms" if loops else ""
        print(f"{kind.name}: reload of {a.n} tasks, one changed: {statistics.median(walls):.1f} ms at the client"
              f"{extra} (median of {a.r}); {a.n - 1} pids unchanged every time")
    if len(results) == 2:
        print(f"taskmux/supervisord: {results['taskmux'] / results['supervisord']:.3f}")


if __name__ == "__main__":
    main()
