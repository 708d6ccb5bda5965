#!/usr/bin/env bash
# Benchmark taskmux against supervisord, s6, runit and a bare C baseline. See bench/README.md.
#
# usage: bench/run.sh [-r RUNS] [-s "SUP SUP..."] [--doc] [SCENARIO...]
#   SCENARIO: start first restart mem100 mem500 idle log orphans   (default: all, in that order)
#   -r RUNS   repetitions per scenario and supervisor, median reported (default 5, env RUNS)
#   -s SUPS   supervisors (default "baseline taskmux supervisord s6 runit", env SUPS)
#   --doc     also (re)write docs/PERFORMANCE.md from the results
# env: TASKMUX (default <repo>/build/taskmux), IDLE_SECS (20), LOG_MIB (256), RESTART_SECS (3),
#      ORPHANS (2000), ORPHAN_DEADLINE_MS (5000), FIRST_N (100), WARMUP (1 discarded run first),
#      BENCH_TMP (/tmp/taskmux-bench: helpers, results), BENCH_WORK (/dev/shm/taskmux-bench:
#      configs, service dirs, state dirs — on tmpfs, like /run in a container),
#      QUIET_WAIT (300: seconds to wait, before each run, for other load to drop below 25% of
#      one CPU; the run's busy_pct is recorded either way)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
: "${TASKMUX:=$REPO/build/taskmux}"
: "${RUNS:=5}"
: "${SUPS:=baseline taskmux supervisord s6 runit}"
: "${IDLE_SECS:=20}"
: "${LOG_MIB:=256}"
: "${RESTART_SECS:=3}"
: "${ORPHANS:=2000}"
: "${ORPHAN_DEADLINE_MS:=5000}"
: "${FIRST_N:=100}"
: "${BENCH_TMP:=/tmp/taskmux-bench}"
: "${BENCH_WORK:=/dev/shm/taskmux-bench}"
: "${WARMUP:=1}"
: "${QUIET_WAIT:=300}"
BIN=$BENCH_TMP/bin
ALL_SCENARIOS="start first restart mem100 mem500 idle log orphans"
WRITE_DOC=0
ORIG_ARGS="$*"
SCENARIOS=()
while [ $# -gt 0 ]; do
    case $1 in
        -r) RUNS=$2; shift 2 ;;
        -s) SUPS=$2; shift 2 ;;
        --doc) WRITE_DOC=1; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) SCENARIOS+=("$1"); shift ;;
    esac
done
[ ${#SCENARIOS[@]} -gt 0 ] || read -r -a SCENARIOS <<< "$ALL_SCENARIOS"
for s in "${SCENARIOS[@]}"; do
    case " $ALL_SCENARIOS " in *" $s "*) ;; *) echo "unknown scenario: $s" >&2; exit 2 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "run as root (unshare --pid --mount-proc needs it)" >&2; exit 2; }
export TASKMUX BIN ORPHAN_DEADLINE_MS

