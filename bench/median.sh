#!/usr/bin/env bash
# median.sh RAW.tsv  ->  scenario<TAB>sup<TAB>key<TAB>median<TAB>runs_ok<TAB>runs
# RAW lines: scenario<TAB>sup<TAB>run<TAB>key=value key=value ...
# A value "NA" (timed out) counts as +infinity, printed as "inf". Runs that failed otherwise
# (err=… without "timeout") are left out: runs_ok < runs says so; no run left -> value "failed".
exec awk -F'\t' '
function med(s,    v, n, i, j, t) {
    n = split(s, v, " ")
    for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    if (n % 2) return v[(n + 1) / 2]
    if (v[n / 2] >= 1e300 || v[n / 2 + 1] >= 1e300) return 1e301
    return (v[n / 2] + v[n / 2 + 1]) / 2
}
{
    sk = $1 SUBSEP $2
    if (!(sk in seen)) { seen[sk] = 1; order[++no] = sk }
    runs[sk]++
    # a run that failed for another reason than a timeout (err=exited_early, err=no_result_file…)
    # is left out; a timeout counts, as +infinity
    if (match($4, /err=[a-z_]+/) && substr($4, RSTART, RLENGTH) !~ /timeout/) { failed[sk]++; next }
    m = split($4, kv, " ")
    for (i = 1; i <= m; i++) {
        p = index(kv[i], "="); if (!p) continue
        k = substr(kv[i], 1, p - 1); v = substr(kv[i], p + 1)
        if (k == "err" || k == "busy_pct" || k == "stop_ms") continue
        if (v == "NA") v = 1e301
        else if (v !~ /^-?[0-9.]+$/) continue
        else ok[sk SUBSEP k]++
        key = sk SUBSEP k
        if (!(key in vals)) { keys[sk] = keys[sk] " " k }
        vals[key] = vals[key] " " v
    }
}
END {
    for (o = 1; o <= no; o++) {
        sk = order[o]; split(sk, a, SUBSEP)
        if (keys[sk] == "") { printf "%s\t%s\t*\tfailed\t0\t%d\n", a[1], a[2], runs[sk]; continue }
        nk = split(keys[sk], kl, " ")
        for (i = 1; i <= nk; i++) {
            key = sk SUBSEP kl[i]; md = med(vals[key])
            printf "%s\t%s\t%s\t%s\t%d\t%d\n", a[1], a[2], kl[i], (md >= 1e300 ? "inf" : md), runs[sk] - failed[sk], runs[sk]
        }
    }
}' "$1"
