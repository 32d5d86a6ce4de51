/*
 * cmd_score.c - `argen score`: teacher forcing.  The whole text goes through
 * the model in one forward pass under the causal mask; every token after
 * the first gets the probability the model gave it (see score.h,
 * docs/variants.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/generate.h"
#include "cli/prompted_model.h"
#include "cli/text_input.h"
#include "decode/beam.h"

#include "formats/json.h"
#include "decode/score.h"
#include "trace/trace.h"

static const char *const usage_text =
    "usage: argen score --model DIR [--text TEXT | --file FILE | --ids 464,2068,...] [options]\n"
    "\n"
    "Runs the text through the model in one forward pass (teacher forcing: the\n"
    "true tokens are the context) and prints, for every token after the first,\n"
    "its probability, natural-log probability, rank (1 = the model's top choice,\n"
    "ties toward the lower id), surprisal and the entropy of the distribution it\n"
    "came from (bits); then the mean loss (nats/token) and the perplexity.\n"
    "The first token has nothing before it and is not scored.\n"
    "\n"
    TEXT_INPUT_USAGE
    "  --bos              prepend <|endoftext|> (bos_token_id) so the first token is scored too\n"
    "  --free-from K      also generate greedily from the first K tokens (1 <= K < n) for the\n"
    "                     rest of the length: where the model's own choices leave the text\n"
    "  --json             print the JSON document instead of the table\n"
    "  --trace FILE.json  write the JSON document (\"kind\": \"score\", traces/schema.json)\n"
    "  --no-special       treat \"<|endoftext|>\" in the text as plain text\n"
    "  --weights W        f32|f16|bf16: the weight matrices in memory (default: as stored)\n"
    "\n"
    "A text longer than the context window (n_positions) is refused: it is not\n"
    "scored in sliding windows.\n";

typedef struct {
    const char *model, *trace;
    TextInput in;            /* --text/--prompt, --file, --ids or stdin */
    int bos, json, allow_special;
    long free_from;          /* 0: off */
    LoadWeights weights;     /* --weights */
} ScoreOptions;

/* Greedy generation from the text's first K tokens, beside the reference. */
typedef struct {
    int from;                /* K */
    int *ids;                /* [n_free] generated tokens */
    double *probability;     /* [n_free] the probability each had when chosen */
    int n_free;
    const char *stop_reason;
} FreeRun;

/* ---- options ---- */

