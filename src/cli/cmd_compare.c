/*
 * cmd_compare.c - `argen compare`: several decoding strategies on the same
 * prompt, side by side: one column per strategy, one row per step (token and
 * its probability), plus a combined JSON and a Markdown table.
 *
 * With --shared-draws every sampling strategy reads the same PCG32 stream,
 * so step i sees the same uniform draw u_i in every column and the
 * differences come from the strategy alone.  Without it, column c uses
 * stream c.  Repetition loops are found in each column (greedy's are the
 * classic case): the earliest position from which the tokens repeat with a
 * period L at least twice to the end.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/generate.h"
#include "cli/prompted_model.h"
#include "decode/beam.h"
#include "trace/trace.h"

#include "formats/json.h"

#define MAX_STRATEGIES 8

static const char *const usage_text =
    "usage: argen compare --model DIR (--prompt TEXT | --ids LIST) [options]\n"
    "\n"
    "  --strategies LIST   comma-separated: greedy, sample, top-k[=K], top-p[=P], min-p[=P], beam[=N]\n"
    "                      (default greedy,top-k=40,top-p=0.9,beam=4; at most 8)\n"
    "  --seed S            PCG32 seed, 0..2^53 (default 0)\n"
    "  --shared-draws      every sampling strategy gets the same sequence of uniform draws\n"
    "  --temperature T     for the sampling strategies, T >= 0 (default 1)\n"
    "  --max-new-tokens N  1..1024 (default 20)\n"
    "  --json FILE         write the combined result as JSON\n"
    "  --markdown FILE     write the side-by-side table as Markdown\n"
    "  --no-special        treat \"<|endoftext|>\" in the prompt as plain text\n"
    "  --ignore-eos        end-of-text is suppressed in the one-token-per-step columns (not beam)\n";

typedef struct {
    char name[32];            /* as given: "top-k=40" */
    SamplerSettings cfg;
    int *ids;                 /* [n] generated tokens */
    float *prob;              /* [n] the probability each had when chosen */
    float *entropy;           /* [n] entropy in bits of the distribution it came from (NaN for beam) */
    int n;
    StopReason stop;
    double score;             /* beam: the best hypothesis's score */
    int loop_start, loop_len; /* -1, 0 when no loop */
} Column;

/* ---- parsing ---- */

static int parse_strategy(const char *cmd, const char *item, Column *col) {
    char name[32];
    const char *eq = strchr(item, '=');
    size_t len = eq ? (size_t)(eq - item) : strlen(item);
    Strategy st;
    if (len >= sizeof name) len = sizeof name - 1;
    memcpy(name, item, len);
    name[len] = '\0';
    if (strategy_parse(name, &st) != 0 || st == STRATEGY_JACOBI) {   /* jacobi: argen generate only */
        fprintf(stderr, "argen %s: --strategies: expected greedy, sample, top-k[=K], top-p[=P], min-p[=P] or beam[=N], got '%s'\n", cmd, item);
        return -1;
    }
    sampler_defaults(&col->cfg, st);
    snprintf(col->name, sizeof col->name, "%s", item);
    if (!eq) return 0;
    long n;
    double d;
    if (st == STRATEGY_TOP_K) { if (cli_long(cmd, "--strategies top-k", eq + 1, 1, 0x7fffffffL, &n)) return -1; col->cfg.top_k = (int)n; }
    else if (st == STRATEGY_TOP_P) { if (cli_double(cmd, "--strategies top-p", eq + 1, 0, 1, 1, 0, &d)) return -1; col->cfg.top_p = (float)d; }
    else if (st == STRATEGY_MIN_P) { if (cli_double(cmd, "--strategies min-p", eq + 1, 0, 0, 1, 0, &d)) return -1; col->cfg.min_p = (float)d; }
    else if (st == STRATEGY_BEAM) { if (cli_long(cmd, "--strategies beam", eq + 1, 1, 64, &n)) return -1; col->cfg.beams = (int)n; }
    else { fprintf(stderr, "argen %s: --strategies: '%s' takes no value, got '%s'\n", cmd, name, item); return -1; }
    return 0;
}

static int parse_strategies(const char *cmd, const char *list, Column *cols, int *n_cols) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    *n_cols = 0;
    for (char *item = strtok(buf, ","); item; item = strtok(NULL, ",")) {
        if (*n_cols == MAX_STRATEGIES) { fprintf(stderr, "argen %s: --strategies: expected at most %d strategies\n", cmd, MAX_STRATEGIES); return -1; }
        memset(&cols[*n_cols], 0, sizeof cols[0]);
        if (parse_strategy(cmd, item, &cols[*n_cols]) != 0) return -1;
        (*n_cols)++;
    }
    if (*n_cols == 0) { fprintf(stderr, "argen %s: --strategies: expected at least one strategy\n", cmd); return -1; }
    return 0;
}

