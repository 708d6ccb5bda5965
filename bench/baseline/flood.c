/* Log throughput writer: MIB MiB (default 256) of 100-byte lines on stdout as fast as possible,
 * then one end marker line "FLOOD-END", then exit 0.
 * Each line: "FLOODLINE " + 89 filler bytes + '\n'  (100 bytes).
 * usage: flood [MIB]                            */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(const char *p, size_t n) {
    while (n) {
        ssize_t w = write(1, p, n);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        p += w; n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 256;
    long long total_lines = mib * 1024LL * 1024LL / 100;
    enum { PER_BUF = 655 };                 /* 65,500 bytes per write() */
    static char buf[PER_BUF * 100];
    for (int i = 0; i < PER_BUF; i++) {
        char *l = buf + i * 100;
        memcpy(l, "FLOODLINE ", 10);
        for (int j = 10; j < 99; j++) l[j] = (char)('a' + (i + j) % 26);
        l[99] = '\n';
    }
    while (total_lines > 0) {
        long long k = total_lines < PER_BUF ? total_lines : PER_BUF;
        if (write_all(buf, (size_t)k * 100)) return 1;
        total_lines -= k;
    }
    return write_all("FLOOD-END\n", 10) ? 1 : 0;
}
