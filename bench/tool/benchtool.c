/* benchtool — launches one supervisor (or baseline program), measures it through /proc, stops it.
 *
 * Meant to run as PID 1 of a fresh PID namespace (`unshare --pid --fork --mount-proc benchtool …`)
 * so that /proc only shows the benchmark and everything dies with it when it exits. It reaps
 * whatever gets reparented to it. It also works outside a namespace (used for the orphans
 * scenario, where the supervisor itself must be PID 1 of the namespace).
 *
 * usage: benchtool [options] -- CMD [ARG...]
 *   -o FILE      stdout+stderr of CMD (default /dev/null); with -L only stderr
 *   -n N         wait until N processes named COMM (-m) descend from CMD; prints start_ms
 *   -m COMM      name (comm) of the workload processes (default "sleep")
 *   -x COMM      another workload name to leave out of the supervisor's processes (repeatable)
 *   -d SECS      deadline of any wait (default 60)
 *   -s SECS      settle time after the -n wait, before -M / -I (default 0)
 *   -M           memory: RSS/PSS (smaps_rollup) of CMD and of all its non-workload descendants
 *   -I SECS      idle: CPU time and context switches of the same processes over SECS
 *   -R FILE      restart rate: growth of FILE in bytes/s over -t SECS (after the first byte
 *                and a 0.5 s warm-up)
 *   -t SECS      window of -R (default 3)
 *   -L MIB       log throughput: CMD's stdout goes to a pipe read here; MiB/s of the flood
 *                payload delivered (of MIB MiB) from the first "FLOODLINE" to the "FLOOD-END"
 *                line, and the share of lines dropped on the way
 *   -P FILE      wait until FILE exists and print its content (orphans scenario)
 *   -F FILE      first runs: tasks (baseline/stamp.c) append to FILE the CLOCK_MONOTONIC time
 *                at which each started running; waits for -k of them and prints first_ms (the
 *                earliest) and all_ms (the latest of those k), both from the launch of CMD
 *   -k N         tasks -F waits for (default 1)
 *   -g SECS      grace after SIGTERM before SIGKILL of everything (default 3)
 *   -p MS        fixed poll interval of the -n wait (default: twice the time one scan took, so
 *                the scan loop uses about 1/3 of a CPU; at least 2 ms)
 * Prints one line of key=value pairs. Exit 0 when every requested measurement finished,
 * 1 when one timed out or CMD died early (the line then says why in err=).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

/* ---------- output ---------- */
static char out[8192];
static size_t outlen;
static void emit(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (outlen) out[outlen++] = ' ';
    int n = vsnprintf(out + outlen, sizeof out - outlen, fmt, ap);
    va_end(ap);
    if (n > 0) outlen += (size_t)n;
    if (outlen >= sizeof out) outlen = sizeof out - 1;
}

/* ---------- child tracking / reaping ---------- */
static pid_t root;
static int root_status = -1;
static double root_exit_t;

static void reap_some(void) {
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (p == root) { root_status = st; root_exit_t = now_s(); }
    }
}

/* ---------- /proc scan ---------- */
typedef struct { int pid, ppid; char state; char comm[32]; } proc_t;
static proc_t *procs;
static size_t nprocs, cap;
static int pid_max = 4194304;
static signed char *desc_memo;   /* per pid: 0 unknown, 1 yes, -1 no */
static int *idx_of;              /* per pid: index in procs + 1 */

static void scan(void) {
    nprocs = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    char path[300], buf[512];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t r = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (r <= 0) continue;
        buf[r] = 0;
        char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
        if (!lp || !rp || rp[1] != ' ') continue;
        if (nprocs == cap) {
            cap = cap ? cap * 2 : 4096;
            procs = realloc(procs, cap * sizeof *procs);
        }
        proc_t *p = &procs[nprocs++];
        p->pid = atoi(buf);
        size_t cl = (size_t)(rp - lp - 1);
        if (cl >= sizeof p->comm) cl = sizeof p->comm - 1;
        memcpy(p->comm, lp + 1, cl);
        p->comm[cl] = 0;
        p->state = rp[2];
        p->ppid = atoi(rp + 4);
    }
    if (d) closedir(d);
    for (size_t i = 0; i < nprocs; i++) {
        if (procs[i].pid < pid_max) { idx_of[procs[i].pid] = (int)i + 1; desc_memo[procs[i].pid] = 0; }
    }
}

