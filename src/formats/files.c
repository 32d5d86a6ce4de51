/* files.c - see files.h. */
#define _POSIX_C_SOURCE 200809L
#include "formats/files.h"
#include "formats/input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int read_file(const char *path, char **data, size_t *len, Error *err) {
    /* A regular file of any size, opened without blocking (input_file.h). */
    return input_read(path, (size_t)-1 - 1, "file", data, len, err);
}

int atomic_open(AtomicFile *af, const char *path, Error *err) {
    af->f = NULL;
    af->direct = 0;
    af->tmp_path[0] = '\0';
    if (strlen(path) >= sizeof af->path) return error_set(err, "%s: path too long", path);
    strcpy(af->path, path);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return error_set(err, "%s: cannot write: %s", path, strerror(EISDIR));
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        af->direct = 1;
        af->f = fopen(path, "wb");
        if (!af->f) return error_set(err, "%s: cannot write: %s", path, strerror(errno));
        return 0;
    }
    /* The first free N: O_EXCL never opens a file that someone else made. */
    for (int n = 0; n < 1000; n++) {
        snprintf(af->tmp_path, sizeof af->tmp_path, "%s.tmp.%ld.%d", path, (long)getpid(), n);
        int fd = open(af->tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd < 0 && errno == EEXIST) continue;
        if (fd < 0) return error_set(err, "%s: cannot write: %s", path, strerror(errno));
        af->f = fdopen(fd, "wb");
        if (!af->f) {
            int saved = errno;
            close(fd);
            remove(af->tmp_path);
            return error_set(err, "%s: cannot write: %s", path, strerror(saved));
        }
        return 0;
    }
    return error_set(err, "%s: cannot write: 1000 temporary files %s.tmp.%ld.* already exist", path, path,
                     (long)getpid());
}

int atomic_commit(AtomicFile *af, Error *err) {
    if (!af->f) return error_set(err, "%s: not open", af->path);
    errno = 0;
    int bad = fflush(af->f) != 0 || ferror(af->f);
    int saved = errno;
    if (!bad && !af->direct && fsync(fileno(af->f)) != 0) { bad = 1; saved = errno; }
    if (fclose(af->f) != 0 && !bad) { bad = 1; saved = errno; }
    af->f = NULL;
    if (bad) {
        if (!af->direct) remove(af->tmp_path);
        return error_set(err, "%s: write failed: %s", af->path, strerror(saved ? saved : EIO));
    }
    if (!af->direct && rename(af->tmp_path, af->path) != 0) {
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
        if (!af->direct) remove(af->tmp_path);
    }
}

/* ---- outputs that would overwrite inputs ---- */

/* Where an output lands: the file itself when it exists, otherwise the
 * folder it will be made in plus its name. */
typedef struct {
    int known;               /* 0: neither the file nor its folder could be stat'ed (the write will fail anyway) */
    int exists;              /* the file exists: dev/ino are its own */
    int device;              /* a device, pipe or socket: writing it replaces nothing */
    dev_t dev;
    ino_t ino;               /* of the file, or of its folder when it does not exist */
    const char *name;        /* the last component, when it does not exist */
} OutputPlace;

static void output_place(const char *path, OutputPlace *p) {
    struct stat st;
    memset(p, 0, sizeof *p);
    if (stat(path, &st) == 0) {
        p->known = p->exists = 1;
        p->device = !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
        p->dev = st.st_dev;
        p->ino = st.st_ino;
        return;
    }
    const char *slash = strrchr(path, '/');
    char folder[4096];
    if (!slash) snprintf(folder, sizeof folder, ".");
    else if (slash == path) snprintf(folder, sizeof folder, "/");
    else if ((size_t)(slash - path) < sizeof folder) snprintf(folder, sizeof folder, "%.*s", (int)(slash - path), path);
    else return;
    if (stat(folder, &st) != 0) return;
    p->known = 1;
    p->dev = st.st_dev;
    p->ino = st.st_ino;
    p->name = slash ? slash + 1 : path;
}

/* The files argen reads from a model or tokenizer folder: an input folder
 * stands for these (its other files, an earlier trace, may be outputs). */
static const char *const folder_inputs[] = {"config.json", "model.safetensors", "vocab.json", "merges.txt"};

/* Whether the existing output `o` is the input file `in`, or one of the
 * folder_inputs of the input folder `in`; *member names that file then. */
static int output_is_input(const OutputPlace *o, const char *in, char *member, size_t member_n) {
    struct stat st;
    member[0] = '\0';
    if (stat(in, &st) != 0) return 0;
    if (!S_ISDIR(st.st_mode)) return st.st_dev == o->dev && st.st_ino == o->ino;
    for (size_t i = 0; i < sizeof folder_inputs / sizeof folder_inputs[0]; i++) {
        char path[4096];
        if (path_join(path, sizeof path, in, folder_inputs[i], NULL) != 0 || stat(path, &st) != 0) continue;
        if (S_ISREG(st.st_mode) && st.st_dev == o->dev && st.st_ino == o->ino) {
            snprintf(member, member_n, "%s", folder_inputs[i]);
            return 1;
        }
    }
    return 0;
}

int check_output_paths(const NamedPath *inputs, size_t n_inputs, const NamedPath *outputs, size_t n_outputs,
                       Error *err) {
    for (size_t i = 0; i < n_outputs; i++) {
        if (!outputs[i].path) continue;
        OutputPlace o;
        output_place(outputs[i].path, &o);
        if (!o.known || o.device) continue;
        for (size_t k = 0; o.exists && k < n_inputs; k++) {
            char member[256];
            if (!inputs[k].path || !output_is_input(&o, inputs[k].path, member, sizeof member)) continue;
            if (member[0])
                return error_set(err, "%s: %s: is %s of the input %s %s; expected a file that is not an input",
                                 outputs[i].option, outputs[i].path, member, inputs[k].option, inputs[k].path);
            return error_set(err, "%s: %s: is the input %s %s; expected a file that is not an input",
                             outputs[i].option, outputs[i].path, inputs[k].option, inputs[k].path);
        }
        for (size_t j = 0; j < i; j++) {
            if (!outputs[j].path) continue;
            OutputPlace p;
            output_place(outputs[j].path, &p);
            if (!p.known || p.device || p.exists != o.exists || p.dev != o.dev || p.ino != o.ino) continue;
            if (!o.exists && strcmp(o.name, p.name) != 0) continue;
            return error_set(err, "%s: %s: is also the output %s %s; expected a different file for each output",
                             outputs[i].option, outputs[i].path, outputs[j].option, outputs[j].path);
        }
    }
    return 0;
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