/* ---- running the columns ---- */

typedef struct { float prob, entropy_bits; } ChosenProb;

static void note_probability(void *ctx, const Selection *sel, const SamplerSettings *cfg, const Alternatives *alt,
                             const float *raw) {
    (void)cfg; (void)alt; (void)raw;
    ((ChosenProb *)ctx)->prob = sel->probs[sel->chosen];
    ((ChosenProb *)ctx)->entropy_bits = (float)(sel->entropy / 0.6931471805599453);  /* nats -> bits */
}

static int run_sampling_column(PromptedModel *pm, Column *col, uint64_t seed, uint64_t stream, int max_new, Error *err) {
    GenerateOptions o;
    generate_defaults(&o);
    o.sampling = col->cfg;
    o.seed = seed;
    o.stream = stream;
    o.max_new_tokens = max_new;
    Generator g;
    if (generator_init(&g, &pm->model, &o, pm->prompt, pm->n_prompt, err) != 0) return -1;
    ChosenProb cp = {0};
    Observer watch = {.ctx = &cp, .selection = note_probability};
    while (g.stop == STOP_NONE && !*cli_stop_flag()) {   /* Ctrl-C: the command writes nothing */
        int tok;
        if (generate_step(&g, &watch, &tok, err) != 0) { generator_free(&g); return -1; }
        col->ids[col->n] = tok;
        col->prob[col->n] = cp.prob;
        col->entropy[col->n] = cp.entropy_bits;
        col->n++;
    }
    col->stop = g.stop;
    generator_free(&g);
    return 0;
}

static int run_beam_column(PromptedModel *pm, Column *col, int max_new, Error *err) {
    const GPT2Config *c = &pm->model.config;
    int n_ctx = context_window(c, pm->n_prompt, max_new);
    Gpt2Beams gb;
    BeamModel bm;
    if (gpt2_beams_init(&gb, &bm, &pm->model, col->cfg.beams, n_ctx, 1, err) != 0) return -1;
    BeamOptions bo = {.beams = col->cfg.beams, .length_penalty = col->cfg.length_penalty,
                      .repetition_penalty = col->cfg.repetition_penalty, .max_new_tokens = max_new,
                      .max_len = c->n_positions, .interrupt = cli_stop_flag()};
    BeamResult r;
    int rc = beam_search(&bm, &bo, pm->prompt, pm->n_prompt, NULL, NULL, &r, err);
    gpt2_beams_free(&gb);
    if (rc != 0) return -1;
    const BeamHypothesis *h = &r.best[0];
    for (int i = 0; i < h->n_generated; i++) {
        col->ids[i] = h->ids[pm->n_prompt + i];
        col->prob[i] = (float)exp(h->logprobs[i]);
        col->entropy[i] = NAN;  /* beam search keeps no distribution per step */
    }
    col->n = h->n_generated;
    col->stop = h->stop;
    col->score = h->score;
    beam_result_free(&r);
    return 0;
}

/* The earliest start s (then the shortest period L) such that ids[s..n)
 * repeats with period L and holds at least two whole periods. */
static void find_loop(const int *ids, int n, int *start, int *len) {
    *start = -1;
    *len = 0;
    for (int s = 0; s < n; s++)
        for (int L = 1; 2 * L <= n - s; L++) {
            int periodic = 1;
            for (int i = s + L; i < n && periodic; i++) periodic = ids[i] == ids[i - L];
            if (periodic) { *start = s; *len = L; return; }
        }
}

/* ---- output ---- */

/* The token as visible text in buf: newlines and tabs escaped, ids without a vocabulary. */
static void token_label(const PromptedModel *pm, int id, char *buf, size_t cap) {
    size_t len = 0, k = 0;
    const char *b = pm->has_tokenizer ? tokenizer_token_bytes(&pm->tok, id, &len) : NULL;
    if (!b) { snprintf(buf, cap, "#%d", id); return; }
    for (size_t i = 0; i < len && k + 3 < cap; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c == '\n') { buf[k++] = '\\'; buf[k++] = 'n'; }
        else if (c == '\t') { buf[k++] = '\\'; buf[k++] = 't'; }
        else if (c == '|') { buf[k++] = '\\'; buf[k++] = '|'; }   /* Markdown cells */
        else if (c < 32) buf[k++] = '?';
        else buf[k++] = (char)c;
    }
    buf[k] = '\0';
}

