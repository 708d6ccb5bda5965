/* Baseline for the "start", "first", "mem" and "idle" scenarios: the least a supervisor can do.
 * posix_spawn N copies of a command (default `sleep 3600`), then wait for SIGTERM/SIGINT,
 * then SIGKILL them all, reap them, exit 0.
 * usage: spawn_loop N [CMD ARG...]            */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 500;
    char *def[] = {"sleep", "3600", NULL};
    char **cmd = argc > 2 ? argv + 2 : def;
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    for (int i = 0; i < n; i++) {
        int rc = posix_spawnp(&pids[i], cmd[0], NULL, &attr, cmd, environ);
        if (rc) { errno = rc; perror("posix_spawnp"); pids[i] = 0; }
    }
    int sig;
    sigwait(&set, &sig);
    for (int i = 0; i < n; i++) if (pids[i] > 0) kill(pids[i], SIGKILL);
    while (wait(NULL) > 0 || errno == EINTR) {}
    return 0;
}
