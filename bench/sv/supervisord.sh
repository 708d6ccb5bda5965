# Adapter: supervisord (Debian package "supervisor"), foreground (-n), one [program] with numprocs.
# Child output is discarded (stdout_logfile=NONE) except in the log scenario, where it goes to
# supervisord's own stdout (/dev/stdout, maxbytes=0, redirect_stderr). Its own log goes to a file.
supervisord_config() {   # dir name autorestart command numprocs extra-lines
    local dir=$1 name=$2 autorestart=$3 cmd=$4 n=$5 extra=$6
    mkdir -p "$dir"
    cat > "$dir/supervisord.conf" <<CONF
[supervisord]
nodaemon=true
silent=true
user=root
logfile=$dir/supervisord.log
pidfile=$dir/supervisord.pid
childlogdir=$dir
minfds=8192

[program:$name]
command=$cmd
numprocs=$n
process_name=%(program_name)s_%(process_num)d
autostart=true
autorestart=$autorestart
$extra
CONF
}
prepare_supervisord() {
    local kind=$1 dir=$2; shift 2
    local discard=$'stdout_logfile=NONE\nstderr_logfile=NONE'
    case $kind in
        sleep)   supervisord_config "$dir" sleep true "sleep 3600" "$1" "$discard" ;;
        stamp)   supervisord_config "$dir" stamp true "$BIN/stamp $1" "$2" "$discard" ;;
        tick)    supervisord_config "$dir" tick true "$BIN/tick $1" 1 $'startsecs=0\nstartretries=1000000\n'"$discard" ;;
        flood)   supervisord_config "$dir" flood false "$BIN/flood $1" 1 \
                     $'startsecs=0\nredirect_stderr=true\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0' ;;
        orphans) supervisord_config "$dir" orphans false "$BIN/orphans $1 $2 $ORPHAN_DEADLINE_MS" 1 \
                     $'startsecs=0\n'"$discard" ;;
    esac
    CMD=(supervisord -n -c "$dir/supervisord.conf")
}
available_supervisord() { command -v supervisord >/dev/null; }
