# Adapter: runit (runsvdir + one runsv per service directory), same service directories as s6.
# No output prefixing (no log/ subdirectory: output goes to runsvdir's stdout).
# Uses s6_service() from s6.sh (run.sh sources every sv/*.sh before running anything).
prepare_runit() {
    local kind=$1 dir=$2 i; shift 2
    local scan=$dir/scan
    mkdir -p "$scan"
    case $kind in
        sleep)   for ((i = 0; i < $1; i++)); do s6_service "$scan" "sleep-$i" "exec sleep 3600"; done ;;
        stamp)   for ((i = 0; i < $2; i++)); do s6_service "$scan" "stamp-$i" "exec $BIN/stamp $1"; done ;;
        tick)    s6_service "$scan" tick "exec $BIN/tick $1" ;;
        flood)   s6_service "$scan" flood "$BIN/flood $1; exec sleep 3600" ;;
        orphans) s6_service "$scan" orphans "exec $BIN/orphans $1 $2 $ORPHAN_DEADLINE_MS" ;;
    esac
    CMD=(runsvdir -P "$scan")
}
available_runit() { command -v runsvdir >/dev/null; }
