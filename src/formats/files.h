/*
 * files.h - reading and writing files safely, and small text helpers.
 *
 * Whole-file reads of regular files only; atomic writes (a temporary, then a
 * rename); the check that no output overwrites an input; one-line quoting of
 * names read from files; the token-id list parser; a monotonic clock.
 */
#ifndef ARGEN_FILES_H
#define ARGEN_FILES_H

#include <stddef.h>
#include <stdio.h>

#include "core/error.h"

/* Reads a whole regular file into a fresh, NUL-terminated buffer (free() it).
 * A FIFO, device or folder is refused before it is read (input_file.h), so
 * `--file /dev/zero` or a FIFO never hangs or fills memory.  Returns -1 with
 * "PATH: ..." in err when the file cannot be read. */
int read_file(const char *path, char **data, size_t *len, Error *err);

/* A file written atomically: everything goes to a temporary PATH.tmp.PID.N
 * in the same folder, created exclusively (O_CREAT|O_EXCL, the first free N),
 * so two outputs of one process, or a stale file of an earlier process with
 * the same PID, never share it.  Only atomic_commit() renames it over PATH,
 * after a successful flush and fsync.  On any failure (or atomic_abort) the
 * temporary is removed and an earlier PATH is left intact: a crash or a full
 * disk never leaves a half-written file.  A PATH that is a device or a pipe
 * (/dev/null, /dev/full, /dev/stdout) is written in place: renaming over it
 * would replace the device with a regular file. */
typedef struct {
    FILE *f;             /* write here between open and commit */
    int direct;          /* PATH is a device or pipe: f writes it, there is no temporary */
    char path[4096];     /* final name */
    char tmp_path[4160]; /* temporary name in the same directory ("" when direct) */
} AtomicFile;

int atomic_open(AtomicFile *af, const char *path, Error *err);
int atomic_commit(AtomicFile *af, Error *err);
void atomic_abort(AtomicFile *af);

/* ---- outputs that would overwrite inputs ---- */

/* A path a command was given, with the option that named it. */
typedef struct {
    const char *option;      /* "--trace", "--model": what the user typed */
    const char *path;        /* NULL: the option was not given (skipped) */
} NamedPath;

/* Refuses, before any work is done, an output that would overwrite what the
 * command reads or another of its own outputs.  Files are compared by device
 * and inode, so a symlink or hard link to an input counts as the input.  An
 * input that is a folder (a model or tokenizer folder) stands for the files
 * argen reads from it (config.json, model.safetensors, vocab.json,
 * merges.txt); an
 * output that does not exist yet is compared with the other outputs by its
 * folder and name.  Devices and pipes (/dev/null, /dev/stdout) are never
 * refused: writing them replaces nothing.  Returns 0, or -1 with
 * "--trace: m/model.safetensors: is the input --model m; expected a
 * different file" in err.  This function reads metadata only. */
int check_output_paths(const NamedPath *inputs, size_t n_inputs, const NamedPath *outputs, size_t n_outputs,
                       Error *err);

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
