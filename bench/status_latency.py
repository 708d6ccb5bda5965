#!/usr/bin/env python3
"""`status --json` latency with 500 instances while one task floods its output and another
crash-loops at full speed: p50/p99 of requests on the control socket (the work of
`taskmux status --json` without the client's process start and JSON parse). Usage: bench/status_latency.py
[-n 500] [-k 1000]; TASKMUX=binary; FLOOD=a program writing to stdout as fast as it can."""
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


def ask(sock, req):
    """The reply's bytes: what the supervisor's latency covers (the client's parse is not its work)."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sock))
    s.sendall(json.dumps(req).encode() + b"\n")
    data = b""
    while chunk := s.recv(1 << 20):
        data += chunk
    s.close()
    return data


def call(sock, req):
    return json.loads(ask(sock, req).split(b"\n")[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("-k", type=int, default=1000)
    a = ap.parse_args()
    d = Path(tempfile.mkdtemp(prefix="status-bench-"))
    flood = os.environ.get("FLOOD", "yes " + "x" * 98)  # 100-byte lines, as fast as the pipe takes them
    (d / "config.toml").write_text(
        '[supervisor]\nname = "bench"\nstate_dir = "state"\n'
        f'[[task]]\nname = "sleep"\ncommand = ["sleep", "3600"]\ninstances = {a.n}\n'
        f'[[task]]\nname = "flood"\ncommand = "{flood}"\nrestart = "always"\n'
        '[[task]]\nname = "crash"\ncommand = ["false"]\nrestart = "always"\n'
        'backoff = { initial = "0s", max = "0s" }\nstart_limit = { burst = 0 }\n')
    out = open(d / "out.log", "wb")
    # Its output goes to a reader that keeps up (a file), so the flood runs at full speed.
    p = subprocess.Popen([TASKMUX, "run", "-c", str(d / "config.toml")], stdout=out, stderr=subprocess.DEVNULL)
    sock = d / "state" / "control.sock"
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                rows = call(sock, {"command": "status"})["result"]["tasks"]
                if sum(r["state"] in ("running", "ready") for r in rows if r["task"] == "sleep") == a.n:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.1)
        size0, t0 = os.path.getsize(d / "out.log"), time.monotonic()
        lat = []
        for _ in range(a.k):
            s = time.perf_counter()
            data = ask(sock, {"command": "status"})
            lat.append((time.perf_counter() - s) * 1000)
            doc = json.loads(data.split(b"\n")[0])
            assert doc["ok"] and len(doc["result"]["tasks"]) == a.n + 2
        secs = time.monotonic() - t0
        rate = (os.path.getsize(d / "out.log") - size0) / secs / (1 << 20)
        restarts = [r["restarts"] for r in doc["result"]["tasks"] if r["task"] == "crash"][0]
        lat.sort()
        print(f"status of {a.n + 2} instances, {a.k} requests: p50 {statistics.median(lat):.2f} ms, "
              f"p99 {lat[int(len(lat) * 0.99) - 1]:.2f} ms, max {lat[-1]:.2f} ms; meanwhile the flood task wrote "
              f"{rate:.0f} MiB/s through taskmux and the crash task had restarted {restarts} times")
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(60)
        out.close()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
