/*
 * fuzz_cli.c - the command line's value parsers on arbitrary strings.
 *
 *   input = which helper (first byte) + the option value (the rest, up to a NUL)
 *
 * cli_long, cli_double and cli_ids are what every command uses to turn
 * argv into numbers.  Checks: an accepted integer lies in its range, an
 * accepted number is not NaN and lies in its range, accepted ids lie in
 * [0, vocab) and their count matches the commas.  Their error line goes to
 * stderr (run libFuzzer with -close_fd_mask=2 to silence it).
 *
 *   input = "out:" + which links exist (one byte) + up to 4 output forms
 *
 * check_output_paths, which every command runs on its outputs: a model
 * folder with model.safetensors, maybe a symlink and a hard link to it and
 * an existing file x; each output is one spelling of one of those (or of a
 * new file y, or /dev/null).  It must refuse exactly when an output is the
 * weights, or two outputs are the same file (the oracle knows which file
 * each spelling names without asking the file system).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fuzz_util.h"
#include "formats/files.h"

/* The spellings of an output, and the file each names (W: the weights). */
static const char *const spellings[] = {"model.safetensors", "./model.safetensors", "l", "h", "x", "./x", "y",
                                        "../DIR/y", "/dev/null", NULL};

static void fuzz_output_paths(const uint8_t *data, size_t size) {
    const char *dir = fuzz_scratch_dir();
    const char *base = strrchr(dir, '/') + 1;
    static const char *const made[] = {"l", "h", "x", "y"};
    for (size_t i = 0; i < 4; i++) fuzz_unlink(dir, made[i]);
    fuzz_write(dir, "model.safetensors", (const uint8_t *)"w", 1);
    int links = size > 0 ? data[0] : 0;
    char weights[128], path[128];
    snprintf(weights, sizeof weights, "%s/model.safetensors", dir);
    snprintf(path, sizeof path, "%s/l", dir);
    if (links & 1) FUZZ_CHECK(symlink(weights, path) == 0, "symlink");
    snprintf(path, sizeof path, "%s/h", dir);
    if (links & 2) FUZZ_CHECK(link(weights, path) == 0, "link");
    if (links & 4) fuzz_write(dir, "x", (const uint8_t *)"x", 1);
    NamedPath out[4];
    char paths[4][256];
    char names[4];   /* the file each output names: W, l, h, x, y; 'd' a device; 0 none */
    size_t n_out = size > 1 ? (size - 1 < 4 ? size - 1 : 4) : 0;
    int want_refusal = 0;
    for (size_t i = 0; i < n_out; i++) {
        size_t k = data[1 + i] % (sizeof spellings / sizeof spellings[0]);
        const char *sp = spellings[k];
        out[i].option = "--out";
        out[i].path = NULL;
        names[i] = 0;
        if (!sp) continue;
        if (k == 7) snprintf(paths[i], sizeof paths[i], "%s/../%s/y", dir, base);
        else if (sp[0] == '/') snprintf(paths[i], sizeof paths[i], "%s", sp);
        else snprintf(paths[i], sizeof paths[i], "%s/%s", dir, sp);
        out[i].path = paths[i];
        names[i] = k <= 1 ? 'W' : k == 2 ? ((links & 1) ? 'W' : 'l') : k == 3 ? ((links & 2) ? 'W' : 'h')
                 : k <= 5 ? 'x' : k <= 7 ? 'y' : 'd';   /* x: a file the loader does not read */
        if (names[i] == 'W') want_refusal = 1;
        for (size_t j = 0; j < i; j++) want_refusal |= names[i] != 'd' && names[j] == names[i];
    }
    NamedPath in[] = {{"--model", dir}};
    Error err;
    int rc = check_output_paths(in, 1, out, n_out, &err);
    FUZZ_CHECK(rc == (want_refusal ? -1 : 0), "links %d, %zu outputs: %s", links, n_out, rc ? err.msg : "accepted");
    for (size_t i = 0; i < 4; i++) fuzz_unlink(dir, made[i]);   /* the folder is removed at exit */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size >= 4 && memcmp(data, "out:", 4) == 0) { fuzz_output_paths(data + 4, size - 4); return 0; }
    if (size < 1) return 0;
    char *s = malloc(size);
    FUZZ_CHECK(s != NULL, "out of memory");
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';   /* argv strings end at the first NUL */
    switch (data[0] % 4) {
    case 0: {
        long v;
        if (cli_long("fuzz", "--n", s, -5, 1000, &v) == 0) FUZZ_CHECK(v >= -5 && v <= 1000, "%ld", v);
        break;
    }
    case 1: {
        double v;
        if (cli_double("fuzz", "--top-p", s, 0.0, 1, 1.0, 0, &v) == 0)
            FUZZ_CHECK(!isnan(v) && v > 0.0 && v <= 1.0, "%g", v);
        break;
    }
    case 2: {
        double v;
        if (cli_double("fuzz", "--temperature", s, 0.0, 0, HUGE_VAL, 1, &v) == 0)
            FUZZ_CHECK(isfinite(v) && v >= 0.0, "%g", v);
        break;
    }
    default: {
        int *ids = NULL, n = 0;
        int vocab = (data[0] & 0x80) ? 0 : 50257;
        if (cli_ids("fuzz", "--ids", s, vocab, &ids, &n) == 0) {
            size_t commas = 0;
            for (const char *p = s; *p; p++) commas += *p == ',';
            FUZZ_CHECK((size_t)n == commas + 1, "%d ids from %zu commas", n, commas);
            for (int i = 0; i < n; i++) FUZZ_CHECK(ids[i] >= 0 && (vocab == 0 || ids[i] < vocab), "id %d", ids[i]);
            free(ids);
        }
        break;
    }
    }
    free(s);
    return 0;
}
