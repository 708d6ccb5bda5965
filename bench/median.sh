#!/usr/bin/env bash
# median.sh RAW.tsv  ->  scenario<TAB>sup<TAB>key<TAB>median<TAB>runs_ok<TAB>runs
# RAW lines: scenario<TAB>sup<TAB>run<TAB>key=value key=value ...
# A value "NA" (timed out / failed) counts as +infinity, printed as "inf".
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
        nk = split(keys[sk], kl, " ")
        for (i = 1; i <= nk; i++) {
            key = sk SUBSEP kl[i]; md = med(vals[key])
            printf "%s\t%s\t%s\t%s\t%d\t%d\n", a[1], a[2], kl[i], (md >= 1e300 ? "inf" : md), ok[key] + 0, runs[sk]
        }
    }
}' "$1"