/* Returns 0, -1 after --help, or EXIT_USAGE. */
static int parse_options(int argc, char **argv, ScoreOptions *o) {
    const char *cmd = argv[0];
    memset(o, 0, sizeof *o);
    o->allow_special = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (cli_is_help(a)) { fputs(usage_text, stdout); return -1; }
        int in = text_input_option(cmd, argc, argv, &i, &o->in);
        if (in < 0) return EXIT_USAGE;
        if (in) continue;
        if (strcmp(a, "--bos") == 0) { o->bos = 1; continue; }
        if (strcmp(a, "--json") == 0) { o->json = 1; continue; }
        if (strcmp(a, "--no-special") == 0) { o->allow_special = 0; continue; }
        if (strcmp(a, "--free-from") == 0) {
            const char *v = cli_value(cmd, argc, argv, &i);
            if (!v || cli_long(cmd, a, v, 1, 1000000, &o->free_from)) return EXIT_USAGE;
            continue;
        }
        if (strcmp(a, "--weights") == 0) {
            const char *v = cli_value(cmd, argc, argv, &i);
            if (!v || cli_weights(cmd, v, &o->weights)) return EXIT_USAGE;
            continue;
        }
        if (strcmp(a, "--model") == 0) slot = &o->model;
        else if (strcmp(a, "--trace") == 0) slot = &o->trace;
        else return cli_unknown(cmd, a);
        if (!(*slot = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE;
    }
    if (!o->model) { fprintf(stderr, "argen %s: --model: expected a model folder\n", cmd); return EXIT_USAGE; }
    return text_input_check(cmd, &o->in);
}

/* The ids to score into *ids (malloc'ed), bos first when asked.  Returns 0,
 * or an exit code after printing. */
static int read_ids(const ScoreOptions *o, PromptedModel *pm, int **ids, int *n) {
    const char *cmd = "score";
    const GPT2Config *c = &pm->model.config;
    int *raw = NULL, n_raw = 0;
    Error err;
    if (o->in.ids) {
        if (cli_ids(cmd, "--ids", o->in.ids, c->vocab_size, &raw, &n_raw)) return EXIT_USAGE;
    } else {
        const char *opt = text_input_name(&o->in);
        if (!pm->has_tokenizer) {
            fprintf(stderr, "argen %s: %s: %s has no vocab.json/merges.txt: give token ids with --ids\n", cmd, opt, o->model);
            return EXIT_USAGE;
        }
        char *data = NULL;
        size_t len;
        int rc = text_input_read(cmd, &o->in, 1, &data, &len);
        if (rc != 0) return rc;
        rc = tokenizer_encode(&pm->tok, data, len, o->allow_special, &raw, &n_raw, &err);
        free(data);
        if (rc != 0) { fprintf(stderr, "argen %s: %s: %s\n", cmd, opt, err.msg); return EXIT_FAIL; }
        for (int i = 0; i < n_raw; i++)
            if (raw[i] >= c->vocab_size) {
                fprintf(stderr, "argen %s: %s: token %d is outside the model's vocabulary [0, %d)\n", cmd, opt, raw[i], c->vocab_size);
                free(raw);
                return EXIT_USAGE;
            }
    }
    *ids = malloc((size_t)(n_raw + 1) * sizeof **ids);
    if (!*ids) { free(raw); fprintf(stderr, "argen %s: out of memory\n", cmd); return EXIT_FAIL; }
    *n = 0;
    if (o->bos) (*ids)[(*n)++] = c->bos_token_id;
    memcpy(*ids + *n, raw, (size_t)n_raw * sizeof *raw);
    *n += n_raw;
    free(raw);
    return 0;
}

/* ---- free generation from a prefix ---- */

static int run_free(const GPT2 *m, const int *ids, int n, int from, FreeRun *fr, Error *err) {
    memset(fr, 0, sizeof *fr);
    fr->from = from;
    GenerateOptions go;
    generate_defaults(&go);          /* greedy */
    go.max_new_tokens = n - from;    /* as many tokens as the reference has left */
    Generator g;
    if (generator_init(&g, m, &go, ids, from, err) != 0) return -1;
    fr->ids = malloc((size_t)(n - from) * sizeof *fr->ids);
    fr->probability = malloc((size_t)(n - from) * sizeof *fr->probability);
    if (!fr->ids || !fr->probability) { generator_free(&g); return error_set(err, "score: out of memory"); }
    while (g.stop == STOP_NONE && !*cli_stop_flag()) {   /* Ctrl-C: the command writes nothing */
        int token;
        if (generate_step(&g, NULL, &token, err) != 0) { generator_free(&g); return -1; }
        /* g.state.logits still holds the row the token was chosen from */
        TokenScore ts;
        score_row(&ts, g.state.logits, m->config.vocab_size, token);
        fr->ids[fr->n_free] = token;
        fr->probability[fr->n_free++] = ts.probability;
    }
    fr->stop_reason = stop_reason_name(g.stop);
    generator_free(&g);
    return 0;
}

static void free_run_free(FreeRun *fr) {
    free(fr->ids);
    free(fr->probability);
}

/* ---- output ---- */

static void write_token(JsonWriter *w, const PromptedModel *pm, int id) {
    size_t len;
    if (!pm->has_tokenizer || id >= tokenizer_vocab_size(&pm->tok)) { jw_null(w); return; }
    const char *b = tokenizer_token_bytes(&pm->tok, id, &len);
    jw_string_n(w, b, len);
}

static void write_score_item(JsonWriter *w, const PromptedModel *pm, const TokenScore *s) {
    jw_object_begin(w);
    jw_key(w, "position"); jw_int(w, s->position);
    jw_key(w, "id"); jw_int(w, s->id);
    jw_key(w, "token"); write_token(w, pm, s->id);
    jw_key(w, "probability"); jw_float(w, s->probability);
    jw_key(w, "logprob"); jw_float(w, s->logprob);
    jw_key(w, "rank"); jw_int(w, s->rank);
    jw_key(w, "surprisal_bits"); jw_float(w, s->surprisal_bits);
    jw_key(w, "entropy_bits"); jw_float(w, s->entropy_bits);
    jw_key(w, "top");
    jw_object_begin(w);
    jw_key(w, "id"); jw_int(w, s->top_id);
    jw_key(w, "token"); write_token(w, pm, s->top_id);
    jw_key(w, "probability"); jw_float(w, s->top_probability);
    jw_object_end(w);
    jw_object_end(w);
}

static void write_free(JsonWriter *w, const PromptedModel *pm, const int *ids, int n, const FreeRun *fr) {
    jw_key(w, "free");
    jw_object_begin(w);
    jw_key(w, "from_position"); jw_int(w, fr->from);
    jw_key(w, "strategy"); jw_string(w, "greedy");
    jw_key(w, "ids");
    jw_array_begin(w); for (int i = 0; i < fr->n_free; i++) jw_int(w, fr->ids[i]); jw_array_end(w);
    jw_key(w, "tokens");
    jw_array_begin(w); for (int i = 0; i < fr->n_free; i++) write_token(w, pm, fr->ids[i]); jw_array_end(w);
    jw_key(w, "probability");
    jw_array_begin(w); for (int i = 0; i < fr->n_free; i++) jw_float(w, fr->probability[i]); jw_array_end(w);
    /* matches[i]: the free token at position from+i is the reference's */
    int diverge = -1;
    jw_key(w, "matches");
    jw_array_begin(w);
    for (int i = 0; i < fr->n_free; i++) {
        int same = fr->from + i < n && fr->ids[i] == ids[fr->from + i];
        if (!same && diverge < 0) diverge = fr->from + i;
        jw_bool(w, same);
    }
    jw_array_end(w);
    jw_key(w, "first_divergence");
    if (diverge < 0) jw_null(w); else jw_int(w, diverge);
    jw_key(w, "stop_reason"); jw_string(w, fr->stop_reason);
    jw_object_end(w);
}

/* The whole document: traces/schema.json, "kind": "score". */
static void write_score_doc(JsonWriter *w, const PromptedModel *pm, const ScoreOptions *o, const int *ids, int n,
                            const ScoreResult *r, size_t kv_bytes, const FreeRun *fr) {
    const GPT2Config *c = &pm->model.config;
    jw_object_begin(w);
    jw_key(w, "format"); jw_string(w, "argen-trace");
    jw_key(w, "version"); jw_int(w, TRACE_FORMAT_VERSION);
    jw_key(w, "kind"); jw_string(w, "score");
    jw_key(w, "model");
    jw_object_begin(w);
    jw_key(w, "dir"); jw_string(w, pm->model.dir);
    jw_key(w, "config"); trace_write_config(w, c);
    jw_object_end(w);
    jw_key(w, "bos_prepended"); jw_bool(w, o->bos);
    jw_key(w, "ids");
    jw_array_begin(w); for (int i = 0; i < n; i++) jw_int(w, ids[i]); jw_array_end(w);
    jw_key(w, "tokens");
    jw_array_begin(w); for (int i = 0; i < n; i++) write_token(w, pm, ids[i]); jw_array_end(w);
    jw_key(w, "forward");
    jw_object_begin(w);
    jw_key(w, "start_position"); jw_int(w, 0);
    jw_key(w, "tokens_processed"); jw_int(w, n);
    jw_key(w, "logit_rows"); jw_int(w, n);
    jw_key(w, "kv_cache_positions"); jw_int(w, n);
    jw_key(w, "kv_cache_bytes"); jw_int(w, (long long)kv_bytes);
    jw_object_end(w);
    jw_key(w, "scores");
    jw_array_begin(w);
    for (int i = 0; i < r->n_scored; i++) write_score_item(w, pm, &r->scores[i]);
    jw_array_end(w);
    jw_key(w, "summary");
    jw_object_begin(w);
    jw_key(w, "n_scored"); jw_int(w, r->n_scored);
    jw_key(w, "mean_loss_nats"); jw_float(w, r->mean_loss);
    jw_key(w, "perplexity"); jw_float(w, r->perplexity);
    jw_key(w, "total_surprisal_bits"); jw_float(w, r->total_bits);
    jw_key(w, "mean_surprisal_bits"); jw_float(w, r->total_bits / r->n_scored);
    jw_key(w, "top1_count"); jw_int(w, r->n_top1);
    jw_key(w, "top1_fraction"); jw_float(w, (double)r->n_top1 / r->n_scored);
    jw_object_end(w);
    if (fr) write_free(w, pm, ids, n, fr);
    jw_object_end(w);
}

/* A token for the table: its bytes with control characters escaped, at most 16 columns. */
static void print_token_cell(const PromptedModel *pm, int id) {
    char cell[64];
    size_t k = 0;
    size_t len = 0;
    const char *b = pm->has_tokenizer && id < tokenizer_vocab_size(&pm->tok) ? tokenizer_token_bytes(&pm->tok, id, &len) : NULL;
    if (!b) k = (size_t)snprintf(cell, sizeof cell, "#%d", id);
    for (size_t i = 0; b && i < len && k + 5 < sizeof cell && k < 16; i++) {
        unsigned char ch = (unsigned char)b[i];
        if (ch == '\n') { cell[k++] = '\\'; cell[k++] = 'n'; }
        else if (ch < 0x20 || ch == 0x7f) k += (size_t)snprintf(cell + k, sizeof cell - k, "\\x%02x", ch);
        else cell[k++] = (char)ch;
    }
    cell[k] = '\0';
    printf("%-16s", cell);
}

static void print_table(const PromptedModel *pm, const int *ids, const ScoreResult *r) {
    printf("%5s  %-16s  %10s  %9s  %6s  %12s  %12s  %s\n", "pos", "token", "p", "log p", "rank", "surprisal", "entropy", "model's top choice");
    printf("%5d  ", 0);
    print_token_cell(pm, ids[0]);
    printf("  (no prediction: nothing comes before the first token)\n");
    for (int i = 0; i < r->n_scored; i++) {
        const TokenScore *s = &r->scores[i];
        printf("%5d  ", s->position);
        print_token_cell(pm, s->id);
        printf("  %10.3e  %9.4f  %6d  %7.3f bits  %7.3f bits  ", s->probability, s->logprob, s->rank, s->surprisal_bits,
               s->entropy_bits);
        if (s->rank == 1) printf("=\n");
        else { print_token_cell(pm, s->top_id); printf(" (p %.3g)\n", s->top_probability); }
    }
    printf("%d tokens scored: mean loss %.4f nats/token, perplexity %.4f, %.2f bits in all, top-1 %d/%d\n",
           r->n_scored, r->mean_loss, r->perplexity, r->total_bits, r->n_top1, r->n_scored);
}

static void print_free(const PromptedModel *pm, const int *ids, int n, const FreeRun *fr) {
    Utf8Stream u = {{0}, 0};
    printf("free greedy generation from position %d (%s):\n  reference: ", fr->from, fr->stop_reason);
    print_tokens(pm, &u, ids + fr->from, n - fr->from, stdout);
    utf8_stream_flush(&u, stdout);
    printf("\n  model:     ");
    print_tokens(pm, &u, fr->ids, fr->n_free, stdout);
    utf8_stream_flush(&u, stdout);
    int same = 0;
    while (same < fr->n_free && fr->from + same < n && fr->ids[same] == ids[fr->from + same]) same++;
    printf("\n  the first %d generated token%s match the reference\n", same, same == 1 ? "" : "s");
}

static int write_trace_file(const char *path, const PromptedModel *pm, const ScoreOptions *o, const int *ids, int n,
                            const ScoreResult *r, size_t kv_bytes, const FreeRun *fr, Error *err) {
    AtomicFile af;
    if (atomic_open(&af, path, err) != 0) return -1;
    JsonWriter w;
    jw_init(&w, af.f, 2);
    write_score_doc(&w, pm, o, ids, n, r, kv_bytes, fr);
    return atomic_commit(&af, err);
}

int cmd_score(int argc, char **argv) {
    const char *cmd = argv[0];
    ScoreOptions o;
    int rc = parse_options(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    const NamedPath inputs[] = {{"--model", o.model}, {"--file", o.in.file}};
    const NamedPath outputs[] = {{"--trace", o.trace}};
    if (cli_check_outputs(cmd, inputs, 2, outputs, 1) != 0) return EXIT_USAGE;
    Error err;
    PromptedModel pm;
    if (prompted_model_load(&pm, o.model, o.weights, &err) != 0) { fprintf(stderr, "argen %s: %s\n", cmd, err.msg); return EXIT_FAIL; }
    int *ids = NULL, n = 0;
    ScoreResult r = {0};
    FreeRun fr = {0};
    size_t kv_bytes = 0;
    rc = read_ids(&o, &pm, &ids, &n);
    if (rc) goto done;
    const char *source = text_input_name(&o.in);
    if (n < 2 || n > pm.model.config.n_positions) {
        /* refused, not scored in sliding windows: every score sees the whole prefix */
        fprintf(stderr, "argen %s: %s: expected 2 to %d tokens (n_positions, the context window)%s, got %d\n", cmd, source,
                pm.model.config.n_positions, o.bos ? " including the prepended <|endoftext|>" : "", n);
        rc = EXIT_USAGE;
        goto done;
    }
    if (o.free_from && o.free_from >= n) {
        fprintf(stderr, "argen %s: --free-from: expected an integer in [1, %d] (the text has %d tokens), got '%ld'\n",
                cmd, n - 1, n, o.free_from);
        rc = EXIT_USAGE;
        goto done;
    }
    if (score_tokens(&pm.model, ids, n, &r, &kv_bytes, &err) != 0) {
        fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
        rc = EXIT_FAIL;
        goto done;
    }
    if (o.free_from && run_free(&pm.model, ids, n, (int)o.free_from, &fr, &err) != 0) {
        fprintf(stderr, "argen %s: --free-from: %s\n", cmd, err.msg);
        rc = EXIT_FAIL;
        goto done;
    }
    if (*cli_stop_flag()) {
        if (*cli_stop_flag() == SIGINT) fprintf(stderr, "argen %s: interrupted: nothing written\n", cmd);
        rc = EXIT_SIGINT;
        goto done;
    }
    if (o.trace && write_trace_file(o.trace, &pm, &o, ids, n, &r, kv_bytes, o.free_from ? &fr : NULL, &err) != 0) {
        fprintf(stderr, "argen %s: --trace: %s\n", cmd, err.msg);
        rc = EXIT_FAIL;
        goto done;
    }
    if (o.json) {
        JsonWriter w;
        jw_init(&w, stdout, 0);
        write_score_doc(&w, &pm, &o, ids, n, &r, kv_bytes, o.free_from ? &fr : NULL);
    } else {
        print_table(&pm, ids, &r);
        if (o.free_from) print_free(&pm, ids, n, &fr);
    }
    rc = 0;   /* main checks that stdout was written whole */
done:
    free_run_free(&fr);
    score_result_free(&r);
    free(ids);
    prompted_model_free(&pm);
    return rc;
}