static int max_steps(const Column *cols, int n_cols) {
    int n = 0;
    for (int c = 0; c < n_cols; c++) if (cols[c].n > n) n = cols[c].n;
    return n;
}

/* "'token' (0.123)" in the terminal, "`token` (0.123)" in Markdown; "~" marks a step inside a loop. */
static void print_cell(FILE *f, const PromptedModel *pm, const Column *col, int step, int markdown) {
    char label[128], cell[192] = "";
    if (step < col->n) {
        token_label(pm, col->ids[step], label, sizeof label);
        const char *q = markdown ? "`" : "'";
        int looped = col->loop_len > 0 && step >= col->loop_start;
        snprintf(cell, sizeof cell, "%s%s%s%s (%.3g)", looped ? "~" : "", q, label, q, col->prob[step]);
    }
    if (markdown) fprintf(f, " %s |", cell);
    else fprintf(f, " %-24s", cell);
}

static void print_table(FILE *f, const PromptedModel *pm, const Column *cols, int n_cols, int markdown) {
    fprintf(f, markdown ? "| step |" : "%-5s", markdown ? "" : "step");
    for (int c = 0; c < n_cols; c++) fprintf(f, markdown ? " %s |" : " %-24s", cols[c].name);
    fputc('\n', f);
    if (markdown) { fprintf(f, "|---:|"); for (int c = 0; c < n_cols; c++) fprintf(f, "---|"); fputc('\n', f); }
    int steps = max_steps(cols, n_cols);
    for (int s = 0; s < steps; s++) {
        fprintf(f, markdown ? "| %d |" : "%-5d", s);
        for (int c = 0; c < n_cols; c++) print_cell(f, pm, &cols[c], s, markdown);
        fputc('\n', f);
    }
    fprintf(f, markdown ? "| stop |" : "%-5s", markdown ? "" : "stop");
    for (int c = 0; c < n_cols; c++) fprintf(f, markdown ? " %s |" : " %-24s", stop_reason_name(cols[c].stop));
    fputc('\n', f);
    for (int c = 0; c < n_cols; c++)
        if (cols[c].loop_len > 0)
            fprintf(f, "%s%s: repetition loop from step %d, cycle length %d (marked ~)\n", markdown ? "\n" : "",
                    cols[c].name, cols[c].loop_start, cols[c].loop_len);
}

/* A token's bytes as a JSON string, or null without a vocabulary. */
static void write_token(JsonWriter *w, const PromptedModel *pm, int id) {
    size_t len = 0;
    const char *b = pm->has_tokenizer ? tokenizer_token_bytes(&pm->tok, id, &len) : NULL;
    if (b) jw_string_n(w, b, len); else jw_null(w);
}

/* [token, ...] of ids[0..n), then the whole text (null without a vocabulary). */
static void write_tokens_and_text(JsonWriter *w, const PromptedModel *pm, const int *ids, int n,
                                  const char *tokens_key, const char *text_key) {
    jw_key(w, tokens_key);
    jw_array_begin(w); for (int i = 0; i < n; i++) write_token(w, pm, ids[i]); jw_array_end(w);
    jw_key(w, text_key);
    if (!pm->has_tokenizer) { jw_null(w); return; }
    size_t total = 0, len;
    for (int i = 0; i < n; i++) { tokenizer_token_bytes(&pm->tok, ids[i], &len); total += len; }
    char *text = malloc(total + 1);
    if (!text) { jw_null(w); return; }   /* out of memory: the tokens above say it all */
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        const char *b = tokenizer_token_bytes(&pm->tok, ids[i], &len);
        memcpy(text + at, b, len);
        at += len;
    }
    jw_string_n(w, text, at);
    free(text);
}

