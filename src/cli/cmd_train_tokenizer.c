/*
 * cmd_train_tokenizer.c - `argen train-tokenizer`: byte-level BPE training
 * in GPT-2's style on a text file; writes vocab.json and merges.txt.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "train/bpe_train.h"
#include "cli/cli.h"

static const char *const usage_text =
    "usage: argen train-tokenizer --data FILE --vocab-size N --out DIR\n"
    "\n"
    "Trains a byte-level BPE tokenizer with GPT-2's pre-tokenizer on FILE and\n"
    "writes DIR/vocab.json and DIR/merges.txt in GPT-2's format: the 256 byte\n"
    "tokens, the merged tokens in order, then <|endoftext|> as the last id.\n"
    "\"<|endoftext|>\" in FILE separates documents.  Ties between equally\n"
    "frequent pairs go to the pair whose left (then right) token's bytes sort\n"
    "first.  Stops early when no pair occurs twice.  Progress on stderr.\n"
    "\n"
    "  --data FILE       training text (any bytes)\n"
    "  --vocab-size N    tokens wanted, <|endoftext|> included, in [257, 1000000]\n"
    "  --out DIR         output folder (created if missing)\n";

typedef struct {
    double start;
} Progress;

static void show_progress(void *ctx, int merges, int tokens, long long pair_count) {
    const Progress *p = ctx;
    fprintf(stderr, "\rargen train-tokenizer: %d merges, %d tokens, last pair seen %lld times, %.1f s   ", merges,
            tokens, pair_count, now_seconds() - p->start);
}

int cmd_train_tokenizer(int argc, char **argv) {
    const char *data = NULL, *out = NULL;
    long vocab = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (cli_is_help(a)) { fputs(usage_text, stdout); return 0; }
        if (strcmp(a, "--data") == 0) { if (!(data = cli_value(argv[0], argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(a, "--out") == 0) { if (!(out = cli_value(argv[0], argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(a, "--vocab-size") == 0) {
            if (!(v = cli_value(argv[0], argc, argv, &i))) return EXIT_USAGE;
            if (cli_long(argv[0], a, v, 257, 1000000, &vocab) != 0) return EXIT_USAGE;
        } else return cli_unknown(argv[0], a);
    }
    if (!data) { fprintf(stderr, "argen %s: --data: expected a text file\n", argv[0]); return EXIT_USAGE; }
    if (!out) { fprintf(stderr, "argen %s: --out: expected an output folder\n", argv[0]); return EXIT_USAGE; }
    if (!vocab) {
        fprintf(stderr, "argen %s: --vocab-size: expected an integer in [257, 1000000]\n", argv[0]);
        return EXIT_USAGE;
    }
    Error err;
    char *text;
    size_t len;
    if (read_file(data, &text, &len, &err) != 0) { fprintf(stderr, "argen %s: %s\n", argv[0], err.msg); return EXIT_FAIL; }
    if (len == 0) {
        fprintf(stderr, "argen %s: %s: empty file: nothing to train on\n", argv[0], data);
        free(text);
        return EXIT_FAIL;
    }
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "argen %s: %s: cannot create: %s\n", argv[0], out, strerror(errno));
        free(text);
        return EXIT_FAIL;
    }
    Progress p = {.start = now_seconds()};
    int n = bpe_train(text, len, (int)vocab, out, show_progress, &p, &err);
    free(text);
    fputc('\n', stderr);
    if (n < 0) { fprintf(stderr, "argen %s: %s\n", argv[0], err.msg); return EXIT_FAIL; }
    if (n < vocab)
        fprintf(stderr, "argen %s: %s has too few repeated pairs: stopped at %d tokens of the %ld asked for\n",
                argv[0], data, n, vocab);
    fprintf(stderr, "argen %s: wrote %s/vocab.json (%d tokens) and %s/merges.txt (%.1f s)\n", argv[0], out, n, out,
            now_seconds() - p.start);
    return 0;
}
