#!/usr/bin/env bash
# Container test: build the Dockerfile with podman, run the demo with taskmux as PID 1, stop it
# like `docker stop` does, and check it shuts down fast and cleanly.
#   - the image builds (--pull=never: base images from base-image.sh, no registry needed)
#   - PID 1 in the container is taskmux; task output appears as `web[0] | ...` lines
#   - no zombie survives (a zombie seen once must be reaped a moment later)
#   - `podman stop -t 10` returns in < STOP_MAX_S (5 s), exit code 0, no process left behind
# Run as root, from any directory:  tests/container/podman_test.sh
# Env: IMAGE (localhost/taskmux:test), NAME (taskmux-test-<pid>), READY_TIMEOUT_S (90),
#      STOP_MAX_S (5), EXPECT_LOG (ERE a task output line must match; default: the demo's
#      web task, '^web\[0\] \| '), PODMAN_NETWORK (default: podman's),
#      KEEP_IMAGE=0 to remove the image afterwards, BUILD_ARGS (extra `podman build` args).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

IMAGE=${IMAGE:-localhost/taskmux:test}
NAME=${NAME:-taskmux-test-$$}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-90}
STOP_MAX_S=${STOP_MAX_S:-5}
EXPECT_LOG=${EXPECT_LOG:-'^web\[0\] \| '}

failures=0
summary=()
say() { printf 'podman_test: %s\n' "$*" >&2; }
pass() { summary+=("PASS  $*"); say "PASS $*"; }
fail() { summary+=("FAIL  $*"); say "FAIL $*"; failures=$((failures + 1)); }
info() { summary+=("      $*"); }
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

[[ $(id -u) -eq 0 ]] || { say "must run as root"; exit 1; }
[[ -f $repo/Dockerfile && -f $repo/config.toml ]] || { say "need $repo/Dockerfile and $repo/config.toml"; exit 1; }

tmp=$(mktemp -d /tmp/taskmux-podman-test.XXXXXX)
cleanup() {
  local rc=$?
  podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
  [[ ${KEEP_IMAGE:-1} == 1 ]] || podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

print_summary() {
  printf '\n== podman_test summary (%s) ==\n' "$IMAGE"
  printf '%s\n' "${summary[@]}"
  if ((failures)); then printf 'RESULT: %d check(s) failed\n' "$failures"; else echo 'RESULT: all checks passed'; fi
}
# abort: print what we have, the container's logs, and exit 1 (cleanup runs on EXIT)
abort() {
  fail "$*"
  if podman container exists "$NAME" 2>/dev/null; then
    echo '--- last container log lines ---' >&2; podman logs --tail 40 "$NAME" >&2 2>&1 || true
  fi
  print_summary; exit 1
}

# --- base images + private containers.conf (runc, ulimits) -----------------------------------
"$here/base-image.sh" >/dev/null
# shellcheck source=SCRIPTDIR/podman-env.sh
. "$here/podman-env.sh"

# --- build ------------------------------------------------------------------------------------
ignore_args=()
if [[ ! -f $repo/.dockerignore ]]; then
  # keep host build trees, VCS data and runtime state out of the build context
  printf '%s\n' .git 'build*' .taskmux '**/__pycache__' '**/*.pyc' tests/container >"$tmp/ignore"
  ignore_args=(--ignorefile "$tmp/ignore")
fi
say "building $IMAGE (first build installs the toolchain, a few minutes)"
t0=$(now)
# shellcheck disable=SC2086
if ! podman build --pull=never --format docker "${ignore_args[@]}" ${BUILD_ARGS:-} \
       -t "$IMAGE" -f "$repo/Dockerfile" "$repo" >"$tmp/build.log" 2>&1; then
  tail -n 40 "$tmp/build.log" >&2
  abort "image build (log tail above)"
fi
t1=$(now)
size=$(podman image inspect -f '{{.Size}}' "$IMAGE")
pass "image built in $(elapsed "$t0" "$t1") s, $((size / 1000000)) MB"
rt=$(grep -A20 -F 'taskmux-runtime-packages.txt' "$tmp/build.log" | grep -E '^lib[a-z0-9.+-]+$' | sort -u | tr '\n' ' ' || true)
[[ -z $rt ]] || info "binary's libraries come from (ldd + dpkg -S): $rt"

# --- run until the demo is up -----------------------------------------------------------------
net_args=()
[[ -n ${PODMAN_NETWORK:-} ]] && net_args=(--network "$PODMAN_NETWORK")
podman run -d --name "$NAME" "${net_args[@]}" "$IMAGE" >/dev/null || abort "podman run"

deadline=$((SECONDS + READY_TIMEOUT_S))
pid1='' task_line=''
while ((SECONDS < deadline)); do
  if [[ $(podman inspect -f '{{.State.Running}}' "$NAME") != true ]]; then
    abort "container exited early with code $(podman inspect -f '{{.State.ExitCode}}' "$NAME")"
  fi
  [[ -n $pid1 ]] || pid1=$(podman exec "$NAME" cat /proc/1/cmdline 2>/dev/null | tr '\0' ' ' || true)
  task_line=$(podman logs "$NAME" 2>&1 | grep -m1 -E -- "$EXPECT_LOG" || true)
  [[ -n $pid1 && -n $task_line ]] && break
  sleep 0.5
done
case $pid1 in
  /usr/local/bin/taskmux\ *) pass "PID 1 is taskmux: $pid1" ;;
  *) abort "PID 1 is not taskmux: '${pid1:-<unknown>}'" ;;
