/* Workload of the "first" scenario: records when it started running, then waits like
 * `sleep 3600`. Appends one line to FILE, its CLOCK_MONOTONIC time in ns as 20 digits, in one
 * O_APPEND write (lines of tasks starting at the same time never mix, and N lines are
 * exactly N * 21 bytes), then pause()s until a signal ends it.
 * usage: stamp FILE                             */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (argc < 2) return 2;
    char line[32];
    int n = snprintf(line, sizeof line, "%020lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, line, (size_t)n) != n) return 1;
    close(fd);
    for (;;) pause();
}
