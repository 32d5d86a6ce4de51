/*
 * cmd_tokenize.c - `argen tokenize`: text -> GPT-2 tokens.
 *
 * Prints a table (index, id, byte offsets, token as visible text), or
 * {"ids": [...]} with --json.  --trace FILE.json records how every word was
 * built: the pre-tokenizer's split, the byte symbols each word starts as,
 * then every merge applied, in order, with its rank.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/text_input.h"
#include "formats/json.h"
#include "formats/tokenizer.h"

static const char *const usage_text =
    "usage: argen tokenize --model DIR [--text TEXT | --file FILE | --ids LIST] [--json] [--trace FILE.json]\n"
    "                      [--no-special]\n"
    "\n"
    "Splits text (any bytes) into GPT-2 tokens with DIR/vocab.json and\n"
    "DIR/merges.txt; with --ids, shows the table of those tokens instead.\n"
    "\n"
    TEXT_INPUT_USAGE
    "  --model DIR        folder with vocab.json and merges.txt (e.g. data/gpt2)\n"
    "  --json             print {\"ids\": [...]} instead of the table\n"
    "  --trace FILE.json  write each word's pre-tokenized bytes and every merge, with its rank\n"
    "  --no-special       treat \"<|endoftext|>\" as plain text, not the special token\n"
    "\n"
    "Table columns: index, id, [start, end) byte offsets in the input, the token's\n"
    "bytes with a space shown as '\xE2\x90\xA3', \\n \\r \\t for those, \\xNN for other control\n"
    "bytes and for bytes that are not (complete) UTF-8, \\\\ for a backslash.\n";

typedef struct {
    const char *model;
    const char *trace;
    TextInput in;            /* --text/--prompt, --file, --ids or stdin */
    int json;
    int allow_special;
} TokenizeOptions;

/* Returns 0, or an exit status (-1 = --help printed, exit 0). */
static int parse_options(int argc, char **argv, TokenizeOptions *o) {
    memset(o, 0, sizeof *o);
    o->allow_special = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(usage_text, stdout); return -1; }
        int in = text_input_option(argv[0], argc, argv, &i, &o->in);
        if (in < 0) return EXIT_USAGE;
        if (in) continue;
        if (strcmp(a, "--model") == 0) { if (!(o->model = cli_value(argv[0], argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(a, "--trace") == 0) { if (!(o->trace = cli_value(argv[0], argc, argv, &i))) return EXIT_USAGE; }
        else if (strcmp(a, "--json") == 0) o->json = 1;
        else if (strcmp(a, "--no-special") == 0) o->allow_special = 0;
        else return cli_unknown(argv[0], a);
    }
    if (!o->model) {
        fprintf(stderr, "argen %s: --model: expected a folder with vocab.json and merges.txt\n", argv[0]);
        return EXIT_USAGE;
    }
    if (o->in.ids && o->trace) {
        fprintf(stderr, "argen %s: --trace: records how a text is split: expected --text, --file or stdin, "
                "not --ids\n", argv[0]);
        return EXIT_USAGE;
    }
    return text_input_check(argv[0], &o->in);
}

/* Writes a token's bytes so that spaces, line ends and broken UTF-8 show. */
static void print_visible(FILE *f, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        int k = utf8_valid_len(p + i, n - i);
        if (c == ' ') fputs("\xE2\x90\xA3", f);   /* U+2423 OPEN BOX */
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\r') fputs("\\r", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c == '\\') fputs("\\\\", f);
        else if (k == 0 || c < 0x20 || c == 0x7F) fprintf(f, "\\x%02X", c);
        else { fwrite(p + i, 1, (size_t)k, f); i += (size_t)k; continue; }
        i++;
    }
}

static void print_table(const Tokenizer *t, const int *ids, int n) {
    printf("%6s %7s %9s %9s  %s\n", "index", "id", "start", "end", "token");
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        size_t len;
        tokenizer_token_bytes(t, ids[i], &len);
        printf("%6d %7d %9zu %9zu  ", i, ids[i], at, at + len);
        if (ids[i] == tokenizer_eot_id(t)) fputs("<|endoftext|> (special)", stdout);
        else print_visible(stdout, tokenizer_token_bytes(t, ids[i], &len), len);
        putchar('\n');
        at += len;
    }
}

static void print_json(const int *ids, int n) {
    JsonWriter w;
    jw_init(&w, stdout, 0);
    jw_object_begin(&w);
    jw_key(&w, "ids");
    jw_array_begin(&w);
    for (int i = 0; i < n; i++) jw_int(&w, ids[i]);
    jw_array_end(&w);
    jw_object_end(&w);
    putchar('\n');
}

/* ---- the trace ---- */

typedef struct {
    JsonWriter *w;
    const Tokenizer *t;
} TraceCtx;

static void token_text(JsonWriter *w, const Tokenizer *t, int id) {
    size_t len;
    const char *b = tokenizer_token_bytes(t, id, &len);
    jw_string_n(w, b, len);
}

static void trace_merge(void *ctx, size_t offset, int left, int right, int merged, int rank) {
    TraceCtx *c = ctx;
    jw_object_begin(c->w);
    jw_key(c->w, "rank"); jw_int(c->w, rank);
    jw_key(c->w, "offset"); jw_int(c->w, (long long)offset);
    jw_key(c->w, "left"); jw_int(c->w, left);
    jw_key(c->w, "right"); jw_int(c->w, right);
    jw_key(c->w, "merged"); jw_int(c->w, merged);
    jw_key(c->w, "left_text"); token_text(c->w, c->t, left);
    jw_key(c->w, "right_text"); token_text(c->w, c->t, right);
    jw_key(c->w, "merged_text"); token_text(c->w, c->t, merged);
    jw_object_end(c->w);
}