for f in "$HERE"/sv/*.sh; do . "$f"; done

# ---- build the C helpers (outside the repo) ----
mkdir -p "$BIN"
CC=${CC:-cc}
build() { # src out
    if [ ! -x "$2" ] || [ "$1" -nt "$2" ]; then $CC -O2 -Wall -o "$2" "$1"; fi
}
build "$HERE/tool/benchtool.c" "$BIN/benchtool"
for src in "$HERE"/baseline/*.c; do build "$src" "$BIN/$(basename "$src" .c)"; done

# taskmux is benchmarked from a copy, so a rebuild during the run cannot pull the binary away
if [ -x "$TASKMUX" ]; then
    cp -f "$TASKMUX" "$BIN/taskmux.new" && mv -f "$BIN/taskmux.new" "$BIN/taskmux"
    TASKMUX_SRC=$TASKMUX
    TASKMUX=$BIN/taskmux
fi

RESULTS=$BENCH_TMP/results
mkdir -p "$RESULTS"
RAW=$RESULTS/raw.tsv            # scenario sup run key=value...
: > "$RAW"

# ---- wait until the machine is quiet (other load < 25% of one core), at most 60 s ----
cpu_busy_pct() {   # busy % of all CPUs over 0.5 s
    local a b
    read -r -a a < /proc/stat; sleep 0.5; read -r -a b < /proc/stat
    local ta=0 tb=0 i
    for i in 1 2 3 4 5 6 7 8; do ta=$((ta + a[i])); tb=$((tb + b[i])); done
    local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) tot=$((tb - ta))
    [ $tot -gt 0 ] || { echo 0; return; }
    echo $(( 100 * (tot - idle) / tot ))
}
NPROC=$(nproc)
wait_quiet() {
    local i busy
    for ((i = 0; i < QUIET_WAIT * 2; i++)); do
        busy=$(cpu_busy_pct)
        if [ $((busy * NPROC)) -lt 25 ]; then BUSY=$busy; return 0; fi
    done
    BUSY=$busy
    echo "  warning: machine busy (${busy}% of all CPUs) — measuring anyway" >&2
}

leftovers() {  # processes a run may have left: anything naming BENCH_TMP/BENCH_WORK (our taskmux
               # copy, configs, helpers) or any s6/runit/supervisord process
    ps -eo pid=,comm=,args= | awk -v t="$BENCH_TMP" -v w="$BENCH_WORK" -v me=$$ '
        $1 == me || $2 == "ps" || $2 == "awk" { next }
        index($0, t) || index($0, w) || $2 ~ /^(s6-svscan|s6-supervise|runsvdir|runsv|supervisord)$/'
}

# ---- one measurement: run_one SCENARIO SUP RUN ----
run_one() {
    local sc=$1 sup=$2 run=$3
    local dir=$BENCH_WORK/$sc-$sup-$run
    rm -rf "$dir"; mkdir -p "$dir"
    local ns=(unshare --pid --fork --mount-proc "$BIN/benchtool" -o "$dir/output.log")
    local line
    case $sc in
        start)   prepare_"$sup" sleep "$dir" 500
                 line=$("${ns[@]}" -n 500 -d 60 -- "${CMD[@]}") ;;
        first)   prepare_"$sup" stamp "$dir" "$dir/stamps" "$FIRST_N"
                 line=$("${ns[@]}" -F "$dir/stamps" -k "$FIRST_N" -d 60 -- "${CMD[@]}") ;;
        mem100)  prepare_"$sup" sleep "$dir" 100
                 line=$("${ns[@]}" -n 100 -d 60 -s 2 -M -- "${CMD[@]}") ;;
        mem500)  prepare_"$sup" sleep "$dir" 500
                 line=$("${ns[@]}" -n 500 -d 60 -s 2 -M -- "${CMD[@]}") ;;
        idle)    prepare_"$sup" sleep "$dir" 500
                 line=$("${ns[@]}" -n 500 -d 60 -s 3 -I "$IDLE_SECS" -- "${CMD[@]}") ;;
        restart) prepare_"$sup" tick "$dir" "$dir/ticks"
                 line=$("${ns[@]}" -R "$dir/ticks" -t "$RESTART_SECS" -d 20 -- "${CMD[@]}") ;;
        log)     prepare_"$sup" flood "$dir" "$LOG_MIB"
                 line=$("${ns[@]}" -x flood -L "$LOG_MIB" -d 60 -- "${CMD[@]}") ;;
        orphans) prepare_"$sup" orphans "$dir" "$dir/result" "$ORPHANS"
                 # the supervisor itself is PID 1 of the namespace; benchtool stays outside
                 line=$("$BIN/benchtool" -o "$dir/output.log" -P "$dir/result" -d 30 -g 1 -- \
                        unshare --pid --fork --mount-proc "${CMD[@]}") ;;
    esac || true
    [ "$run" = 0 ] || printf '%s\t%s\t%s\t%s busy_pct=%s\n' "$sc" "$sup" "$run" "$line" "$BUSY" >> "$RAW"
    printf '  %-8s %-11s run %s%s: %s\n' "$sc" "$sup" "$run" "$([ "$run" = 0 ] && echo ' (warm-up)')" "$line"
    case $line in *err=*) echo "  (kept $dir for inspection)" ;; *) rm -rf "$dir" ;; esac
    local left; left=$(leftovers)
    if [ -n "$left" ]; then echo "  WARNING: processes left after the run:" >&2; echo "$left" >&2; fi
}

read -r -a SUP_LIST <<< "$SUPS"
ACTIVE=()
for sup in "${SUP_LIST[@]}"; do
    if available_"$sup"; then ACTIVE+=("$sup"); else echo "$sup: not installed/built — pending" >&2; fi
done

echo "taskmux bench: runs=$RUNS scenarios=${SCENARIOS[*]} supervisors=${ACTIVE[*]}"
for sc in "${SCENARIOS[@]}"; do
    echo "== $sc"
    for ((run = 1 - WARMUP; run <= RUNS; run++)); do   # run 0 = warm-up, not counted
        for sup in "${ACTIVE[@]}"; do   # interleaved, so slow drifts hit everyone alike
            wait_quiet
            run_one "$sc" "$sup" "$run"
        done
    done
done

rmdir "$BENCH_WORK" 2>/dev/null || true

# ---- medians, merged with earlier runs of other scenarios/supervisors ----
MED=$RESULTS/medians.tsv
NEW=$RESULTS/medians.new
"$HERE/median.sh" "$RAW" > "$NEW"
touch "$MED"
awk -F'\t' 'NR == FNR { done[$1 SUBSEP $2] = 1; print; next } !(($1 SUBSEP $2) in done)' "$NEW" "$MED" \
    > "$MED.tmp" && mv "$MED.tmp" "$MED" && rm -f "$NEW"
cat "$RAW" >> "$RESULTS/raw-all.tsv"
pkgver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "not installed"; }
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "nproc=$(nproc)"
    echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel=$(uname -sr)"
    echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "supervisor=$(pkgver supervisor)"
    echo "s6=$(pkgver s6)"
    echo "runit=$(pkgver runit)"
    echo "taskmux=$([ -x "$TASKMUX" ] && "$TASKMUX" version 2>/dev/null || echo pending)"
    echo "commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git --no-optional-locks -C "$REPO" status --porcelain 2>/dev/null | grep -q . && echo ' (with uncommitted changes)')"
    echo "runs=$RUNS"
    echo "idle_secs=$IDLE_SECS"
    echo "params=RUNS=$RUNS WARMUP=$WARMUP IDLE_SECS=$IDLE_SECS LOG_MIB=$LOG_MIB RESTART_SECS=$RESTART_SECS ORPHANS=$ORPHANS ORPHAN_DEADLINE_MS=$ORPHAN_DEADLINE_MS FIRST_N=$FIRST_N"
    echo "busy_runs=$(awk -F'\t' '{ if (match($4, /busy_pct=[0-9]+/) && substr($4, RSTART + 9, RLENGTH - 9) * '"$NPROC"' >= 25) n++ } END { print n + 0 }' "$RAW")"
    echo "last_command=bench/run.sh${ORIG_ARGS:+ $ORIG_ARGS}"
} > "$RESULTS/meta"
# one line per invocation: the medians table may merge several (see write-doc.sh)
printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "bench/run.sh${ORIG_ARGS:+ $ORIG_ARGS}" \
    "${SCENARIOS[*]}" "${ACTIVE[*]}" \
    "$([ -x "$TASKMUX" ] && sha256sum "$TASKMUX" | cut -c1-12 || echo -)" \
    "$(awk -F= '/^busy_runs=/ { print $2 }' "$RESULTS/meta")" >> "$RESULTS/invocations.tsv"
echo
"$HERE/report.sh" "$MED" "$SUPS"
echo "raw: $RAW (all: $RESULTS/raw-all.tsv)   medians: $MED"
if [ $WRITE_DOC = 1 ]; then
    "$HERE/write-doc.sh" "$RESULTS" > "$REPO/docs/PERFORMANCE.md.tmp"
    mv "$REPO/docs/PERFORMANCE.md.tmp" "$REPO/docs/PERFORMANCE.md"
    echo "wrote $REPO/docs/PERFORMANCE.md"
fi