static void scan_done(void) {
    for (size_t i = 0; i < nprocs; i++)
        if (procs[i].pid < pid_max) { idx_of[procs[i].pid] = 0; desc_memo[procs[i].pid] = 0; }
}

/* is pid root or a descendant of root (in the last scan)? */
static int is_desc(int pid) {
    int chain[4096], n = 0, res = -1;
    while (pid > 0 && pid < pid_max) {
        if (pid == root) { res = 1; break; }
        if (desc_memo[pid]) { res = desc_memo[pid]; break; }
        int ix = idx_of[pid];
        if (!ix) break;
        if (n < 4096) chain[n++] = pid;
        pid = procs[ix - 1].ppid;
    }
    for (int i = 0; i < n; i++) desc_memo[chain[i]] = (signed char)res;
    return res == 1;
}

#define MAXX 16
static const char *workload[MAXX];
static int nworkload;
static int is_workload(const char *comm) {
    for (int i = 0; i < nworkload; i++) if (!strcmp(comm, workload[i])) return 1;
    return 0;
}

/* count descendants named comm (not zombies) */
static int count_named(const char *comm) {
    int n = 0;
    for (size_t i = 0; i < nprocs; i++)
        if (procs[i].state != 'Z' && !strcmp(procs[i].comm, comm) && is_desc(procs[i].pid)) n++;
    return n;
}

/* Same count, cheaper, for when benchtool is PID 1 of the namespace (every other process is
 * CMD's or an orphan of it): a pid once seen running COMM is remembered (a `sleep 3600` does not
 * exec again and pids are not reused within seconds), so a scan only reads the stat files of
 * processes not yet counted. */
static double scan_cost;
static unsigned char *known;     /* per pid: 1 = seen as COMM; 2 = seen in this pass */
static int count_named_fast(const char *comm) {
    if (!known) known = calloc((size_t)pid_max, 1);
    int n = 0;
    size_t cl = strlen(comm);
    DIR *d = opendir("/proc");
    struct dirent *e;
    char path[300], buf[512];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        int pid = atoi(e->d_name);
        if (pid <= 1 || pid >= pid_max) continue;
        if (known[pid]) { n++; continue; }
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t r = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (r <= 0) continue;
        buf[r] = 0;
        char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
        if (!lp || !rp || rp[1] != ' ' || rp[2] == 'Z') continue;
        if ((size_t)(rp - lp - 1) == cl && !memcmp(lp + 1, comm, cl)) { known[pid] = 1; n++; }
    }
    if (d) closedir(d);
    return n;
}

/* supervisor processes: root + non-workload, non-zombie descendants; root first */
static int *sup_pids;
static int nsup;
static void collect_sup(void) {
    scan();
    free(sup_pids);
    sup_pids = calloc(nprocs + 1, sizeof *sup_pids);
    nsup = 0;
    sup_pids[nsup++] = root;
    for (size_t i = 0; i < nprocs; i++) {
        proc_t *p = &procs[i];
        if (p->pid == root || p->state == 'Z' || is_workload(p->comm)) continue;
        if (is_desc(p->pid)) sup_pids[nsup++] = p->pid;
    }
    scan_done();
}

static long read_kv_kb(const char *path, const char *key) {
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    char line[256];
    size_t kl = strlen(key);
    long v = -1;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, key, kl)) { v = atol(line + kl); break; }
    }
    fclose(f);
    return v;
}

static void measure_mem(void) {
    collect_sup();
    long rss_main = 0, pss_main = 0, rss_tot = 0, pss_tot = 0;
    char path[64];
    for (int i = 0; i < nsup; i++) {
        snprintf(path, sizeof path, "/proc/%d/smaps_rollup", sup_pids[i]);
        long r = read_kv_kb(path, "Rss:"), p = read_kv_kb(path, "Pss:");
        if (r < 0 || p < 0) continue;
        if (i == 0) { rss_main = r; pss_main = p; }
        rss_tot += r;
        pss_tot += p;
    }
    emit("rss_main_kib=%ld pss_main_kib=%ld rss_total_kib=%ld pss_total_kib=%ld sup_procs=%d",
         rss_main, pss_main, rss_tot, pss_tot, nsup);
}

