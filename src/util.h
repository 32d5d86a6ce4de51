/*
 * util.h - errors, files and small helpers shared by every part of argen.
 *
 * The library never prints and never exits: a function that can fail returns
 * 0 on success and -1 on failure, after writing one line into the caller's
 * Error naming the file, field or option and what was expected.  Only main()
 * decides what to do with it.
 */
#ifndef ARGEN_UTIL_H
#define ARGEN_UTIL_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    char msg[1024];   /* one line, no trailing newline */
} Error;

/* printf-style; always returns -1 so that `return error_set(...)` reads well. */
int error_set(Error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Reads a whole file into a fresh, NUL-terminated buffer (free() it).
 * Returns -1 with "PATH: ..." in err when the file cannot be read. */
int read_file(const char *path, char **data, size_t *len, Error *err);

/* A file written atomically: everything goes to PATH.tmp.PID, and only
 * atomic_commit() renames it over PATH after a successful flush and fsync.
 * On any failure (or atomic_abort) the temporary is removed and an earlier
 * PATH is left intact: a crash or a full disk never leaves a half-written file. */
typedef struct {
    FILE *f;             /* write here between open and commit */
    char path[4096];     /* final name */
    char tmp_path[4160]; /* temporary name in the same directory */
} AtomicFile;

int atomic_open(AtomicFile *af, const char *path, Error *err);
int atomic_commit(AtomicFile *af, Error *err);
void atomic_abort(AtomicFile *af);

/* Joins dir and name into out (size n). Returns -1 when it does not fit. */
int path_join(char *out, size_t n, const char *dir, const char *name, Error *err);

/* Copies s into buf (size n) with every byte below 0x20 and 0x7f written as
 * \xNN, cut with "..." when it does not fit; returns buf.  For quoting a
 * name read from a file in a one-line message: a tensor called "a\nb" or
 * holding terminal escapes cannot break the line or drive the terminal. */
const char *printable(const char *s, size_t len, char *buf, size_t n);

/* Parses comma-separated token ids, each in [0, vocab) (vocab <= 0: any
 * non-negative int).  *ids is malloc'ed.  `what` names the source in the
 * message: "--ids: expected comma-separated token ids in [0, V), got '...'". */
int parse_id_list(const char *s, int vocab, const char *what, int **ids, int *n, Error *err);

/* Wall-clock seconds from a monotonic clock, for progress lines and --profile. */
double now_seconds(void);

#endif
