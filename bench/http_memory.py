#!/usr/bin/env python3
"""RSS of taskmux with [http] on and 100 instances, then with 1,000 idle HTTP connections open,
and its CPU over an idle window with no client. Usage: bench/http_memory.py [-n 100] [-c 1000];
TASKMUX=binary."""
import argparse
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

TASKMUX = os.environ.get("TASKMUX", str(Path(__file__).resolve().parent.parent / "build" / "taskmux"))


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("-c", type=int, default=1000)
    ap.add_argument("--idle", type=float, default=10)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, a.c + 256)), hard))
    d = Path(tempfile.mkdtemp(prefix="http-bench-"))
    port = free_port()
    (d / "config.toml").write_text(
        f'[supervisor]\nname = "bench"\nstate_dir = "state"\n[http]\nlisten = "127.0.0.1:{port}"\n'
        f'[[task]]\nname = "sleep"\ncommand = ["sleep", "3600"]\ninstances = {a.n}\n')
    p = subprocess.Popen([TASKMUX, "run", "-c", str(d / "config.toml")], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    conns = []
    try:
        time.sleep(4)
        base = rss_kib(p.pid)
        t0 = cpu_ticks(p.pid)
        time.sleep(a.idle)
        idle_ticks = cpu_ticks(p.pid) - t0
        for _ in range(a.c):
            conns.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(2)
        with_conns = rss_kib(p.pid)
        assert p.poll() is None
        hz = os.sysconf("SC_CLK_TCK")
        print(f"[http] on, {a.n} instances: RSS {base / 1024:.2f} MiB; CPU over {a.idle:.0f} s idle: "
              f"{idle_ticks * 1000 / hz:.0f} ms; with {a.c} idle connections: RSS {with_conns / 1024:.2f} MiB "
              f"(+{(with_conns - base) / 1024:.2f} MiB)")
    finally:
        for c in conns:
            c.close()
        p.send_signal(signal.SIGTERM)
        p.wait(60)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
