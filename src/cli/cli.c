/* cli.c - see cli.h. */
#define _POSIX_C_SOURCE 200809L
#include "cli/cli.h"
#include "formats/files.h"

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

int cli_weights(const char *cmd, const char *s, LoadWeights *out) {
    if (strcmp(s, "f32") == 0) *out = LOAD_F32;
    else if (strcmp(s, "f16") == 0) *out = LOAD_F16;
    else if (strcmp(s, "bf16") == 0) *out = LOAD_BF16;
    else {
        fprintf(stderr, "argen %s: --weights: expected f32, f16 or bf16, got '%s'\n", cmd, s);
        return EXIT_USAGE;
    }
    return 0;
}

int cli_is_help(const char *s) { return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0; }

int cli_check_outputs(const char *cmd, const NamedPath *inputs, size_t n_inputs, const NamedPath *outputs,
                      size_t n_outputs) {
    Error err;
    if (check_output_paths(inputs, n_inputs, outputs, n_outputs, &err) == 0) return 0;
    fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
    return EXIT_USAGE;
}

/* ---- stopping ---- */

static volatile sig_atomic_t stop_signal = 0;

static void on_stop_signal(int sig) {
    if (!stop_signal) stop_signal = sig;   /* the first one says why */
}

void cli_catch_stop_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;   /* a read or write in progress finishes; the loop stops at its next check */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
}

const volatile sig_atomic_t *cli_stop_flag(void) { return &stop_signal; }

int cli_exit_code(const char *cmd, int rc) {
    if (stop_signal == SIGPIPE) return EXIT_SIGPIPE;
    if (stop_signal == SIGINT) return EXIT_SIGINT;
    errno = 0;
    int flushed = fflush(stdout) == 0;
    int saved = errno;
    if (flushed && !ferror(stdout)) return rc;
    if (rc != 0) return rc;   /* the command has said what went wrong first */
    fprintf(stderr, "argen %s: standard output: write failed: %s\n", cmd, saved ? strerror(saved) : "output error");
    return EXIT_FAIL;
}
