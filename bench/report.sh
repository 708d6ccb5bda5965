#!/usr/bin/env bash
# report.sh [--md] MEDIANS.tsv "SUP SUP..."  ->  table of the medians (text, or markdown rows)
# Columns: one per supervisor, then taskmux/baseline, taskmux/s6, taskmux/supervisord.
# A supervisor without rows for a scenario shows "pending".
MD=0
[ "${1:-}" = --md ] && { MD=1; shift; }
MED=$1
SUPS=${2:-baseline taskmux supervisord s6 runit}
exec awk -F'\t' -v md=$MD -v sups="$SUPS" '
BEGIN {
    # scenario|key|label|scale|decimals|better
    n = 0
    m[++n] = "start|start_ms|start: 500 x sleep running (ms)|1|0|lower"
    m[++n] = "first|first_ms|first: ms until the first of 100 tasks runs|1|1|lower"
    m[++n] = "first|all_ms|first: ms until all 100 tasks run|1|1|lower"
    m[++n] = "restart|rate|restart: starts of an instantly-exiting task per s|1|1|higher"
    m[++n] = "mem100|pss_main_kib|mem, 100 tasks: PSS main process (MiB)|0.0009765625|2|lower"
    m[++n] = "mem100|pss_total_kib|mem, 100 tasks: PSS all supervisor processes (MiB)|0.0009765625|2|lower"
    m[++n] = "mem100|rss_main_kib|mem, 100 tasks: RSS main process (MiB)|0.0009765625|2|lower"
    m[++n] = "mem100|rss_total_kib|mem, 100 tasks: RSS all supervisor processes (MiB)|0.0009765625|2|lower"
    m[++n] = "mem500|pss_main_kib|mem, 500 tasks: PSS main process (MiB)|0.0009765625|2|lower"
    m[++n] = "mem500|pss_total_kib|mem, 500 tasks: PSS all supervisor processes (MiB)|0.0009765625|2|lower"
    m[++n] = "mem500|rss_main_kib|mem, 500 tasks: RSS main process (MiB)|0.0009765625|2|lower"
    m[++n] = "mem500|rss_total_kib|mem, 500 tasks: RSS all supervisor processes (MiB)|0.0009765625|2|lower"
    m[++n] = "idle|cpu_main_ms|idle, 500 tasks: CPU ms of main process over the idle window|1|0|lower"
    m[++n] = "idle|cpu_total_ms|idle, 500 tasks: CPU ms of all supervisor processes, same window|1|0|lower"
    m[++n] = "idle|csw_main|idle, 500 tasks: context switches, main process|1|0|lower"
    m[++n] = "idle|csw_total|idle, 500 tasks: context switches, all supervisor processes|1|0|lower"
    m[++n] = "log|log_mibps|log: MiB/s of 100-byte lines delivered through the supervisor|1|1|higher"
    m[++n] = "log|log_dropped_pct|log: % of lines dropped on the way|1|2|lower"
    m[++n] = "orphans|orphans_ms|orphans as PID 1: ms until 2000 orphans are reaped|1|0|lower"
    m[++n] = "orphans|left_2s|orphans as PID 1: orphans/zombies left after 2 s|1|0|lower"
    ns = split(sups, S, " ")
}
{
    ran[$1 SUBSEP $2] = 1
    if ($4 == "failed") { allfail[$1 SUBSEP $2] = $6; next }
    v[$1 SUBSEP $2 SUBSEP $3] = $4
    if ($5 < $6) part[$1 SUBSEP $2] = " (" $5 "/" $6 " runs ok)"
}
function fmt(x, dec, sc) {
    if (x == "") return "pending"
    if (x == "inf") return "timeout"
    return sprintf("%." dec "f", x * sc)
}
function ratio(a, b, sc) {
    if (a == "failed") return "failed"
    if (a == "" || b == "") return "pending"
    if (a == "inf" && b == "inf") return "both timeout"
    if (a == "inf") return "timeout"
    if (b == "inf") return "(other timed out)"
    if (b + 0 == 0) return (a + 0 == 0 ? "1 (both 0)" : "n/a (0)")
    r = a / b
    return (r >= 10 ? sprintf("%.0f", r) : (r >= 1 ? sprintf("%.2f", r) : sprintf("%.3f", r)))
}
END {
    hdr[1] = "metric"; for (i = 1; i <= ns; i++) hdr[i + 1] = S[i]
    hdr[ns + 2] = "taskmux/baseline"; hdr[ns + 3] = "taskmux/s6"; hdr[ns + 4] = "taskmux/supervisord"
    nc = ns + 4
    rows = 0
    for (j = 1; j <= n; j++) {
        split(m[j], f, "|")
        if (!((f[1] SUBSEP "baseline") in ran || (f[1] SUBSEP "taskmux") in ran || (f[1] SUBSEP "s6") in ran || (f[1] SUBSEP "supervisord") in ran || (f[1] SUBSEP "runit") in ran)) continue
        rows++
        cell[rows, 1] = f[3] " [" f[6] " is better]"
        for (i = 1; i <= ns; i++) {
            k = f[1] SUBSEP S[i] SUBSEP f[2]
            val[i] = (k in v) ? v[k] : ""
            cell[rows, i + 1] = fmt(val[i], f[5], f[4])
            if (f[2] == "orphans_ms" && val[i] == "inf") cell[rows, i + 1] = ">" ENVIRON["ORPHAN_DEADLINE_MS"]
            if (f[2] == "orphans_ms" && val[i] == "inf" && ENVIRON["ORPHAN_DEADLINE_MS"] == "") cell[rows, i + 1] = ">5000"
            if (val[i] == "" && (f[1] SUBSEP S[i]) in ran) cell[rows, i + 1] = "failed"
            if (val[i] != "" && (f[1] SUBSEP S[i]) in part) cell[rows, i + 1] = cell[rows, i + 1] part[f[1] SUBSEP S[i]]
            idx[S[i]] = i
        }
        t = ("taskmux" in idx) ? val[idx["taskmux"]] : ""
        if (t == "" && (f[1] SUBSEP "taskmux") in ran) t = "failed"
        cell[rows, ns + 2] = ("baseline" in idx) ? ratio(t, val[idx["baseline"]]) : "-"
        cell[rows, ns + 3] = ("s6" in idx) ? ratio(t, val[idx["s6"]]) : "-"
        cell[rows, ns + 4] = ("supervisord" in idx) ? ratio(t, val[idx["supervisord"]]) : "-"
    }
    if (md) {
        line = "|"; sep = "|"
        for (c = 1; c <= nc; c++) { line = line " " hdr[c] " |"; sep = sep (c == 1 ? "---|" : "---:|") }
        print line; print sep
        for (r = 1; r <= rows; r++) {
            line = "|"; for (c = 1; c <= nc; c++) line = line " " cell[r, c] " |"; print line
        }
    } else {
        for (c = 1; c <= nc; c++) w[c] = length(hdr[c])
        for (r = 1; r <= rows; r++) for (c = 1; c <= nc; c++) if (length(cell[r, c]) > w[c]) w[c] = length(cell[r, c])
        line = ""; for (c = 1; c <= nc; c++) line = line sprintf(c == 1 ? "%-" w[c] "s" : "  %" w[c] "s", hdr[c]); print line
        for (r = 1; r <= rows; r++) {
            line = ""; for (c = 1; c <= nc; c++) line = line sprintf(c == 1 ? "%-" w[c] "s" : "  %" w[c] "s", cell[r, c]); print line
        }
    }
}' "$MED"