esac
[[ -n $task_line ]] || abort "no task output matching /$EXPECT_LOG/ within ${READY_TIMEOUT_S} s"
pass "task output: $task_line"
sleep 2   # let the demo run a little (restarts, looped runs) before looking for zombies

# processes of the container, from the host: everything in PID 1's pid namespace
hpid1=$(podman inspect -f '{{.State.Pid}}' "$NAME")
pidns=$(readlink "/proc/$hpid1/ns/pid")
ns_procs() { # prints "hostpid state comm" for every process in pid namespace $1
  local d
  for d in /proc/[0-9]*; do
    [[ $(readlink "$d/ns/pid" 2>/dev/null) == "$1" ]] || continue
    sed -E 's/^([0-9]+) \((.*)\) ([A-Za-z]) .*/\1 \3 \2/' "$d/stat" 2>/dev/null || true
  done
}
mapfile -t procs < <(ns_procs "$pidns")
info "processes in the container before stop: ${#procs[@]}"
zombies=$(printf '%s\n' "${procs[@]}" | awk '$2 == "Z" {print $1}')
if [[ -n $zombies ]]; then
  sleep 1
  left=$(for z in $zombies; do awk '{ if ($3 == "Z") print $1 }' "/proc/$z/stat" 2>/dev/null; done)
  if [[ -z $left ]]; then pass "zombies are reaped"; else fail "zombies not reaped after 1 s: $left"; fi
else
  pass "no zombies"
fi
if st=$(timeout 10 podman exec "$NAME" /usr/local/bin/taskmux status 2>&1); then
  info "taskmux status (in container):"; while IFS= read -r l; do info "  $l"; done <<<"$st"
else
  info "taskmux status (in container) failed, rc=$?: $(head -n1 <<<"$st")"
fi

# the image's HEALTHCHECK (taskmux status --check) says healthy once the demo is ready
hc=$(podman inspect -f '{{json .HealthCheck.Test}}' "$IMAGE" 2>/dev/null || true)
[[ $hc == *status*--check* ]] || fail "the image has no HEALTHCHECK running taskmux status --check: '$hc'"
healthy=''
for _ in $(seq 1 60); do
  if podman healthcheck run "$NAME" >/dev/null 2>&1; then healthy=1; break; fi
  sleep 0.5
done
if [[ -n $healthy ]]; then pass "HEALTHCHECK $hc: healthy"
else fail "HEALTHCHECK $hc never healthy within 30 s: $(podman exec "$NAME" /usr/local/bin/taskmux status --check 2>&1 | head -n1)"; fi

# the demo's reports reach the embedded queues inside the container
if q=$(timeout 10 podman exec "$NAME" /usr/local/bin/taskmux queue ls 2>&1) && grep -q '^_status_web ' <<<"$q"; then
  pass "reports in the embedded queues: $(awk 'NR > 1 {printf "%s=%s ", $1, $2}' <<<"$q")"
else
  fail "no _status_web queue in the container: $(tr '\n' ';' <<<"$q")"
fi

# --- stop like docker stop: SIGTERM, SIGKILL after 10 s ------------------------------------------
say "stopping (podman stop -t 10)"
TIMEFORMAT='podman stop took %R s'
t0=$(now)
time podman stop -t 10 "$NAME" >/dev/null || fail "podman stop returned non-zero"
t1=$(now)
stop_s=$(elapsed "$t0" "$t1")
if awk -v t="$stop_s" -v m="$STOP_MAX_S" 'BEGIN { exit !(t < m) }'; then
  pass "stop took $stop_s s (< $STOP_MAX_S s: SIGTERM handled, no SIGKILL timeout)"
else
  fail "stop took $stop_s s (>= $STOP_MAX_S s)"
fi
state=$(podman inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$NAME")
code=${state##* }
if [[ $code == 0 ]]; then pass "exit code 0 ($state)"; else fail "exit code $code, want 0 ($state)"; fi
left=$(ns_procs "$pidns")
if [[ -z $left ]]; then pass "no process left"; else fail "processes left after stop: $(tr '\n' ';' <<<"$left")"; fi

info "last log lines:"
while IFS= read -r l; do info "  $l"; done < <(podman logs --tail 8 "$NAME" 2>&1)
print_summary
((failures == 0))
