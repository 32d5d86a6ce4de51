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
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
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
