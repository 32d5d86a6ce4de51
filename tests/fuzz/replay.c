/*
 * replay.c - runs a libFuzzer harness over files, without libFuzzer.
 *
 *   cc -fsanitize=address,undefined fuzz_json.c replay.c <argen objects> -o replay_json
 *   ./replay_json tests/fuzz/corpus/json tests/fuzz/regressions/json
 *
 * Each argument is a file or a folder (every regular file in it, in name
 * order, so a report names the same input on every machine).  The harness
 * aborts (through the sanitizers or abort()) on a bug; returning from main
 * means every input ran clean.  This is how `make test` replays the
 * committed corpora and crash reproducers as regression tests.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a harness (libFuzzer's own convention): weak, so harnesses that
 * need no set-up need not define it. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Runs one file through the harness; returns -1 if it cannot be read. */
static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "replay: %s: cannot open\n", path); return -1; }
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (!buf) { fclose(f); fprintf(stderr, "replay: out of memory\n"); return -1; }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        cap *= 2;
        unsigned char *bigger = realloc(buf, cap);
        if (!bigger) free(buf);
        buf = bigger;
    }
    fclose(f);
    /* An exact-size copy, so that ASan sees a read one past the input. */
    unsigned char *exact = malloc(n ? n : 1);
    if (!exact) { free(buf); return -1; }
    memcpy(exact, buf, n);
    free(buf);
    /* Named first, so that a sanitizer report that follows says which input. */
    fprintf(stderr, "replay: running %s\n", path);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file directly in dir, in name order; returns files run or -1. */
static long replay_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) { fprintf(stderr, "replay: %s: cannot open folder\n", dir); return -1; }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **bigger = realloc(names, cap * sizeof *names);
            if (!bigger) break;
            names = bigger;
        }
        names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (!names[n]) break;
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    long ran = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (replay_file(names[i]) != 0) ran = -1;
            else if (ran >= 0) ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv) {
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    long total = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) { fprintf(stderr, "replay: %s: not found\n", argv[i]); bad = 1; continue; }
        if (S_ISDIR(sb.st_mode)) {
            long r = replay_dir(argv[i]);
            if (r < 0) bad = 1; else total += r;
        } else if (replay_file(argv[i]) != 0) bad = 1;
        else total++;
    }
    printf("replay: %ld inputs ran clean\n", total);
    return bad;
}
