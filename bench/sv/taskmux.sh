# Adapter: taskmux (`taskmux run -c CONFIG`), binary $TASKMUX (default /work/main/build/taskmux).
# Every instance is a direct child of taskmux; output lines are prefixed `task[i] | `.
taskmux_config() {   # dir name restart command-toml instances
    local dir=$1 name=$2 restart=$3 cmd=$4 n=$5
    mkdir -p "$dir/state"
    cat > "$dir/config.toml" <<TOML
[supervisor]
name = "bench"
state_dir = "$dir/state"

[[task]]
name = "$name"
command = $cmd
instances = $n
restart = "$restart"
backoff = { initial = "0s", max = "0s" }
start_limit = { burst = 0 }     # 0 = unlimited
TOML
}
prepare_taskmux() {
    local kind=$1 dir=$2; shift 2
    case $kind in
        sleep)   taskmux_config "$dir" sleep always '["sleep", "3600"]' "$1" ;;
        stamp)   taskmux_config "$dir" stamp always "[\"$BIN/stamp\", \"$1\"]" "$2" ;;
        tick)    taskmux_config "$dir" tick always "[\"$BIN/tick\", \"$1\"]" 1 ;;
        flood)   taskmux_config "$dir" flood never "[\"$BIN/flood\", \"$1\"]" 1 ;;
        orphans) taskmux_config "$dir" orphans never "[\"$BIN/orphans\", \"$1\", \"$2\", \"$ORPHAN_DEADLINE_MS\"]" 1 ;;
    esac
    CMD=("$TASKMUX" run -c "$dir/config.toml")
}
available_taskmux() { [ -x "$TASKMUX" ]; }
