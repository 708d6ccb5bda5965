#!/bin/bash
# A throwaway RabbitMQ node for the amqp tests: loopback only, its own epmd, every file under
# STATE_DIR, nothing shared with a system node; works as root in a container without systemd.
# usage: rabbitmq.sh start|stop|status STATE_DIR [AMQP_PORT]   (port 5673 by default)
#        rabbitmq.sh ctl STATE_DIR AMQP_PORT RABBITMQCTL_ARGS...  (e.g. close_all_connections x)
# start waits until the node accepts connections; stop waits until nothing of it is left.
set -eu

usage() { echo "usage: $0 start|stop|status STATE_DIR [AMQP_PORT] | ctl STATE_DIR AMQP_PORT ARGS..." >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$(realpath -m "$2")
port=${3:-5673}
shift $(($# < 3 ? $# : 3))
# The other two ports derive from the AMQP port, so nodes on different ports never meet.
case "$port" in *[!0-9]*|'') usage;; esac
[ "$port" -gt 1400 ] && [ "$port" -lt 45000 ] || { echo "$0: AMQP_PORT must be in 1401..44999" >&2; exit 2; }
epmd_port=$((port - 1303))  # 5673 → 4370, beside a system epmd on 4369
dist_port=$((port + 20000))

sbin=/usr/lib/rabbitmq/bin  # not /usr/sbin: that wrapper su's to user rabbitmq and uses /var/lib
ctl=$sbin/rabbitmqctl
[ -x "$ctl" ] || { echo "$0: rabbitmq-server is not installed" >&2; exit 2; }

# The server and every CLI call must see the same environment (the Erlang cookie is in HOME).
export HOME="$dir"
export RABBITMQ_NODENAME="taskmux$port@localhost"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$dist_port"
export ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$epmd_port"
# Without this the distribution port listens on 0.0.0.0.
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/rabbit.pid"
export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
export ERL_CRASH_DUMP="$dir/erl_crash.dump"

# Pids of this node's Erlang VM: the one booting rabbit with our node name and state dir in
# its environment (a stale pid file may name a stranger; rabbitmqctl runs share the env).
node_pids() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2> /dev/null)" = beam.smp ] || continue
    tr '\0' ' ' < "$p/cmdline" 2> /dev/null | grep -q -- '-s rabbit boot' || continue
    [ "$(tr '\0' '\n' < "$p/environ" 2> /dev/null | grep -cx -e "RABBITMQ_NODENAME=$RABBITMQ_NODENAME" \
      -e "RABBITMQ_MNESIA_BASE=$RABBITMQ_MNESIA_BASE")" = 2 ] && echo "${p#/proc/}"
  done
  return 0
}

is_running() { [ -n "$(node_pids)" ]; }

wait_gone() {  # wait_gone SECONDS
  local i=0
  while is_running && [ $i -lt $(($1 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
  ! is_running
}

start() {
  if is_running; then echo "rabbitmq already running on 127.0.0.1:$port"; return 0; fi
  mkdir -p "$dir/log"
  : > "$RABBITMQ_CONF_ENV_FILE"
  echo '[].' > "$RABBITMQ_ENABLED_PLUGINS_FILE"  # no management plugin: no HTTP listener
  printf '%s\n' "listeners.tcp.default = 127.0.0.1:$port" 'loopback_users = none' 'log.console = false' \
    'log.file.level = warning' > "$RABBITMQ_CONFIG_FILE"
  "$sbin/rabbitmq-server" -detached > "$dir/log/start.out" 2>&1
  # await_startup fails at once while the node is not registered with epmd yet: retry it.
  local deadline=$((SECONDS + 60))
  until "$ctl" -q await_startup --timeout 30 > /dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ] || { [ $SECONDS -gt $((deadline - 55)) ] && ! is_running; }; then
      echo "rabbitmq did not start on 127.0.0.1:$port; last log lines:" >&2
      tail -n 20 "$dir/log/$RABBITMQ_NODENAME.log" "$dir/log/start.out" >&2 2>/dev/null || true
      stop > /dev/null 2>&1 || true
      return 1
    fi
    sleep 0.5
  done
  echo "rabbitmq ready on 127.0.0.1:$port (pid $(node_pids | head -n 1), state in $dir)"
}

stop() {
  local pids
  pids=$(node_pids)
  if [ -n "$pids" ]; then
    # rabbitmqctl stop PIDFILE returns once the OS process is gone.
    timeout 60 "$ctl" -q stop "$RABBITMQ_PID_FILE" > /dev/null 2>&1 || true
    if ! wait_gone 5; then
      kill -TERM $pids 2> /dev/null || true
      wait_gone 10 || { kill -KILL $(node_pids) 2> /dev/null || true; wait_gone 5 || true; }
    fi
  fi
  rm -f "$RABBITMQ_PID_FILE"
  # The node started its own epmd (on our port), which outlives it.
  epmd -kill > /dev/null 2>&1 || true
  if is_running; then echo "rabbitmq on 127.0.0.1:$port is still running" >&2; return 1; fi
}

status() {
  if ! is_running; then echo "rabbitmq on 127.0.0.1:$port is not running"; return 3; fi
  echo "rabbitmq running on 127.0.0.1:$port (pid $(node_pids | head -n 1))"
  "$ctl" -q list_queues name messages messages_unacknowledged durable
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  ctl) exec "$ctl" -q "$@" ;;
  *) usage ;;
esac
