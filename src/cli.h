/*
 * cli.h - the command line: the table of commands and option helpers.
 *
 * Every command is `int cmd_NAME(int argc, char **argv)` in src/cmd_NAME.c;
 * argv[0] is the command's name.  Bad options print one line
 * "argen CMD: --OPTION: expected ..., got '...'" and return EXIT_USAGE.
 */
#ifndef ARGEN_CLI_H
#define ARGEN_CLI_H

#define EXIT_USAGE 2   /* a bad option or value: nothing was done */
#define EXIT_FAIL 1    /* a file, model or write failed */

/* The value after option argv[*i]; advances *i.  Prints an error and returns
 * NULL when it is missing. */
const char *cli_value(const char *cmd, int argc, char **argv, int *i);

/* Integer in [lo, hi]; prints "argen CMD: OPT: expected an integer in [lo, hi], got 'S'". */
int cli_long(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);

/* Number in the range described by lo/hi, where lo_open/hi_open exclude the
 * end point; prints an error naming the range otherwise (NaN is refused). */
int cli_double(const char *cmd, const char *opt, const char *s, double lo, int lo_open,
               double hi, int hi_open, double *out);

/* Comma-separated token ids, each in [0, vocab) (vocab <= 0: unchecked).
 * *ids is malloc'ed. */
int cli_ids(const char *cmd, const char *opt, const char *s, int vocab, int **ids, int *n);

/* Prints "argen CMD: unknown option 'OPT' (see argen CMD --help)" and returns EXIT_USAGE. */
int cli_unknown(const char *cmd, const char *opt);

/* 1 when s is -h or --help. */
int cli_is_help(const char *s);

#endif
