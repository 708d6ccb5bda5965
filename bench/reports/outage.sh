#!/bin/bash
# A RabbitMQ outage under a crash loop, end to end: a throwaway broker (tests/services/rabbitmq.sh),
# taskmux with TASKS crash-looping tasks reporting to it (backend "amqp"), the broker stopped for
# OUTAGE_SECS while the loop goes on, started again, and the outbox watched until it is empty.
# Then taskmux is stopped and a pika reader (Debian's /usr/bin/python3, an independent client)
# takes every report off the broker and checks that none was lost (seq 1..N without a gap
# after de-duplicating on run + seq).
# Prints: reports produced, duplicates, peak outbox, replay time and rate.
#
# usage: bench/reports/outage.sh
# env:   OUTAGE_SECS=60  broker down this long (from `stop` returning to `start` being called)
#        TASKS=10        crash-looping tasks (probe_task exit 1)
#        BACKOFF=50ms    their restart delay (initial = max)
#        WARMUP_SECS=5   broker up, loop running, before the outage
#        PORT=5693       AMQP port of the throwaway broker (1401..44999)
#        TASKMUX=build/taskmux  PROBE_TASK=build/tests/probe_task
#        WORK=/tmp/taskmux-outage-bench  (removed at the end unless KEEP=1)
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
OUTAGE_SECS=${OUTAGE_SECS:-60}
TASKS=${TASKS:-10}
BACKOFF=${BACKOFF:-50ms}
WARMUP_SECS=${WARMUP_SECS:-5}
PORT=${PORT:-5693}
TASKMUX=$(realpath "${TASKMUX:-$repo/build/taskmux}")
PROBE_TASK=$(realpath "${PROBE_TASK:-$repo/build/tests/probe_task}")
WORK=${WORK:-/tmp/taskmux-outage-bench}
PY=/usr/bin/python3  # Debian's, with python3-pika
broker="$repo/tests/services/rabbitmq.sh"
url="amqp://guest:guest@127.0.0.1:$PORT/%2f"
sup=outage

[ -x "$TASKMUX" ] || { echo "$0: no taskmux at $TASKMUX (cmake --build build)" >&2; exit 2; }
[ -x "$PROBE_TASK" ] || { echo "$0: no probe_task at $PROBE_TASK" >&2; exit 2; }
"$PY" -c 'import pika' 2> /dev/null || { echo "$0: $PY has no pika (apt-get install python3-pika)" >&2; exit 2; }