static void write_json(FILE *f, const PromptedModel *pm, const Column *cols, int n_cols, uint64_t seed, int shared) {
    JsonWriter w;
    jw_init(&w, f, 2);
    jw_object_begin(&w);
    jw_key(&w, "format"); jw_string(&w, "argen-compare");
    jw_key(&w, "version"); jw_int(&w, 1);
    jw_key(&w, "seed"); jw_int(&w, (long long)seed);
    jw_key(&w, "shared_draws"); jw_bool(&w, shared);
    jw_key(&w, "prompt_ids");
    jw_array_begin(&w); for (int i = 0; i < pm->n_prompt; i++) jw_int(&w, pm->prompt[i]); jw_array_end(&w);
    write_tokens_and_text(&w, pm, pm->prompt, pm->n_prompt, "prompt_tokens", "prompt_text");
    jw_key(&w, "strategies");
    jw_array_begin(&w);
    for (int c = 0; c < n_cols; c++) {
        const Column *col = &cols[c];
        jw_object_begin(&w);
        jw_key(&w, "name"); jw_string(&w, col->name);
        jw_key(&w, "strategy"); jw_string(&w, strategy_name(col->cfg.strategy));
        jw_key(&w, "top_k"); jw_int(&w, col->cfg.top_k);
        jw_key(&w, "top_p"); jw_float(&w, col->cfg.top_p);
        jw_key(&w, "min_p"); jw_float(&w, col->cfg.min_p);
        jw_key(&w, "temperature"); jw_float(&w, col->cfg.temperature);
        jw_key(&w, "beams"); jw_int(&w, col->cfg.strategy == STRATEGY_BEAM ? col->cfg.beams : 0);
        jw_key(&w, "stop_reason"); jw_string(&w, stop_reason_name(col->stop));
        if (col->cfg.strategy == STRATEGY_BEAM) { jw_key(&w, "score"); jw_float(&w, col->score); }
        jw_key(&w, "loop");
        if (col->loop_len > 0) {
            jw_object_begin(&w);
            jw_key(&w, "start_step"); jw_int(&w, col->loop_start);
            jw_key(&w, "length"); jw_int(&w, col->loop_len);
            jw_object_end(&w);
        } else jw_null(&w);
        write_tokens_and_text(&w, pm, col->ids, col->n, "tokens", "text");
        jw_key(&w, "steps");
        jw_array_begin(&w);
        for (int s = 0; s < col->n; s++) {
            jw_object_begin(&w);
            jw_key(&w, "id"); jw_int(&w, col->ids[s]);
            jw_key(&w, "token"); write_token(&w, pm, col->ids[s]);
            jw_key(&w, "probability"); jw_float(&w, col->prob[s]);
            jw_key(&w, "entropy_bits"); jw_float(&w, col->entropy[s]);  /* null for beam search */
            jw_object_end(&w);
        }
        jw_array_end(&w);
        jw_object_end(&w);
    }
    jw_array_end(&w);
    jw_object_end(&w);   /* jw ends the document with a newline */
}

/* ---- the command ---- */

typedef struct {
    const char *model, *prompt, *ids, *strategies, *json, *markdown;
    uint64_t seed;
    int shared, allow_special, max_new;
    int ignore_eos;           /* --ignore-eos: min-new-tokens = max-new-tokens */
    double temperature;
} CompareOptions;

