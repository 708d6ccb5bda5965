#!/usr/bin/env python3
# Demo looped batch job: each run counts lines, words and bytes of the files in
# SOURCE_PATH (or of a generated sample) and writes a JSON report into DEST_PATH.
import json
import os
import random
import signal
import socket
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

TASK = os.environ.get("TASK_NAME", "batch")
WORDS = "alpha beta gamma delta queue worker cycle report file line".split()


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
        pass  # best effort: the exit code is what counts


def next_run_number():
    # Kept outside DEST_PATH, whose contents taskmux uploads after each successful run.
    state = Path(tempfile.gettempdir()) / f"taskmux-{TASK}.runs"
    try:
        run = int(state.read_text()) + 1
    except (OSError, ValueError):
        run = 1
    state.write_text(str(run))
    return run


def load_inputs():
    """Return (name, bytes) pairs from SOURCE_PATH, or a generated sample."""
    source = os.environ.get("SOURCE_PATH")
    if source and Path(source).is_dir():
        root = Path(source)
        return [(str(p.relative_to(root)), p.read_bytes())
                for p in sorted(root.rglob("*")) if p.is_file()]
    if source:
        print(f"SOURCE_PATH {source} is not a directory, using a generated sample", flush=True)
    return [(f"sample-{i}.txt",
             "\n".join(" ".join(random.choices(WORDS, k=random.randint(3, 9)))
                       for _ in range(random.randint(5, 40))).encode() + b"\n")
            for i in range(1, 4)]


def summarize(name, data):
    text = data.decode("utf-8", errors="replace")
    return {"name": name, "lines": len(text.splitlines()),
            "words": len(text.split()), "bytes": len(data)}


def write_report(dest, report):
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    final = out / f"report-{stamp}-run{report['run']}.json"
    tmp = out / f".{final.name}.tmp"
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(final)  # never leave a half-written report to be uploaded
    return final


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    started = time.monotonic()
    run = next_run_number()
    period = os.environ.get("FREQUENCY_SEC")
    print(f"run {run} started, period {period + 's' if period else 'unset'}", flush=True)
    try:
        files = [summarize(name, data) for name, data in load_inputs()]
        time.sleep(random.uniform(0.5, 1.5))  # stands in for real, slower work
        fail_every = int(os.environ.get("BATCH_FAIL_EVERY", "0") or 0)
        if fail_every > 0 and run % fail_every == 0:
            print(f"simulated failure: run {run} fails on purpose (BATCH_FAIL_EVERY={fail_every})",
                  file=sys.stderr, flush=True)
            return 1
        totals = {k: sum(f[k] for f in files) for k in ("lines", "words", "bytes")}
        report = {"task": TASK, "run": run,
                  "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "files": files, "totals": totals}
        summary = f"summarized {len(files)} files, {totals['lines']} lines, {totals['words']} words"
        print(summary, flush=True)
        dest = os.environ.get("DEST_PATH")
        if dest:
            print(f"wrote {write_report(dest, report)}", flush=True)
        else:
            print(json.dumps(totals), flush=True)
        notify(f"SUCCESS={summary}")
    except Stop as stop:
        print(f"{stop} received, run {run} abandoned", flush=True)
        return 0
    print(f"done in {time.monotonic() - started:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
