/* One "restart" = one exec of this program: append one byte to FILE and exit 0.
 * The size of FILE counts the starts, whoever the supervisor is.
 * usage: tick FILE                              */
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return 1;
    return write(fd, "x", 1) == 1 ? 0 : 1;
}
