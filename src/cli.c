/* cli.c - see cli.h. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_value(const char *cmd, int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "argen %s: %s: expected a value after it\n", cmd, argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int cli_long(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
        fprintf(stderr, "argen %s: %s: expected an integer in [%ld, %ld], got '%s'\n", cmd, opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_double(const char *cmd, const char *opt, const char *s, double lo, int lo_open,
               double hi, int hi_open, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    int ok = *s != '\0' && *end == '\0' && errno != ERANGE && !isnan(v) &&
             (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
    if (!ok) {
        fprintf(stderr, "argen %s: %s: expected a number in %c%g, %g%c, got '%s'\n", cmd, opt,
                lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']', s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_ids(const char *cmd, const char *opt, const char *s, int vocab, int **ids, int *n) {
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    int *out = malloc(cap * sizeof *out);
    if (!out) { fprintf(stderr, "argen %s: out of memory\n", cmd); return -1; }
    int k = 0;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        int bad = end == p || errno == ERANGE || v < 0 || v > 0x7fffffffL || (vocab > 0 && v >= vocab) ||
                  (*end != ',' && *end != '\0');
        if (bad) {
            if (vocab > 0)
                fprintf(stderr, "argen %s: %s: expected comma-separated token ids in [0, %d), got '%s'\n", cmd, opt, vocab, s);
            else
                fprintf(stderr, "argen %s: %s: expected comma-separated token ids, got '%s'\n", cmd, opt, s);
            free(out);
            return -1;
        }
        out[k++] = (int)v;
        if (*end == '\0') break;
        p = end + 1;
    }
    *ids = out;
    *n = k;
    return 0;
}

int cli_unknown(const char *cmd, const char *opt) {
    fprintf(stderr, "argen %s: unknown option '%s' (see argen %s --help)\n", cmd, opt, cmd);
    return EXIT_USAGE;
}

int cli_is_help(const char *s) { return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0; }
