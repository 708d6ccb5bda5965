# Adapter: s6 (s6-svscan + one s6-supervise per service directory). One service directory per
# instance; each ./run is `#!/bin/sh` + `exec CMD` (the usual run script). No output prefixing.
s6_service() {   # scandir name script-body
    mkdir -p "$1/$2"
    printf '#!/bin/sh\n%s\n' "$3" > "$1/$2/run"
    chmod +x "$1/$2/run"
}
prepare_s6() {
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
    CMD=(s6-svscan -c 4096 "$scan")
}
available_s6() { command -v s6-svscan >/dev/null; }