rm -rf "$WORK"
mkdir -p "$WORK"
tm_pid= sampler_pid=
cleanup() {
  set +e
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2> /dev/null && wait "$sampler_pid" 2> /dev/null
  if [ -n "$tm_pid" ] && kill -0 "$tm_pid" 2> /dev/null; then
    kill -TERM "$tm_pid"
    for _ in $(seq 100); do kill -0 "$tm_pid" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$tm_pid" 2> /dev/null
    wait "$tm_pid" 2> /dev/null
  fi
  "$broker" stop "$WORK/broker" "$PORT" > /dev/null
  [ "${KEEP:-0}" = 1 ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.2f", b - a }'; }
outbox() { "$TASKMUX" queue ls --json -c "$WORK/config.toml" | sed -n 's/.*"outbox":\([0-9]*\).*/\1/p'; }

"$broker" start "$WORK/broker" "$PORT"

{
  printf '[supervisor]\nname = "%s"\nstate_dir = "state"\nshutdown_timeout = "20s"\n\n' "$sup"
  printf '[reports]\nbackend = "amqp"\nurl = "%s"\n\n' "$url"
  for i in $(seq 0 $((TASKS - 1))); do
    printf '[[task]]\nname = "t%d"\ncommand = ["%s", "exit", "1"]\nrestart = "always"\n' "$i" "$PROBE_TASK"
    printf 'backoff = { initial = "%s", max = "%s" }\nstart_limit = { burst = 0 }\n\n' "$BACKOFF" "$BACKOFF"
  done
} > "$WORK/config.toml"

"$TASKMUX" run -c "$WORK/config.toml" > /dev/null 2> "$WORK/taskmux.err" &
tm_pid=$!

# The outbox, every 100 ms, for the whole run: "epoch-seconds count".
( while :; do n=$(outbox 2> /dev/null) && [ -n "$n" ] && echo "$EPOCHREALTIME $n"; sleep 0.1; done ) > "$WORK/samples" &
sampler_pid=$!

echo "warm-up: $TASKS tasks crash-looping (backoff $BACKOFF), broker up, ${WARMUP_SECS}s"
sleep "$WARMUP_SECS"
kill -0 "$tm_pid"

t_stop=$(now)
"$broker" stop "$WORK/broker" "$PORT"
t_down=$(now)
echo "broker stopped ($(since "$t_stop" "$t_down") s to stop); down for ${OUTAGE_SECS}s"
sleep "$OUTAGE_SECS"
kill -0 "$tm_pid" || { echo "taskmux died during the outage" >&2; exit 1; }
t_start=$(now)
"$broker" start "$WORK/broker" "$PORT"
t_up=$(now)
echo "broker back ($(since "$t_start" "$t_up") s to start; unreachable for about $(since "$t_stop" "$t_up") s)"

deadline=$((SECONDS + 900))
until [ "$(outbox)" = 0 ]; do
  [ $SECONDS -lt $deadline ] || { echo "the outbox did not empty within 900 s" >&2; exit 1; }
  sleep 0.05
done
t_empty=$(now)
kill "$sampler_pid"; wait "$sampler_pid" 2> /dev/null || true; sampler_pid=

kill -TERM "$tm_pid"
rc=0; wait "$tm_pid" || rc=$?
tm_pid=
left=$(outbox)
echo "taskmux stopped: exit $rc, outbox $left"

# Peak outbox, and when the publisher got back: the first sample after the broker was being
# started again that is lower than the one before it.
read -r peak t_reconnect at_reconnect < <(awk -v t0="$t_start" '
  { if ($2 > peak) peak = $2
    if ($1 > t0 && prev != "" && $2 < prev && !tr) { tr = $1; ar = prev }
    prev = $2 }
  END { print peak + 0, (tr ? tr : 0), ar + 0 }' "$WORK/samples")

echo "amqp lines of taskmux:"
grep 'amqp:' "$WORK/taskmux.err" | sed 's/^/  /'

"$PY" - "$url" "$sup" "$TASKS" "$t_up" "$t_reconnect" "$t_empty" "$peak" "$at_reconnect" <<'EOF'
import datetime, json, sys
import pika

url, sup, tasks = sys.argv[1], sys.argv[2], int(sys.argv[3])
t_up, t_reconnect, t_empty = (float(x) for x in sys.argv[4:7])
peak, at_reconnect = int(sys.argv[7]), int(sys.argv[8])
queues = [f"_status_{sup}"] + [f"_{k}_t{i}" for i in range(tasks) for k in ("status", "fault")]

conn = pika.BlockingConnection(pika.URLParameters(url))
ch = conn.channel()
received = []
for q in queues:
    for method, props, body in ch.consume(q, auto_ack=True, inactivity_timeout=1.0):
        if method is None:
            break
        received.append(body)
    ch.cancel()
conn.close()

seen = {}
dups = 0
for raw in received:
    m = json.loads(raw)
    key = (m["run"], m["seq"])
    if key in seen:
        dups += 1
    else:
        seen[key] = m
runs = {r for r, _ in seen}
assert len(runs) == 1, f"reports of {len(runs)} runs"
seqs = sorted(s for _, s in seen)
produced = seqs[-1]
lost = produced - len(seqs)

def epoch(m):
    return datetime.datetime.strptime(m["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()

# Reports delivered during the replay: what waited when the publisher got back, and what the
# loop added until the outbox was empty.
start = t_reconnect if t_reconnect > 0 else t_up
new = sum(1 for m in seen.values() if start < epoch(m) <= t_empty)
replay = t_empty - start
print(f"reports produced   {produced} ({len(received)} messages received from RabbitMQ)")
print(f"lost               {lost}" + ("" if lost == 0 else "   <-- seq has gaps!"))
print(f"duplicates         {dups}")
print(f"peak outbox        {peak}")
print(f"reconnect          {start - t_up:.2f} s after the broker was ready (publisher retry delay)")
print(f"replay time        {replay:.2f} s from reconnect to an empty outbox ({t_empty - t_up:.2f} s from broker ready)")
print(f"replay rate        {(at_reconnect + new) / replay:.0f} reports/s delivered "
      f"({at_reconnect} waiting + {new} new), net drain {at_reconnect / replay:.0f} reports/s")
sys.exit(1 if lost else 0)
EOF
