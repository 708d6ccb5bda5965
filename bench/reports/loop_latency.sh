#!/usr/bin/env bash
# Does a flood of reports slow the event loop down? taskmux runs a crash loop (/bin/true,
# restart = "always", zero backoff) for SECS seconds, once alone and once beside a task that
# sends STATUS= datagrams as fast as it can (each one a `progress` report, committed to the
# embedded store with one fsync per batch). Prints reports/s and restarts/s; the time per
# restart (1 / rate) is the loop's latency for a restart under that load.
#   usage: bench/reports/loop_latency.sh [SECS=10]       (TASKMUX=path/to/taskmux)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
taskmux=$(realpath "${TASKMUX:-$here/../../build/taskmux}")
secs=${1:-10}
work=$(mktemp -d /tmp/taskmux-loop-latency.XXXXXX)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3

run() { # name with_flood
  local dir=$work/$1
  mkdir -p "$dir"
  {
    printf '[supervisor]\nname = "bench"\nstate_dir = "state"\nreport_interval = "1h"\n\n'
    printf '[[task]]\nname = "crash"\ncommand = ["/bin/true"]\nrestart = "always"\n'
    printf 'backoff = { initial = "0s", max = "0s" }\nstart_limit = { burst = 0 }\n'
    if [[ $2 == yes ]]; then
      printf '\n[[task]]\nname = "flood"\ncommand = ["%s", "-c", "%s"]\n' "$py" \
        "import os, socket\\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\\np = os.environ['NOTIFY_SOCKET']\\nwhile True: s.sendto(b'STATUS=busy', p)"
    fi
  } > "$dir/config.toml"
  "$taskmux" run -c "$dir/config.toml" >/dev/null 2>"$dir/stderr" &
  local pid=$!
  sleep 1  # start-up
  local r0 s0 r1 s1
  r0=$("$taskmux" status --json -c "$dir/config.toml" crash | $py -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["restarts"])')
  s0=$($py - "$dir/state/queues.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
row = db.execute("SELECT body FROM message ORDER BY id DESC LIMIT 1").fetchone()
print(json.loads(row[0])["seq"] if row else 0)
PY
)
  sleep "$secs"
  r1=$("$taskmux" status --json -c "$dir/config.toml" crash | $py -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["restarts"])')
  s1=$($py - "$dir/state/queues.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
row = db.execute("SELECT body FROM message ORDER BY id DESC LIMIT 1").fetchone()
print(json.loads(row[0])["seq"] if row else 0)
PY
)
  kill -TERM "$pid"; wait "$pid" || true
  awk -v n="$1" -v r=$((r1 - r0)) -v s=$((s1 - s0)) -v t="$secs" 'BEGIN {
    printf "%-22s %8.0f reports/s committed  %6.0f restarts/s  %.2f ms per restart\n", n, s / t, r / t, (r ? 1000 * t / r : 0) }'
}

run "crash loop alone" no
run "crash loop + flood" yes
