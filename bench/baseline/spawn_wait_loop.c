/* Baseline for the "restart" scenario: restart a command forever, zero backoff.
 * posix_spawn + waitpid in a loop until SIGTERM/SIGINT.
 * usage: spawn_wait_loop CMD [ARG...]          */
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
    if (argc < 2) { fprintf(stderr, "usage: spawn_wait_loop CMD [ARG...]\n"); return 2; }
    struct sigaction sa = {0};
    sa.sa_handler = on_sig;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    while (!stop) {
        pid_t pid;
        int rc = posix_spawnp(&pid, argv[1], NULL, NULL, argv + 1, environ);
        if (rc) { errno = rc; perror("posix_spawnp"); return 1; }
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    }
    return 0;
}
