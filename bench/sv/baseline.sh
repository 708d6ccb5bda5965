# Adapter: bare C baseline (bench/baseline/*.c). See sv/README in bench/README.md.
# prepare KIND WORKDIR ARGS...  ->  sets CMD (argv of the process benchtool launches)
prepare_baseline() {
    local kind=$1 dir=$2; shift 2
    case $kind in
        sleep)   CMD=("$BIN/spawn_loop" "$1" sleep 3600) ;;
        stamp)   CMD=("$BIN/spawn_loop" "$2" "$BIN/stamp" "$1") ;;
        tick)    CMD=("$BIN/spawn_wait_loop" "$BIN/tick" "$1") ;;
        flood)   CMD=("$BIN/flood" "$1") ;;
        orphans) CMD=("$BIN/reaper" "$BIN/orphans" "$1" "$2" "$ORPHAN_DEADLINE_MS") ;;
    esac
}
available_baseline() { [ -x "$BIN/spawn_loop" ]; }
