#!/usr/bin/env python3
# Demo background worker that processes fake jobs and crashes on purpose after a few
# seconds, to show taskmux's restarts, backoff and fault reports.
import os
import random
import signal
import socket
import sys
import time

REASONS = [
    "lost connection to the database",
    "job payload failed to parse",
    "out of retries talking to upstream",
    "cache corrupted",
]


class Stop(Exception):
    pass


def on_signal(signum, _frame):
    raise Stop(signal.Signals(signum).name)


def notify(message):
    """Send an sd_notify message to taskmux, if it gave us a socket."""
    path = os.environ.get("NOTIFY_SOCKET", "")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(message.encode(), path)
    except OSError:
        pass  # best effort: a lost notification must not stop the work


def crash(jobs):
    reason = random.choice(REASONS)
    print(f"simulated crash: {reason} (after {jobs} jobs)", file=sys.stderr, flush=True)
    mode = random.random()
    if mode < 0.1:
        os.abort()  # dies by SIGABRT
    if mode < 0.3:
        raise RuntimeError(reason)  # uncaught: traceback on stderr, exit 1
    sys.exit(1)


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    random.seed(os.getpid())  # each restart behaves differently
    low = float(os.environ.get("CRASH_AFTER_MIN", "3"))
    high = float(os.environ.get("CRASH_AFTER_MAX", "12"))
    lifetime = random.uniform(min(low, high), max(low, high))
    crash_at = time.monotonic() + lifetime
    jobs = 0
    print(f"worker started, will crash in {lifetime:.1f}s", flush=True)
    notify("READY=1")
    try:
        while True:
            job_time = random.uniform(0.5, 1.0)
            left = crash_at - time.monotonic()
            if left <= job_time:
                time.sleep(max(left, 0))
                crash(jobs)
            time.sleep(job_time)
            jobs += 1
            print(f"processed job {jobs}", flush=True)
            notify("WATCHDOG=1")
            if jobs % 5 == 0:
                notify(f"STATUS=processed {jobs} jobs")
    except Stop as stop:
        print(f"{stop} received, stopping after {jobs} jobs", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
