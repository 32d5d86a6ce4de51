/* util.c - see util.h. */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int error_set(Error *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int read_file(const char *path, char **data, size_t *len, Error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return error_set(err, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) { fclose(f); return error_set(err, "%s: out of memory", path); }
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        char *bigger = realloc(buf, 2 * cap + 1);
        if (!bigger) { free(buf); fclose(f); return error_set(err, "%s: out of memory", path); }
        buf = bigger;
        cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) { free(buf); return error_set(err, "%s: read error", path); }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int atomic_open(AtomicFile *af, const char *path, Error *err) {
    af->f = NULL;
    if (strlen(path) >= sizeof af->path) return error_set(err, "%s: path too long", path);
    strcpy(af->path, path);
    snprintf(af->tmp_path, sizeof af->tmp_path, "%s.tmp.%ld", path, (long)getpid());
    af->f = fopen(af->tmp_path, "wb");
    if (!af->f) return error_set(err, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

int atomic_commit(AtomicFile *af, Error *err) {
    if (!af->f) return error_set(err, "%s: not open", af->path);
    int bad = fflush(af->f) != 0 || ferror(af->f);
    int saved = errno;
    if (!bad && fsync(fileno(af->f)) != 0) { bad = 1; saved = errno; }
    if (fclose(af->f) != 0 && !bad) { bad = 1; saved = errno; }
    af->f = NULL;
    if (bad) {
        remove(af->tmp_path);
        return error_set(err, "%s: write failed: %s", af->path, strerror(saved ? saved : EIO));
    }
    if (rename(af->tmp_path, af->path) != 0) {
        saved = errno;
        remove(af->tmp_path);
        return error_set(err, "%s: cannot rename into place: %s", af->path, strerror(saved));
    }
    return 0;
}

void atomic_abort(AtomicFile *af) {
    if (af->f) {
        fclose(af->f);
        af->f = NULL;
        remove(af->tmp_path);
    }
}

int path_join(char *out, size_t n, const char *dir, const char *name, Error *err) {
    int k = snprintf(out, n, "%s/%s", dir, name);
    if (k < 0 || (size_t)k >= n) return error_set(err, "%s/%s: path too long", dir, name);
    return 0;
}

const char *printable(const char *s, size_t len, char *buf, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int wide = c < 0x20 || c == 0x7f;
        if (k + (wide ? 4 : 1) + 4 > n) {  /* room for "..." and the NUL */
            if (n >= 4) { memcpy(buf + k, "...", 3); k += 3; }
            break;
        }
        if (wide) k += (size_t)snprintf(buf + k, n - k, "\\x%02x", c);
        else buf[k++] = (char)c;
    }
    if (n > 0) buf[k < n ? k : n - 1] = '\0';
    return buf;
}

int parse_id_list(const char *s, int vocab, const char *what, int **ids, int *n, Error *err) {
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    int *out = malloc(cap * sizeof *out);
    if (!out) return error_set(err, "%s: out of memory", what);
    int k = 0;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        int bad = end == p || errno == ERANGE || v < 0 || v > 0x7fffffffL || (vocab > 0 && v >= vocab) ||
                  (*end != ',' && *end != '\0');
        if (bad) {
            free(out);
            if (vocab > 0)
                return error_set(err, "%s: expected comma-separated token ids in [0, %d), got '%s'", what, vocab, s);
            return error_set(err, "%s: expected comma-separated token ids, got '%s'", what, s);
        }
        out[k++] = (int)v;
        if (*end == '\0') break;
        p = end + 1;
    }
    *ids = out;
    *n = k;
    return 0;
}

double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
