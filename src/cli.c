/* cli.c - see cli.h. */
#include "cli.h"
#include "util.h"

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
    Error err;
    if (parse_id_list(s, vocab, opt, ids, n, &err) == 0) return 0;
    fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
    return -1;
}

int cli_unknown(const char *cmd, const char *opt) {
    fprintf(stderr, "argen %s: unknown option '%s' (see argen %s --help)\n", cmd, opt, cmd);
    return EXIT_USAGE;
}

int cli_is_help(const char *s) { return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0; }