static long long cpu_ticks(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r <= 0) return 0;
    buf[r] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    p += 2;                      /* field 3 (state) */
    for (int f = 3; f < 14 && p; f++) { p = strchr(p, ' '); if (p) p++; }
    if (!p) return 0;
    long long ut = 0, st = 0;
    sscanf(p, "%lld %lld", &ut, &st);
    return ut + st;
}

static long long ctx_switches(int pid) {
    char path[300];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *e;
    long long sum = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char sp[600];
        snprintf(sp, sizeof sp, "/proc/%d/task/%s/status", pid, e->d_name);
        long v = read_kv_kb(sp, "voluntary_ctxt_switches:");
        long nv = read_kv_kb(sp, "nonvoluntary_ctxt_switches:");
        if (v > 0) sum += v;
        if (nv > 0) sum += nv;
    }
    closedir(d);
    return sum;
}

static void measure_idle(double secs) {
    collect_sup();
    long long *c0 = calloc((size_t)nsup, sizeof *c0), *x0 = calloc((size_t)nsup, sizeof *x0);
    for (int i = 0; i < nsup; i++) { c0[i] = cpu_ticks(sup_pids[i]); x0[i] = ctx_switches(sup_pids[i]); }
    double t0 = now_s();
    while (now_s() - t0 < secs) { reap_some(); sleep_s(0.2); }
    double el = now_s() - t0;
    long long cm = 0, ct = 0, xm = 0, xt = 0;
    for (int i = 0; i < nsup; i++) {
        long long c = cpu_ticks(sup_pids[i]) - c0[i], x = ctx_switches(sup_pids[i]) - x0[i];
        if (c < 0) c = 0;
        if (x < 0) x = 0;
        if (i == 0) { cm = c; xm = x; }
        ct += c;
        xt += x;
    }
    double tick_ms = 1000.0 / (double)sysconf(_SC_CLK_TCK);
    emit("idle_s=%.1f cpu_main_ms=%.0f cpu_total_ms=%.0f csw_main=%lld csw_total=%lld",
         el, cm * tick_ms, ct * tick_ms, xm, xt);
    free(c0);
    free(x0);
}

/* ---------- stop everything ---------- */
static void kill_tree(void) {
    for (int round = 0; round < 20; round++) {
        scan();
        int n = 0;
        for (size_t i = 0; i < nprocs; i++) {
            if (procs[i].pid == getpid() || procs[i].state == 'Z') continue;
            if (getpid() == 1 || is_desc(procs[i].pid)) { kill(procs[i].pid, SIGKILL); n++; }
        }
        scan_done();
        reap_some();
        if (!n) return;
        sleep_s(0.05);
        reap_some();
    }
}

static void stop_all(double grace) {
    if (root_status < 0) {
        kill(root, SIGTERM);
        double t0 = now_s();
        while (root_status < 0 && now_s() - t0 < grace) { reap_some(); sleep_s(0.005); }
        if (root_status >= 0) emit("stop_ms=%.0f", (root_exit_t - t0) * 1000);
        else emit("stop_ms=NA");
    }
    kill_tree();
}

/* ---------- first runs ---------- */
/* The tasks time themselves (one 21-byte line each, see baseline/stamp.c), so the result does
 * not depend on how often this loop looks: it only waits for the file to be long enough. */
static int measure_first(const char *file, int k, double t_launch, double deadline) {
    enum { LINE = 21 };
    struct stat st;
    while (!(stat(file, &st) == 0 && st.st_size >= (off_t)k * LINE)) {
        reap_some();
        if (root_status >= 0) { emit("first_ms=NA err=exited_early"); return 1; }
        if (now_s() - t_launch > deadline) { emit("first_ms=NA err=first_timeout"); return 1; }
        sleep_s(0.005);
    }
    FILE *f = fopen(file, "re");
    long long first = 0, last = 0, ns;
    int n = 0;
    while (f && n < k && fscanf(f, "%lld", &ns) == 1) {
        if (!n || ns < first) first = ns;
        if (!n || ns > last) last = ns;
        n++;
    }
    if (f) fclose(f);
    if (n < k) { emit("first_ms=NA err=first_unreadable"); return 1; }
    emit("first_ms=%.2f all_ms=%.2f", first / 1e6 - t_launch * 1000, last / 1e6 - t_launch * 1000);
    return 0;
}

