/*
 * cmd_compare.c - `argen compare`: several decoding strategies on the same
 * prompt, side by side: one column per strategy, one row per step (token and
 * its probability), plus a combined JSON and a Markdown table.
 *
 * Per strategy the terminal shows its whole text, its total log-probability
 * and its first divergence from the first strategy (greedy by default),
 * compared by text position; the tokens that differ are marked in colour on
 * a terminal and in [brackets] elsewhere, and repetition loops are marked
 * wherever they occur.
 *
 * With --shared-draws every sampling strategy reads the same PCG32 stream,
 * so step i sees the same uniform draw u_i in every column and the
 * differences come from the strategy alone.  Without it, column c uses
 * stream c.
 */
#define _POSIX_C_SOURCE 200809L   /* isatty, fileno */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    "  --ignore-eos        end-of-text is suppressed in the one-token-per-step columns (not beam)\n"
    "  --weights W         f32|f16|bf16: the weight matrices in memory (default: as stored)\n";

typedef struct { int start, end, len; } Loop;   /* tokens [start, end) repeat with period len */

typedef struct {
    char name[32];            /* as given: "top-k=40" */
    SamplerSettings cfg;
    int *ids;                 /* [n] generated tokens */
    float *prob;              /* [n] the probability each had when chosen */
    float *entropy;           /* [n] entropy in bits of the distribution it came from (NaN for beam) */
    int n;
    StopReason stop;
    double score;             /* beam: the best hypothesis's score */
    int loop_start, loop_len; /* the loop that runs to the end: -1, 0 when none */
    Loop *loops;              /* [n_loops] every repetition loop, in order */
    int n_loops;
    unsigned char *in_loop;   /* [n] 1 inside a loop */
    unsigned char *differs;   /* [n] 1 when the first column's text differs here */
    int diverge;              /* the first token that differs, -1 when none */
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
    ((ChosenProb *)ctx)->entropy_bits = (float)(sel->entropy_nats / 0.6931471805599453);  /* nats -> bits */
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

/* ---- what differs, and where it loops ---- */

/* The column's text: the bytes of its tokens end to end (NULL without a vocabulary). */
static unsigned char *column_text(const PromptedModel *pm, const Column *col, size_t *n_bytes) {
    size_t total = 0, len;
    *n_bytes = 0;
    if (!pm->has_tokenizer) return NULL;
    for (int i = 0; i < col->n; i++) { tokenizer_token_bytes(&pm->tok, col->ids[i], &len); total += len; }
    unsigned char *text = malloc(total + 1);
    if (!text) return NULL;
    for (int i = 0; i < col->n; i++) {
        const char *b = tokenizer_token_bytes(&pm->tok, col->ids[i], &len);
        memcpy(text + *n_bytes, b, len);
        *n_bytes += len;
    }
    return text;
}

/* Columns are compared with the first by text position, not token index:
 * token s differs when the first column's text does not hold the same bytes
 * at the same offset.  A word one strategy splits into three tokens and
 * another keeps whole is the same text, and nothing after it is flagged
 * because of the split.  Without a vocabulary tokens are compared by id at
 * the same index.  Fills col->differs and col->diverge (the first that
 * differs, or -1).  Returns -1 when out of memory. */
static int mark_differences(const PromptedModel *pm, const Column *ref, Column *col) {
    size_t ref_len = 0, at = 0, len;
    unsigned char *ref_text = column_text(pm, ref, &ref_len);
    if (pm->has_tokenizer && !ref_text) return -1;
    col->diverge = -1;
    for (int s = 0; s < col->n; s++) {
        if (col == ref) col->differs[s] = 0;
        else if (!pm->has_tokenizer) col->differs[s] = s >= ref->n || ref->ids[s] != col->ids[s];
        else {
            const char *b = tokenizer_token_bytes(&pm->tok, col->ids[s], &len);
            col->differs[s] = !(at + len <= ref_len && memcmp(ref_text + at, b, len) == 0);
            at += len;
        }
        if (col->differs[s] && col->diverge < 0) col->diverge = s;
    }
    free(ref_text);
    return 0;
}

/* A repetition loop is a run of tokens that repeats with a period L at
 * least twice over and spans at least LOOP_MIN_TOKENS tokens (so "very
 * very" is not one, "! ! !" is).  Loops are found anywhere, not only at the
 * end: from each position the shortest period that starts a loop there,
 * extended as far as the tokens keep repeating; the scan resumes after it.
 * Fills col->loops, col->n_loops and col->in_loop; col->loop_start and
 * col->loop_len are the loop that runs to the end, if one does. */
#define LOOP_MIN_TOKENS 3
static void find_loops(Column *col) {
    const int *ids = col->ids;
    int n = col->n;
    col->n_loops = 0;
    col->loop_start = -1;
    col->loop_len = 0;
    memset(col->in_loop, 0, (size_t)n);
    for (int s = 0; s < n;) {
        int found = 0;
        for (int L = 1; 2 * L <= n - s && !found; L++) {
            int e = s + L;
            while (e < n && ids[e] == ids[e - L]) e++;
            if (e - s >= 2 * L && e - s >= LOOP_MIN_TOKENS) {
                col->loops[col->n_loops++] = (Loop){.start = s, .end = e, .len = L};
                memset(col->in_loop + s, 1, (size_t)(e - s));
                if (e == n) { col->loop_start = s; col->loop_len = L; }
                s = e;
                found = 1;
            }
        }
        if (!found) s++;
    }
}

static double total_logprob(const Column *col) {
    double sum = 0;
    for (int s = 0; s < col->n; s++) sum += log((double)col->prob[s]);
    return sum;
}

/* ---- output ---- */

/* How differing tokens and loops are marked: ANSI colour on a terminal,
 * brackets elsewhere (a pipe, a file, Markdown). */
typedef struct {
    const char *diff_on, *diff_off;   /* around a token that differs from the first column */
    const char *loop_on, *loop_off;   /* around a repetition loop */
    int visible;                      /* 1 when the marks take room on the line */
} Marks;

static const Marks plain_marks = {"[", "]", "{", "}", 1};
static const Marks ansi_marks = {"\033[1;31m", "\033[22;39m", "\033[4m", "\033[24m", 0};  /* bold red; underline */

/* The token as visible text in buf: newlines and tabs escaped, ids without
 * a vocabulary; '|' escaped only for a Markdown cell. */
static void token_label(const PromptedModel *pm, int id, int markdown, char *buf, size_t cap) {
    size_t len = 0, k = 0;
    const char *b = pm->has_tokenizer ? tokenizer_token_bytes(&pm->tok, id, &len) : NULL;
    if (!b) { snprintf(buf, cap, "#%d", id); return; }
    for (size_t i = 0; i < len && k + 3 < cap; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c == '\n') { buf[k++] = '\\'; buf[k++] = 'n'; }
        else if (c == '\t') { buf[k++] = '\\'; buf[k++] = 't'; }
        else if (c == '|' && markdown) { buf[k++] = '\\'; buf[k++] = '|'; }
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

/* Display width of a UTF-8 string: its bytes that do not continue a character. */
static int text_width(const char *s) {
    int w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* One cell: "'token' p=0.477", the token between the difference marks when
 * it differs from the first column, "~" in front inside a loop.  The
 * terminal pads to a fixed width (marks that print nothing do not count). */
static void print_cell(FILE *f, const PromptedModel *pm, const Column *col, int step, int markdown, const Marks *m) {
    char label[128], cell[256] = "";
    int width = 0;
    if (step < col->n) {
        token_label(pm, col->ids[step], markdown, label, sizeof label);
        const char *q = markdown ? "`" : "'";
        int d = col->differs[step];
        snprintf(cell, sizeof cell, "%s%s%s%s%s%s p=%.3g", col->in_loop[step] ? "~" : "", d ? m->diff_on : "", q, label, q,
                 d ? m->diff_off : "", col->prob[step]);
        width = text_width(cell);
        if (d && !m->visible) width -= text_width(m->diff_on) + text_width(m->diff_off);
    }
    if (markdown) { fprintf(f, " %s |", cell); return; }
    fprintf(f, " %s%*s", cell, width < 26 ? 26 - width : 0, "");
}

/* 1 when a loop of the column starts at token s. */
static int loop_starts_at(const Column *col, int s) {
    for (int k = 0; k < col->n_loops; k++) if (col->loops[k].start == s) return 1;
    return 0;
}

/* The column's whole text: a run of differing tokens between one pair of
 * difference marks, each loop between loop marks (a difference run is cut
 * at a loop's edge so the marks nest). */
static void print_text(FILE *f, const PromptedModel *pm, const Column *col, const Marks *m) {
    char label[128];
    for (int s = 0; s < col->n; s++) {
        int loop_begins = col->in_loop[s] && (s == 0 || !col->in_loop[s - 1] || loop_starts_at(col, s));
        int loop_ends = col->in_loop[s] && (s + 1 == col->n || !col->in_loop[s + 1] || loop_starts_at(col, s + 1));
        int next_loop_edge = s + 1 < col->n && (col->in_loop[s + 1] != col->in_loop[s] || loop_starts_at(col, s + 1));
        int diff_begins = col->differs[s] && (s == 0 || !col->differs[s - 1] || loop_begins ||
                                              col->in_loop[s] != col->in_loop[s - 1]);
        int diff_ends = col->differs[s] && (s + 1 == col->n || !col->differs[s + 1] || loop_ends || next_loop_edge);
        token_label(pm, col->ids[s], 0, label, sizeof label);
        fprintf(f, "%s%s%s%s%s", loop_begins ? m->loop_on : "", diff_begins ? m->diff_on : "", label,
                diff_ends ? m->diff_off : "", loop_ends ? m->loop_off : "");
    }
}

/* Per strategy: stop reason, tokens, Σ log p, the first divergence from the
 * first column, its loops, and its whole text. */
static void print_summary(FILE *f, const PromptedModel *pm, const Column *cols, int n_cols, int markdown,
                          const Marks *m) {
    char label[128], ref_label[128];
    const Column *ref = &cols[0];
    if (pm->has_tokenizer) {
        fprintf(f, markdown ? "prompt: `" : "prompt: ");
        for (int i = 0; i < pm->n_prompt; i++) { token_label(pm, pm->prompt[i], 0, label, sizeof label); fputs(label, f); }
        fprintf(f, markdown ? "` (%d tokens)\n\n" : " (%d tokens)\n\n", pm->n_prompt);
    }
    int loops = 0;
    for (int c = 0; c < n_cols; c++) loops += cols[c].n_loops;
    fprintf(f, "%s%stext%s = differs from %s's text at the same place; ", markdown ? "Marks: " : "", m->diff_on,
            m->diff_off, ref->name);
    if (loops) fprintf(f, "%sa loop%s = tokens that repeat; ", m->loop_on, m->loop_off);
    fprintf(f, "log p = sum of ln p(token) in nats; p = the probability each token had when chosen%s\n\n",
            markdown ? "." : "");
    for (int c = 0; c < n_cols; c++) {
        const Column *col = &cols[c];
        fprintf(f, markdown ? "- **%s**: %d tokens, stop: %s, total log p = %.3f nats"
                            : "%s: %d tokens, stop: %s, total log p = %.3f nats",
                col->name, col->n, stop_reason_name(col->stop), total_logprob(col));
        if (col->cfg.strategy == STRATEGY_BEAM) fprintf(f, ", beam score = %.3f", col->score);
        if (c > 0 && col->diverge < 0) fprintf(f, ", same text as %s", ref->name);
        if (col->diverge >= 0) {
            token_label(pm, col->ids[col->diverge], 0, label, sizeof label);
            const char *q = markdown ? "`" : "'";
            fprintf(f, ", first divergence from %s: token %d %s%s%s", ref->name, col->diverge + 1, q, label, q);
            if (col->diverge < ref->n) {
                token_label(pm, ref->ids[col->diverge], 0, ref_label, sizeof ref_label);
                fprintf(f, " (%s has %s%s%s)", ref->name, q, ref_label, q);
            }
        }
        for (int k = 0; k < col->n_loops; k++)
            fprintf(f, ", repetition loop: tokens %d-%d, cycle length %d", col->loops[k].start + 1, col->loops[k].end,
                    col->loops[k].len);
        fprintf(f, markdown ? "\n\n  text: `" : "\n  text: ");
        print_text(f, pm, col, m);
        fprintf(f, markdown ? "`\n\n" : "\n\n");
    }
}

static void print_table(FILE *f, const PromptedModel *pm, const Column *cols, int n_cols, int markdown, const Marks *m) {
    print_summary(f, pm, cols, n_cols, markdown, m);
    fprintf(f, markdown ? "| token |" : "%-6s", markdown ? "" : "token");
    for (int c = 0; c < n_cols; c++) fprintf(f, markdown ? " %s |" : " %-26s", cols[c].name);
    fputc('\n', f);
    if (markdown) { fprintf(f, "|---:|"); for (int c = 0; c < n_cols; c++) fprintf(f, "---|"); fputc('\n', f); }
    int steps = max_steps(cols, n_cols);
    for (int s = 0; s < steps; s++) {
        fprintf(f, markdown ? "| %d |" : "%-6d", s + 1);
        for (int c = 0; c < n_cols; c++) print_cell(f, pm, &cols[c], s, markdown, m);
        fputc('\n', f);
    }
    fprintf(f, markdown ? "| stop |" : "%-6s", markdown ? "" : "stop");
    for (int c = 0; c < n_cols; c++) fprintf(f, markdown ? " %s |" : " %-26s", stop_reason_name(cols[c].stop));
    fputc('\n', f);
    for (int c = 0; c < n_cols; c++)
        if (cols[c].n_loops > 0) { fprintf(f, "%s~ = inside a repetition loop\n", markdown ? "\n" : ""); break; }
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
        jw_key(&w, "loops");   /* every loop, wherever it occurs; end_step exclusive */
        jw_array_begin(&w);
        for (int k = 0; k < col->n_loops; k++) {
            jw_object_begin(&w);
            jw_key(&w, "start_step"); jw_int(&w, col->loops[k].start);
            jw_key(&w, "end_step"); jw_int(&w, col->loops[k].end);
            jw_key(&w, "length"); jw_int(&w, col->loops[k].len);
            jw_object_end(&w);
        }
        jw_array_end(&w);
        jw_key(&w, "total_logprob"); jw_float(&w, total_logprob(col));   /* sum of ln p over its tokens, nats */
        jw_key(&w, "first_divergence");   /* the first step whose token differs from the first strategy's text */
        if (col->diverge >= 0) jw_int(&w, col->diverge); else jw_null(&w);
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
    LoadWeights weights;      /* --weights */
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
            strcmp(a, "--temperature") && strcmp(a, "--weights"))
            return cli_unknown(cmd, a);
        if (!(v = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE;
        if (!strcmp(a, "--model")) o->model = v;
        else if (!strcmp(a, "--prompt")) o->prompt = v;
        else if (!strcmp(a, "--ids")) o->ids = v;
        else if (!strcmp(a, "--strategies")) o->strategies = v;
        else if (!strcmp(a, "--json")) o->json = v;
        else if (!strcmp(a, "--markdown")) o->markdown = v;
        else if (!strcmp(a, "--weights")) { if (cli_weights(cmd, v, &o->weights)) return EXIT_USAGE; }
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
    if (markdown) print_table(af.f, pm, cols, n_cols, 1, &plain_marks);
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
    if (prompted_model_load(&pm, o.model, o.weights, &err) != 0) { fprintf(stderr, "argen %s: %s\n", cmd, err.msg); return EXIT_FAIL; }
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
        col->loops = malloc((size_t)o.max_new * sizeof *col->loops);
        col->in_loop = malloc((size_t)o.max_new);
        col->differs = malloc((size_t)o.max_new);
        if (!col->ids || !col->prob || !col->entropy || !col->loops || !col->in_loop || !col->differs) { error_set(&err, "out of memory"); rc = -1; break; }
        if (col->cfg.strategy != STRATEGY_GREEDY && col->cfg.strategy != STRATEGY_BEAM) col->cfg.temperature = (float)o.temperature;
        if (o.ignore_eos && col->cfg.strategy != STRATEGY_BEAM) col->cfg.min_new_tokens = o.max_new;
        rc = col->cfg.strategy == STRATEGY_BEAM ? run_beam_column(&pm, col, o.max_new, &err)
           : run_sampling_column(&pm, col, o.seed, o.shared ? 0 : (uint64_t)c, o.max_new, &err);
        if (rc == 0) find_loops(col);
    }
    for (int c = 0; c < n_cols && rc == 0; c++)
        if (mark_differences(&pm, &cols[0], &cols[c]) != 0) { error_set(&err, "out of memory"); rc = -1; }
    if (rc == 0 && *stop) {
        if (*stop == SIGINT) fprintf(stderr, "argen %s: interrupted: nothing written\n", cmd);
        rc = EXIT_SIGINT;
    }
    const char *no_color = getenv("NO_COLOR");   /* https://no-color.org */
    int colour = isatty(fileno(stdout)) && !(no_color && *no_color);
    if (rc == 0) print_table(stdout, &pm, cols, n_cols, 0, colour ? &ansi_marks : &plain_marks);
    if (rc == 0 && o.json) rc = write_file(o.json, &pm, cols, n_cols, &o, 0, &err);
    if (rc == 0 && o.markdown) rc = write_file(o.markdown, &pm, cols, n_cols, &o, 1, &err);
    if (rc == -1) fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
    for (int c = 0; c < n_cols; c++) { free(cols[c].ids); free(cols[c].prob); free(cols[c].entropy);
                                      free(cols[c].loops); free(cols[c].in_loop); free(cols[c].differs); }
    prompted_model_free(&pm);
    return rc == 0 ? 0 : rc == EXIT_SIGINT ? EXIT_SIGINT : EXIT_FAIL;
}