static int trace_word(JsonWriter *w, const Tokenizer *t, const char *text, size_t start, size_t end, Error *err) {
    jw_object_begin(w);
    jw_key(w, "offset"); jw_int(w, (long long)start);
    jw_key(w, "bytes"); jw_int(w, (long long)(end - start));
    jw_key(w, "text"); jw_string_n(w, text + start, end - start);
    jw_key(w, "special"); jw_bool(w, 0);
    jw_key(w, "symbols");
    jw_array_begin(w);
    for (size_t i = start; i < end; i++) jw_int(w, t->byte_id[(unsigned char)text[i]]);
    jw_array_end(w);
    jw_key(w, "merges");
    jw_array_begin(w);
    TraceCtx ctx = {w, t};
    int *ids, n;
    if (tokenizer_bpe_word(t, text + start, end - start, &ids, &n, trace_merge, &ctx, err) != 0) return -1;
    jw_array_end(w);
    jw_key(w, "ids");
    jw_array_begin(w);
    for (int i = 0; i < n; i++) jw_int(w, ids[i]);
    jw_array_end(w);
    jw_object_end(w);
    free(ids);
    return 0;
}

static void trace_special(JsonWriter *w, const Tokenizer *t, size_t at) {
    jw_object_begin(w);
    jw_key(w, "offset"); jw_int(w, (long long)at);
    jw_key(w, "bytes"); jw_int(w, (long long)strlen(TOKENIZER_EOT_TEXT));
    jw_key(w, "text"); jw_string(w, TOKENIZER_EOT_TEXT);
    jw_key(w, "special"); jw_bool(w, 1);
    jw_key(w, "ids"); jw_array_begin(w); jw_int(w, tokenizer_eot_id(t)); jw_array_end(w);
    jw_object_end(w);
}

/* The same walk as tokenizer_encode, written out word by word. */
static int write_trace(const char *path, const char *model, const Tokenizer *t, const char *text, size_t len,
                       int allow_special, const int *ids, int n, Error *err) {
    AtomicFile af;
    if (atomic_open(&af, path, err) != 0) return -1;
    JsonWriter w;
    jw_init(&w, af.f, 2);
    jw_object_begin(&w);
    jw_key(&w, "kind"); jw_string(&w, "tokenize");
    jw_key(&w, "model"); jw_string(&w, model);
    jw_key(&w, "text"); jw_string_n(&w, text, len);
    jw_key(&w, "allow_special"); jw_bool(&w, allow_special);
    jw_key(&w, "words");
    jw_array_begin(&w);
    int special = allow_special && tokenizer_eot_id(t) >= 0;
    for (size_t pos = 0; pos < len;) {
        size_t cut = special ? tokenizer_find_eot(text, len, pos) : len;
        for (size_t p = pos; p < cut;) {
            size_t e = tokenizer_next_word(text, cut, p);
            if (trace_word(&w, t, text, p, e, err) != 0) { atomic_abort(&af); return -1; }
            p = e;
        }
        if (cut == len) break;
        trace_special(&w, t, cut);
        pos = cut + strlen(TOKENIZER_EOT_TEXT);
    }
    jw_array_end(&w);
    jw_key(&w, "ids");
    jw_array_begin(&w);
    for (int i = 0; i < n; i++) jw_int(&w, ids[i]);
    jw_array_end(&w);
    jw_object_end(&w);
    fputc('\n', af.f);
    return atomic_commit(&af, err);
}

int cmd_tokenize(int argc, char **argv) {
    TokenizeOptions o;
    int rc = parse_options(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    const int from_stdin = !o.in.text && !o.in.ids && (!o.in.file || strcmp(o.in.file, "-") == 0);
    const NamedPath inputs[] = {{"--model", o.model}, {"--file", o.in.file},
                                {"standard input", from_stdin ? "/dev/stdin" : NULL}};
    const NamedPath outputs[] = {{"--trace", o.trace}};
    if (cli_check_outputs(argv[0], inputs, 3, outputs, 1) != 0) return EXIT_USAGE;
    Error err;
    Tokenizer t;
    if (tokenizer_load(&t, o.model, &err) != 0) {
        fprintf(stderr, "argen %s: %s\n", argv[0], err.msg);
        return EXIT_FAIL;
    }
    char *text = NULL;
    size_t len = 0;
    int *ids = NULL, n = 0;
    if (o.in.ids) rc = cli_ids(argv[0], "--ids", o.in.ids, tokenizer_vocab_size(&t), &ids, &n) ? EXIT_USAGE : 0;
    else if ((rc = text_input_read(argv[0], &o.in, 1, &text, &len)) != 0) {}
    else if (tokenizer_encode(&t, text, len, o.allow_special, &ids, &n, &err) != 0) {
        fprintf(stderr, "argen %s: %s\n", argv[0], err.msg);
        rc = EXIT_FAIL;
    }
    if (rc != 0) {}
    else if (*cli_stop_flag()) rc = EXIT_SIGINT;   /* Ctrl-C: nothing written */
    else if (o.trace && write_trace(o.trace, o.model, &t, text, len, o.allow_special, ids, n, &err) != 0) {
        fprintf(stderr, "argen %s: %s\n", argv[0], err.msg);
        rc = EXIT_FAIL;
    } else if (o.json) print_json(ids, n);
    else print_table(&t, ids, n);   /* main checks that stdout was written whole */
    free(ids);
    free(text);
    tokenizer_free(&t);
    return rc;
}