/* ---------- log reader ---------- */
/* Reads as fast as it can (1 MiB reads), so the reader is never the bottleneck: it only looks
 * for the first "FLOODLINE" and for "FLOOD-END" in the last 4 KiB of each read (the marker is
 * the writer's last line, so it is near the end of the read that completes it).
 * Lines a supervisor drops are not counted: the payload actually delivered is worked out from
 * the bytes between the start of the first payload line and the end of the marker line, with
 * the prefix length P seen on the first line (every line is P + 100 bytes, the marker P + 10).
 * This assumes the supervisor writes nothing else to the same stdout in between. */
static int measure_log(int fd, long mib, double deadline) {
    static char buf[(1 << 20) + 64];
    enum { CARRY = 16, LOOK = 4096 };
    char *data = buf + CARRY;     /* buf[0..CARRY) holds the previous read's last bytes */
    memset(buf, 0, CARRY);
    long long bytes = 0, first_at = -1, end_at = -1, prefix = 0;
    double t_first = -1, t_end = -1, t0 = now_s();
    struct pollfd pf = {fd, POLLIN, 0};
    while (t_end < 0) {
        if (now_s() - t0 > deadline) break;
        reap_some();
        int pr = poll(&pf, 1, 100);
        if (pr <= 0) continue;
        ssize_t r = read(fd, data, 1 << 20);
        if (r < 0) { if (errno == EINTR) continue; break; }
        if (r == 0) break;
        double t = now_s();
        if (t_first < 0) {
            char *f = memmem(data, (size_t)r, "FLOODLINE", 9);
            if (f) {
                char *ls = f;
                while (ls > data && ls[-1] != '\n') ls--;
                t_first = t;
                prefix = f - ls;
                first_at = bytes + (ls - data);
            }
        }
        size_t from = (size_t)r > LOOK ? (size_t)r - LOOK : 0;
        char *look = data + from - (from ? 0 : CARRY);
        size_t looklen = (size_t)(data + r - look);
        char *m = memmem(look, looklen, "FLOOD-END\n", 10);
        if (m) { t_end = t; end_at = bytes + (m + 10 - data); }
        memmove(buf, data + r - CARRY, CARRY);  /* keeps the last CARRY bytes seen */
        bytes += r;
    }
    long long lines = mib * 1024LL * 1024LL / 100;
    if (t_first < 0 || t_end < 0) {
        emit("log_mibps=NA log_bytes=%lld err=log_timeout", bytes);
        return 1;
    }
    double dt = t_end - t_first;
    long long got = (end_at - first_at - (10 + prefix)) / (100 + prefix);
    if (got > lines) got = lines;
    emit("log_mibps=%.1f log_s=%.3f log_dropped_pct=%.2f log_lines=%lld/%lld log_prefix=%lld log_bytes=%lld",
         got * 100 / 1048576.0 / dt, dt, 100.0 * (double)(lines - got) / (double)lines, got, lines, prefix, bytes);
    return 0;
}

