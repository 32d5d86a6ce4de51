/* input_file.c - see input_file.h. */
#define _POSIX_C_SOURCE 200809L
#include "formats/input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t m) {
    if (S_ISDIR(m)) return "a folder";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a plain file";
}

int input_open(const char *path, size_t *size, Error *err) {
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return error_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return error_set(err, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return error_set(err, "%s: not a regular file (%s): expected a file", path, file_kind(sb.st_mode));
    }
    /* Back to blocking reads: a regular file never blocks, and plain read()
     * semantics are simpler to reason about. */
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    *size = (size_t)sb.st_size;
    return fd;
}

int input_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

int input_read(const char *path, size_t max_bytes, const char *kind, char **data, size_t *len, Error *err) {
    size_t size;
    int fd = input_open(path, &size, err);
    if (fd < 0) return -1;
    if (size > max_bytes) {
        close(fd);
        return error_set(err, "%s: %zu bytes: expected at most %zu for a %s", path, size, max_bytes, kind);
    }
    /* Room for one byte more than fstat said, to notice a file that grew
     * since (then its size no longer says what was checked). */
    size_t cap = size + 1, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) { close(fd); return error_set(err, "%s: out of memory", path); }
    for (;;) {
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return error_set(err, "%s: read error: %s", path, strerror(e));
        }
        if (got == 0) break;
        n += (size_t)got;
        if (n == cap) break;
    }
    close(fd);
    if (n > size) {
        free(buf);
        return error_set(err, "%s: the file grew while it was read: expected a file that stays as it is", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}
