/*
 * cmd_detokenize.c - `argen detokenize`: token ids -> the exact bytes they
 * stand for (no newline added, nothing replaced: invalid UTF-8 stays).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "formats/tokenizer.h"

static const char *const usage_text =
    "usage: argen detokenize --model DIR [--ids ID,ID,...]\n"
    "\n"
    "Prints the bytes that token ids stand for, with DIR/vocab.json: exactly\n"
    "those bytes, no newline added, so that a text's ids give the text back.\n"
    "Without --ids, reads ids from stdin separated by commas, spaces or newlines.\n"
    "\n"
    "  --model DIR   folder with vocab.json and merges.txt (e.g. data/gpt2)\n"
    "  --ids LIST    comma-separated token ids\n";

/* Parses ids from text separated by commas and whitespace.  Prints the
 * first bad one and returns -1. */
static int parse_ids(const char *text, int vocab, int **ids, int *n) {
    size_t cap = 16, k = 0;
    int *out = malloc(cap * sizeof *out);
    if (!out) { fprintf(stderr, "argen detokenize: out of memory\n"); return -1; }
    const char *p = text;
    for (;;) {
        while (*p == ',' || isspace((unsigned char)*p)) p++;
        if (*p == '\0') break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        int bad = end == p || errno == ERANGE || v < 0 || v >= vocab ||
                  !(*end == '\0' || *end == ',' || isspace((unsigned char)*end));
        if (bad) {
            size_t w = strcspn(p, ", \t\r\n");
            fprintf(stderr, "argen detokenize: stdin: id %zu: expected a token id in [0, %d), got '%.*s'\n", k + 1,
                    vocab, (int)(w > 40 ? 40 : w), p);
            free(out);
            return -1;
        }
        if (k == cap) {
            int *b = realloc(out, 2 * cap * sizeof *out);
            if (!b) { free(out); fprintf(stderr, "argen detokenize: out of memory\n"); return -1; }
            out = b;
            cap *= 2;
        }
        out[k++] = (int)v;
        p = end;
    }
    *ids = out;
    *n = (int)k;
    return 0;
}

static char *read_stdin(void) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, stdin);
        if (n < cap) break;
        char *b = realloc(buf, 2 * cap + 1);
        if (!b) { free(buf); return NULL; }
        buf = b;
        cap *= 2;
    }
    if (buf) buf[n] = '\0';
    return buf;
}

int cmd_detokenize(int argc, char **argv) {
    const char *model = NULL, *ids_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) { fputs(usage_text, stdout); return 0; }
        if (strcmp(argv[i], "--model") == 0) { if (!(model = cli_value(argv[0], argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(argv[i], "--ids") == 0) { if (!(ids_arg = cli_value(argv[0], argc, argv, &i))) return EXIT_USAGE; }
        else return cli_unknown(argv[0], argv[i]);
    }
    if (!model) {
        fprintf(stderr, "argen %s: --model: expected a folder with vocab.json and merges.txt\n", argv[0]);
        return EXIT_USAGE;
    }
    Error err;
    Tokenizer t;
    if (tokenizer_load(&t, model, &err) != 0) {
        fprintf(stderr, "argen %s: %s\n", argv[0], err.msg);
        return EXIT_FAIL;
    }
    int *ids = NULL, n = 0, rc;
    if (ids_arg) rc = cli_ids(argv[0], "--ids", ids_arg, tokenizer_vocab_size(&t), &ids, &n);
    else {
        char *text = read_stdin();
        if (!text) { fprintf(stderr, "argen %s: cannot read stdin\n", argv[0]); tokenizer_free(&t); return EXIT_FAIL; }
        rc = parse_ids(text, tokenizer_vocab_size(&t), &ids, &n);
        free(text);
    }
    if (rc != 0) { tokenizer_free(&t); return EXIT_USAGE; }
    for (int i = 0; i < n; i++) {
        size_t len;
        const char *b = tokenizer_token_bytes(&t, ids[i], &len);
        fwrite(b, 1, len, stdout);
    }
    free(ids);
    tokenizer_free(&t);
    if (fflush(stdout) != 0) { fprintf(stderr, "argen %s: write failed\n", argv[0]); return EXIT_FAIL; }
    return 0;
}