int main(int argc, char **argv) {
    const char *outfile = "/dev/null", *rate_file = NULL, *wait_file = NULL, *first_file = NULL;
    int want_n = 0, do_mem = 0, first_k = 1;
    long log_mib = 0;
    double poll_ms = 0;
    double deadline = 60, settle = 0, idle = 0, window = 3, grace = 3;
    const char *comm = "sleep";
    int opt;
    while ((opt = getopt(argc, argv, "+o:n:m:x:d:s:MI:R:t:L:P:F:k:g:p:")) != -1) {
        switch (opt) {
        case 'o': outfile = optarg; break;
        case 'n': want_n = atoi(optarg); break;
        case 'm': comm = optarg; break;
        case 'x': if (nworkload < MAXX - 1) workload[nworkload++] = optarg; break;
        case 'd': deadline = atof(optarg); break;
        case 's': settle = atof(optarg); break;
        case 'M': do_mem = 1; break;
        case 'I': idle = atof(optarg); break;
        case 'R': rate_file = optarg; break;
        case 't': window = atof(optarg); break;
        case 'L': log_mib = atol(optarg); break;
        case 'P': wait_file = optarg; break;
        case 'F': first_file = optarg; break;
        case 'k': first_k = atoi(optarg); break;
        case 'g': grace = atof(optarg); break;
        case 'p': poll_ms = atof(optarg); break;
        default: fprintf(stderr, "see the comment at the top of benchtool.c\n"); return 2;
        }
    }
    if (optind >= argc) { fprintf(stderr, "usage: benchtool [options] -- CMD [ARG...]\n"); return 2; }
    workload[nworkload++] = comm;

    FILE *pm = fopen("/proc/sys/kernel/pid_max", "re");
    if (pm) { if (fscanf(pm, "%d", &pid_max) != 1) pid_max = 4194304; fclose(pm); }
    pid_max += 1;
    desc_memo = calloc((size_t)pid_max, 1);
    idx_of = calloc((size_t)pid_max, sizeof *idx_of);
    if (getpid() != 1) prctl(PR_SET_CHILD_SUBREAPER, 1);

    int logpipe[2] = {-1, -1};
    if (log_mib && pipe2(logpipe, O_CLOEXEC)) { perror("pipe"); return 1; }
    int ofd = open(outfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (ofd < 0) { perror(outfile); return 1; }

    double t_launch = now_s();
    root = fork();
    if (root < 0) { perror("fork"); return 1; }
    if (root == 0) {
        int nul = open("/dev/null", O_RDONLY);
        dup2(nul, 0);
        dup2(log_mib ? logpipe[1] : ofd, 1);
        dup2(ofd, 2);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(argv[optind], argv + optind);
        perror(argv[optind]);
        _exit(127);
    }
    if (log_mib) close(logpipe[1]);
    int rc = 0;

    if (want_n) {
        int n = 0;
        for (;;) {
            reap_some();
            double ts = now_s();
            if (getpid() == 1) {
                n = count_named_fast(comm);   /* everything in this namespace is CMD's */
            } else {
                scan();
                n = count_named(comm);
                scan_done();
            }
            scan_cost = now_s() - ts;
            if (n >= want_n) { emit("start_ms=%.1f", (now_s() - t_launch) * 1000); break; }
            if (root_status >= 0) { emit("start_ms=NA err=exited_early count=%d", n); rc = 1; break; }
            if (now_s() - t_launch > deadline) { emit("start_ms=NA err=start_timeout count=%d", n); rc = 1; break; }
            /* keep this loop's share of a CPU near 1/3: sleep twice the scan time, >= 2 ms */
            if (poll_ms > 0) sleep_s(poll_ms / 1000.0);
            else sleep_s(scan_cost * 2 > 0.002 ? scan_cost * 2 : 0.002);
        }
        if (!rc) {
            double t0 = now_s();
            while (now_s() - t0 < settle) { reap_some(); sleep_s(0.05); }
            if (do_mem) measure_mem();
            if (idle > 0) measure_idle(idle);
        }
    }
    if (first_file && !rc) rc = measure_first(first_file, first_k, t_launch, deadline);
    if (rate_file && !rc) {
        struct stat st;
        double t0 = now_s();
        while (!(stat(rate_file, &st) == 0 && st.st_size > 0)) {
            reap_some();
            if (now_s() - t0 > deadline || root_status >= 0) { emit("rate=NA err=no_tick"); rc = 1; break; }
            sleep_s(0.005);
        }
        if (!rc) {
            emit("first_tick_ms=%.0f", (now_s() - t_launch) * 1000);
            double w = now_s();
            while (now_s() - w < 0.5) { reap_some(); sleep_s(0.01); }
            stat(rate_file, &st);
            long long s0 = st.st_size;
            double a = now_s();
            while (now_s() - a < window) { reap_some(); sleep_s(0.01); }
            stat(rate_file, &st);
            double b = now_s();
            emit("rate=%.1f ticks=%lld", (double)(st.st_size - s0) / (b - a), (long long)(st.st_size - s0));
        }
    }
    if (log_mib && !rc) rc = measure_log(logpipe[0], log_mib, deadline);
    if (wait_file && !rc) {
        double t0 = now_s();
        struct stat st;
        while (stat(wait_file, &st) != 0) {
            reap_some();
            if (now_s() - t0 > deadline || root_status >= 0) { emit("err=no_result_file"); rc = 1; break; }
            sleep_s(0.01);
        }
        if (!rc) {
            FILE *f = fopen(wait_file, "re");
            char line[512] = "";
            if (f) { if (!fgets(line, sizeof line, f)) line[0] = 0; fclose(f); }
            line[strcspn(line, "\n")] = 0;
            emit("%s", line);
        }
    }
    if (log_mib) close(logpipe[0]);
    stop_all(grace);
    out[outlen] = 0;
    printf("%s\n", out);
    fflush(stdout);
    return rc;
}
