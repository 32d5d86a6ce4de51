/*
 * fuzz_util.h - small helpers shared by the harnesses (test code only).
 *
 * Loaders that take a folder (config.json + model.safetensors, vocab.json +
 * merges.txt) are fuzzed by writing the input's parts into one scratch
 * folder per process, made once by fuzz_scratch_dir() and removed at exit.
 * That folder's name is the one piece of process-wide state a harness
 * keeps: libFuzzer's LLVMFuzzerTestOneInput takes no context argument.
 * Harnesses are compiled with -D_POSIX_C_SOURCE=200809L (mkdtemp,
 * open_memstream) by tests/fuzz/build.sh.
 */
#ifndef ARGEN_FUZZ_UTIL_H
#define ARGEN_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where the scratch folder lives: RAM when there is a /dev/shm, for speed. */
static char fuzz_dir_name[64];

static inline void fuzz_remove_dir(void) {
    static const char *const names[] = {"config.json", "model.safetensors", "vocab.json", "merges.txt"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", fuzz_dir_name, names[i]);
        remove(path);
    }
    rmdir(fuzz_dir_name);
}

static inline const char *fuzz_scratch_dir(void) {
    if (fuzz_dir_name[0]) return fuzz_dir_name;
    strcpy(fuzz_dir_name, access("/dev/shm", W_OK) == 0 ? "/dev/shm/argen-fuzz-XXXXXX" : "/tmp/argen-fuzz-XXXXXX");
    if (!mkdtemp(fuzz_dir_name)) { perror("fuzz: mkdtemp"); abort(); }
    atexit(fuzz_remove_dir);
    return fuzz_dir_name;
}

/* Writes data[0..n) to dir/name; aborts if it cannot (that is no finding). */
static inline void fuzz_write(const char *dir, const char *name, const uint8_t *data, size_t n) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) { perror(path); abort(); }
}

/* Removes dir/name (a part the input does not have). */
static inline void fuzz_unlink(const char *dir, const char *name) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    remove(path);
}

/* Splits data at the first NUL byte: [0, *n1) and [*n1 + 1, n) when found. */
static inline int fuzz_split(const uint8_t *data, size_t n, size_t *n1) {
    const uint8_t *z = memchr(data, 0, n);
    if (!z) { *n1 = n; return 0; }
    *n1 = (size_t)(z - data);
    return 1;
}

/* A check inside a harness failed: say what, then abort so the fuzzer keeps the input. */
#define FUZZ_CHECK(cond, ...)                                       \
    do {                                                            \
        if (!(cond)) {                                              \
            fprintf(stderr, "fuzz check failed: %s: ", #cond);      \
            fprintf(stderr, __VA_ARGS__);                           \
            fputc('\n', stderr);                                    \
            abort();                                                \
        }                                                           \
    } while (0)

/* An Error filled by a failing call: one line of printable text.  Names
 * taken from a hostile file (a tensor name, a token) must not bring a
 * newline or a terminal escape sequence (ESC) into argen's one-line message. */
#define FUZZ_CHECK_MESSAGE(msg)                                                        \
    do {                                                                               \
        const char *m_ = (msg);                                                        \
        FUZZ_CHECK(m_[0] != '\0', "empty error message");                              \
        for (const char *q_ = m_; *q_; q_++)                                           \
            FUZZ_CHECK((unsigned char)*q_ >= 0x20 && *q_ != 0x7f,                      \
                       "control byte 0x%02x at %d of the message '%s'",               \
                       (unsigned)(unsigned char)*q_, (int)(q_ - m_), m_);              \
    } while (0)

#endif
