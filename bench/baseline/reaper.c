/* Baseline PID 1 for the "orphans" scenario: spawn CMD, then reap every child that exits
 * (blocking wait(), so each zombie goes as soon as the kernel reports it) until SIGTERM.
 * usage: reaper CMD [ARG...]                    */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: reaper CMD [ARG...]\n"); return 2; }
    struct sigaction sa = {0};
    sa.sa_handler = on_sig;           /* no SA_RESTART: wait() returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[1], NULL, NULL, argv + 1, environ);
    if (rc) { errno = rc; perror("posix_spawnp"); return 1; }
    while (!stop) {
        if (wait(NULL) < 0 && errno == ECHILD) pause();
    }
    kill(-1, SIGKILL);
    return 0;
}
