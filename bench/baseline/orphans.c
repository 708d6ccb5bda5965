/* The task of the "orphans" scenario. Run under a supervisor that is PID 1 of a PID namespace
 * (unshare --pid --fork --mount-proc).
 * 1. Fork N (default 2000) children; each forks a grandchild and exits at once, so the
 *    grandchild is reparented to PID 1 (the supervisor). All grandchildren are named
 *    "orphan" (comm) and block reading a shared pipe.
 * 2. When all N orphans exist, close the pipe's write end: they all wake up and exit together
 *    (t0). Their parent, PID 1, must reap them.
 * 3. Scan /proc until no process named "orphan" is left (alive or zombie), or DEADLINE_MS.
 *    The time is taken when a scan ends, so the resolution is one scan (~10 ms for 2000).
 * 4. Write one line "orphans_ms=… left_2s=… left_end=… zombies_end=…" to RESULT, then sleep
 *    until killed (so the supervisor has nothing to restart).
 * usage: orphans RESULT [N] [DEADLINE_MS]       */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* counts processes named "orphan"; *zombies gets how many of them are in state Z */
static int count_orphans(int *zombies) {
    int n = 0, z = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    char path[300], buf[256];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0) continue;
        ssize_t r = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (r <= 0) continue;
        buf[r] = 0;
        char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
        if (!lp || !rp || rp[1] != ' ') continue;
        if (rp - lp - 1 == 6 && !memcmp(lp + 1, "orphan", 6)) {
            n++;
            if (rp[2] == 'Z') z++;
        }
    }
    if (d) closedir(d);
    if (zombies) *zombies = z;
    return n;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: orphans RESULT [N] [DEADLINE_MS]\n"); return 2; }
    const char *result = argv[1];
    int n = argc > 2 ? atoi(argv[2]) : 2000;
    double deadline = argc > 3 ? atof(argv[3]) : 5000;
    int p[2];
    if (pipe(p)) { perror("pipe"); return 1; }
    for (int i = 0; i < n; i++) {
        pid_t c = fork();
        if (c < 0) { perror("fork"); return 1; }
        if (c == 0) {
            prctl(PR_SET_NAME, "orphan");
            pid_t g = fork();
            if (g == 0) {
                char b;
                close(p[1]);
                while (read(p[0], &b, 1) < 0) {}
                _exit(0);
            }
            _exit(g < 0);
        }
        waitpid(c, NULL, 0);
    }
    close(p[0]);
    /* wait until every orphan exists (they all do once their parents have exited) */
    double t = now_ms();
    while (count_orphans(NULL) < n && now_ms() - t < 5000) usleep(1000);
    int z;
    int before = count_orphans(&z);
    /* t0 before the release: close() wakes all 2000 readers, and on a small machine they may
     * run (and exit) before close() returns to us */
    double t0 = now_ms(), clear = -1;
    close(p[1]);                                   /* release: all orphans exit now */
    int left2 = -1, left = before;
    for (;;) {
        left = count_orphans(&z);
        double el = now_ms() - t0;       /* at the end of the scan: no better than its length */
        if (left2 < 0 && el >= 2000) left2 = left;
        if (left == 0) { clear = el; break; }
        if (el >= deadline) break;
        usleep(2000);
    }
    if (left2 < 0) left2 = 0;
    char line[256];
    if (clear >= 0)
        snprintf(line, sizeof line, "orphans_ms=%.1f left_2s=%d left_end=0 zombies_end=0 created=%d\n",
                 clear, left2, before);
    else
        snprintf(line, sizeof line, "orphans_ms=NA left_2s=%d left_end=%d zombies_end=%d created=%d\n",
                 left2, left, z, before);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", result);
    FILE *f = fopen(tmp, "w");
    if (f) { fputs(line, f); fclose(f); rename(tmp, result); }
    for (;;) pause();
}