static int parse_options(int argc, char **argv, CompareOptions *o) {
    const char *cmd = argv[0];
    memset(o, 0, sizeof *o);
    o->strategies = "greedy,top-k=40,top-p=0.9,beam=4";
    o->allow_special = 1;
    o->max_new = 20;
    o->temperature = 1.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        long n;
        Error terr;
        if (cli_is_help(a)) { fputs(usage_text, stdout); return -1; }
        if (strcmp(a, "--shared-draws") == 0) { o->shared = 1; continue; }
        if (strcmp(a, "--no-special") == 0) { o->allow_special = 0; continue; }
        if (strcmp(a, "--ignore-eos") == 0) { o->ignore_eos = 1; continue; }
        if (strcmp(a, "--model") && strcmp(a, "--prompt") && strcmp(a, "--ids") && strcmp(a, "--strategies") &&
            strcmp(a, "--json") && strcmp(a, "--markdown") && strcmp(a, "--seed") && strcmp(a, "--max-new-tokens") &&
            strcmp(a, "--temperature"))
            return cli_unknown(cmd, a);
        if (!(v = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE;
        if (!strcmp(a, "--model")) o->model = v;
        else if (!strcmp(a, "--prompt")) o->prompt = v;
        else if (!strcmp(a, "--ids")) o->ids = v;
        else if (!strcmp(a, "--strategies")) o->strategies = v;
        else if (!strcmp(a, "--json")) o->json = v;
        else if (!strcmp(a, "--markdown")) o->markdown = v;
        else if (!strcmp(a, "--seed")) { if (cli_long(cmd, a, v, 0, CLI_SEED_MAX, &n)) return EXIT_USAGE; o->seed = (uint64_t)n; }
        else if (!strcmp(a, "--max-new-tokens")) { if (cli_long(cmd, a, v, 1, 1024, &n)) return EXIT_USAGE; o->max_new = (int)n; }
        else if (cli_double(cmd, a, v, 0, 0, SAMPLER_TEMPERATURE_MAX, 0, &o->temperature)) return EXIT_USAGE;
        else if (sampler_check_temperature(o->temperature, &terr) != 0) {
            fprintf(stderr, "argen %s: %s\n", cmd, terr.msg);
            return EXIT_USAGE;
        }
    }
    if (!o->model) { fprintf(stderr, "argen %s: --model: expected a model folder\n", cmd); return EXIT_USAGE; }
    if (!o->prompt == !o->ids) { fprintf(stderr, "argen %s: --prompt: expected exactly one of --prompt TEXT or --ids LIST\n", cmd); return EXIT_USAGE; }
    if (o->prompt && !*o->prompt) { fprintf(stderr, "argen %s: --prompt: expected a non-empty text\n", cmd); return EXIT_USAGE; }
    return 0;
}

static int write_file(const char *path, const PromptedModel *pm, const Column *cols, int n_cols,
                      const CompareOptions *o, int markdown, Error *err) {
    AtomicFile af;
    if (atomic_open(&af, path, err) != 0) return -1;
    if (markdown) print_table(af.f, pm, cols, n_cols, 1);
    else write_json(af.f, pm, cols, n_cols, o->seed, o->shared);
    return atomic_commit(&af, err);
}

int cmd_compare(int argc, char **argv) {
    const char *cmd = argv[0];
    CompareOptions o;
    Column cols[MAX_STRATEGIES];
    int n_cols = 0;
    int rc = parse_options(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    if (parse_strategies(cmd, o.strategies, cols, &n_cols) != 0) return EXIT_USAGE;
    const NamedPath inputs[] = {{"--model", o.model}};
    const NamedPath outputs[] = {{"--json", o.json}, {"--markdown", o.markdown}};
    if (cli_check_outputs(cmd, inputs, 1, outputs, 2) != 0) return EXIT_USAGE;
    Error err;
    PromptedModel pm;
    if (prompted_model_load(&pm, o.model, &err) != 0) { fprintf(stderr, "argen %s: %s\n", cmd, err.msg); return EXIT_FAIL; }
    if (prompted_model_prompt(&pm, o.prompt, o.ids, o.allow_special, &err) != 0) {
        fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
        prompted_model_free(&pm);
        return EXIT_USAGE;
    }
    rc = 0;
    const volatile sig_atomic_t *stop = cli_stop_flag();
    for (int c = 0; c < n_cols && rc == 0 && !*stop; c++) {
        Column *col = &cols[c];
        col->ids = malloc((size_t)o.max_new * sizeof *col->ids);
        col->prob = malloc((size_t)o.max_new * sizeof *col->prob);
        col->entropy = malloc((size_t)o.max_new * sizeof *col->entropy);
        if (!col->ids || !col->prob || !col->entropy) { error_set(&err, "out of memory"); rc = -1; break; }
        if (col->cfg.strategy != STRATEGY_GREEDY && col->cfg.strategy != STRATEGY_BEAM) col->cfg.temperature = (float)o.temperature;
        if (o.ignore_eos && col->cfg.strategy != STRATEGY_BEAM) col->cfg.min_new_tokens = o.max_new;
        rc = col->cfg.strategy == STRATEGY_BEAM ? run_beam_column(&pm, col, o.max_new, &err)
           : run_sampling_column(&pm, col, o.seed, o.shared ? 0 : (uint64_t)c, o.max_new, &err);
        if (rc == 0) find_loop(col->ids, col->n, &col->loop_start, &col->loop_len);
    }
    if (rc == 0 && *stop) {
        if (*stop == SIGINT) fprintf(stderr, "argen %s: interrupted: nothing written\n", cmd);
        rc = EXIT_SIGINT;
    }
    if (rc == 0) print_table(stdout, &pm, cols, n_cols, 0);
    if (rc == 0 && o.json) rc = write_file(o.json, &pm, cols, n_cols, &o, 0, &err);
    if (rc == 0 && o.markdown) rc = write_file(o.markdown, &pm, cols, n_cols, &o, 1, &err);
    if (rc == -1) fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
    for (int c = 0; c < n_cols; c++) { free(cols[c].ids); free(cols[c].prob); free(cols[c].entropy); }
    prompted_model_free(&pm);
    return rc == 0 ? 0 : rc == EXIT_SIGINT ? EXIT_SIGINT : EXIT_FAIL;
}
