/*
 * cli.h - the command line: the table of commands and option helpers.
 *
 * Every command is `int cmd_NAME(int argc, char **argv)` in src/cli/cmd_NAME.c,
 * listed in the table in main.c; argv[0] is the command's name.  Bad options print one line
 * "argen CMD: --OPTION: expected ..., got '...'" and return EXIT_USAGE.
 */
#ifndef ARGEN_CLI_H
#define ARGEN_CLI_H

#include <signal.h>
#include <stddef.h>

#include "formats/checkpoint.h"
#include "formats/files.h"

#define EXIT_USAGE 2   /* a bad option or value: nothing was done */
#define EXIT_FAIL 1    /* a file, model or write failed */
#define EXIT_SIGINT 130  /* stopped by Ctrl-C (128 + SIGINT, as a shell reports it) */
#define CLI_SEED_MAX 9007199254740992L  /* 2^53: the largest seed a JSON number (a double) holds exactly */
#define EXIT_SIGPIPE 141 /* stopped because the reader of stdout went away (128 + SIGPIPE) */

/* The commands (src/cli/cmd_NAME.c). */
int cmd_generate(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_logits(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_detokenize(int argc, char **argv);
int cmd_train_tokenizer(int argc, char **argv);
int cmd_corpus(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_bench(int argc, char **argv);

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

/* --weights f32|f16|bf16, on every command that runs the model: how its
 * weight matrices are held in memory.  Prints "argen CMD: --weights:
 * expected f32, f16 or bf16, got 'S'" otherwise. */
int cli_weights(const char *cmd, const char *s, LoadWeights *out);
#define CLI_WEIGHTS_HELP \
    "--weights f32|f16|bf16 holds the weight matrices in memory in that type (default: as the\n" \
    "checkpoint stores them); the kernels widen F16/BF16 to F32 as they read them.\n"

/* Prints "argen CMD: unknown option 'OPT' (see argen CMD --help)" and returns EXIT_USAGE. */
int cli_unknown(const char *cmd, const char *opt);

/* 1 when s is -h or --help. */
int cli_is_help(const char *s);

/* check_output_paths() for a command: prints "argen CMD: --trace: PATH: is
 * ..." and returns EXIT_USAGE when an output would overwrite an input or
 * another output; returns 0 otherwise.  Every command that writes a file
 * calls it after parsing its options, before it loads or writes anything. */
int cli_check_outputs(const char *cmd, const NamedPath *inputs, size_t n_inputs, const NamedPath *outputs,
                      size_t n_outputs);

/* ---- stopping: Ctrl-C and a closed pipe ----
 *
 * main() calls cli_catch_stop_signals() for the commands that poll the flag:
 * SIGINT and SIGPIPE then only record which signal came.  The command checks
 * *cli_stop_flag() between steps (the generation loops take it as their
 * `interrupt`), stops at the next one, removes the files it has not
 * committed, and cli_exit_code() turns the signal into the exit code.  The
 * flag is the one global of the command line: a signal handler cannot be
 * handed a context. */
void cli_catch_stop_signals(void);
const volatile sig_atomic_t *cli_stop_flag(void);   /* 0, SIGINT or SIGPIPE */

/* The command's exit code once it has returned rc: after SIGPIPE, 141 with
 * no message (whoever read stdout is gone); after SIGINT, 130; otherwise,
 * when rc is 0 but stdout could not be written whole (full disk), prints
 * "argen CMD: standard output: write failed: REASON" and returns 1. */
int cli_exit_code(const char *cmd, int rc);

#endif
