/*
 * render_step.c - two diagrams of one step of the sampling loop:
 *
 *   step:  context -> forward pass -> final-position logits -> softmax ->
 *          selection -> append, one box per stage with that step's values;
 *   probs: the selection table: rank, token, raw logit and the logit after
 *          temperature side by side, the probability before temperature
 *          (T = 1) and after it, each with a bar, cumulative, renormalized
 *          with a bar, the draw's slice, and the rule that cut each token;
 *          the cut-off drawn as a line, the chosen row shaded.  (Traces
 *          written before probability_before_temperature existed lack that
 *          column.)
 *
 * Node ids are fixed names (one node per stage), cell ids "r<rank>_<field>".
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trace/render.h"

#define STEP_BOX_ROWS 5       /* rows of top-N in the step diagram's boxes */
#define CONTEXT_SHOWN 10      /* last tokens of the context shown */
#define BAR_WIDTH 150         /* points for probability 1 */

/* ---- small pieces ---- */

/* A box: a table whose first row is a coloured title across three columns. */
static void box_begin(FILE *f, const char *id, const char *title, const char *color) {
    fprintf(f, "  %s [label=<<TABLE BORDER=\"2\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"5\" COLOR=\"%s\">\n"
               "    <TR><TD COLSPAN=\"3\" BGCOLOR=\"%s\"><B>%s</B></TD></TR>\n",
            id, color, color, title);
}

static void box_end(FILE *f) { fprintf(f, "  </TABLE>>];\n"); }

/* A row "name | value" across the three columns. */
static void box_row(FILE *f, const char *name, const char *value) {
    fprintf(f, "    <TR><TD ALIGN=\"LEFT\">%s</TD><TD COLSPAN=\"2\" ALIGN=\"RIGHT\">%s</TD></TR>\n", name, value);
}

static void box_row_num(FILE *f, const char *name, double x) {
    char v[48];
    fmt_num(v, sizeof v, x);
    box_row(f, name, v);
}

/* The last CONTEXT_SHOWN tokens as a row of bordered cells; `mark` shades the last one. */
static void token_strip(FILE *f, const TracedToken *toks, size_t n, int mark) {
    char t[512];
    size_t from = n > CONTEXT_SHOWN ? n - CONTEXT_SHOWN : 0;
    fprintf(f, "    <TR><TD COLSPAN=\"3\"><TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"2\" CELLPADDING=\"4\"><TR>");
    if (from > 0) fprintf(f, "<TD BORDER=\"0\">&#8230;</TD>");
    for (size_t i = from; i < n; i++) {
        token_html(t, sizeof t, &toks[i]);
        int last = mark && i + 1 == n;
        fprintf(f, "<TD%s>%s%s%s</TD>", last ? " BGCOLOR=\"" COLOR_CHOSEN_BG "\"" : "", last ? "<B>" : "", t,
                last ? "</B>" : "");
    }
    fprintf(f, "</TR></TABLE></TD></TR>\n");
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* Greedy takes the argmax: its diagrams show no cut rule and no draw. */
static int greedy(const TracedStep *s) { return strcmp(s->strategy, "greedy") == 0 || !s->has_draw; }

/* ---- the step diagram: one box per stage ---- */

static void stage_context(FILE *f, const TracedStep *s) {
    char title[96];
    snprintf(title, sizeof title, "context (step %d)", s->step);
    box_begin(f, "context", title, "#DDDDDD");
    token_strip(f, s->context, s->n_context, 0);
    char v[32];
    snprintf(v, sizeof v, "%zu", s->n_context);
    box_row(f, "tokens", v);
    box_end(f);
}

static void stage_forward(FILE *f, const TracedStep *s) {
    char v[64];
    box_begin(f, "forward", "forward pass", COLOR_SKY);
    snprintf(v, sizeof v, "%d (from position %d)", s->tokens_processed, s->start_position);
    box_row(f, "tokens processed", v);
    snprintf(v, sizeof v, "%d", s->kv_cache_positions);
    box_row(f, "KV cache positions", v);
    box_row_num(f, "&#8214;embedding&#8214;", s->embed_norm);
    for (size_t l = 0; l < s->n_layers; l++) {
        char name[64];
        snprintf(name, sizeof name, "&#8214;residual&#8214; after block %d (last position)", s->layers[l].layer);
        box_row_num(f, name, s->layers[l].residual_norm);
    }
    box_row_num(f, "&#8214;ln_f output&#8214;", s->final_hidden_norm);
    box_end(f);
}

static void stage_logits(FILE *f, const TracedStep *s, size_t rows) {
    char t[512], v[48];
    box_begin(f, "logits", "final-position logits", COLOR_ORANGE);
    for (size_t i = 0; i < min_size(rows, s->n_logits); i++) {
        token_html(t, sizeof t, &s->logits[i].token);
        fmt_num(v, sizeof v, s->logits[i].logit);
        box_row(f, t, v);
    }
    box_end(f);
}

static void stage_softmax(FILE *f, const TracedStep *s, size_t rows) {
    char title[96], t[512], v[48];
    fmt_num(v, sizeof v, s->temperature);
    snprintf(title, sizeof title, "softmax (T = %s)", v);
    box_begin(f, "softmax", title, COLOR_YELLOW);
    for (size_t i = 0; i < min_size(rows, s->n_table); i++) {
        token_html(t, sizeof t, &s->table[i].token);
        fmt_num(v, sizeof v, s->table[i].probability);
        box_row(f, t, v);
    }
    box_row_num(f, "entropy (bits)", s->entropy_bits);
    box_row_num(f, "perplexity 2^entropy", s->effective_candidates);
    box_end(f);
}

static void stage_selection(FILE *f, const TracedStep *s) {
    char title[700], v[600], t[512], a[48], b[48];
    text_html(v, sizeof v, s->strategy);
    snprintf(title, sizeof title, "selection: %s", v);
    box_begin(f, "selection", title, COLOR_PURPLE);
    if (greedy(s)) {   /* greedy takes the argmax: nothing is cut, nothing drawn */
        token_html(t, sizeof t, &s->chosen);
        snprintf(v, sizeof v, "<B>%s</B> (the argmax)", t);
        box_row(f, "chosen", v);
        box_row_num(f, "probability", s->chosen_probability);
        box_end(f);
        return;
    }
    snprintf(v, sizeof v, "%d", s->n_kept);
    box_row(f, "candidates kept", v);
    box_row_num(f, "kept mass", s->kept_mass);
    box_row_num(f, "draw u", s->draw);
    token_html(t, sizeof t, &s->chosen);
    snprintf(v, sizeof v, "<B>%s</B> (rank %d)", t, s->chosen_rank);
    box_row(f, "chosen", v);
    for (size_t i = 0; i < s->n_table; i++)
        if (s->table[i].rank == s->chosen_rank && s->table[i].has_slice) {
            fmt_num(a, sizeof a, s->table[i].slice_lo);
            fmt_num(b, sizeof b, s->table[i].slice_hi);
            snprintf(v, sizeof v, "[%s, %s)", a, b);
            box_row(f, "its slice of [0, 1)", v);
        }
    box_row_num(f, "probability", s->chosen_probability);
    box_row_num(f, "renormalized", s->chosen_renormalized);
    box_end(f);
}

static void stage_append(FILE *f, const TracedStep *s) {
    TracedToken strip[CONTEXT_SHOWN];
    size_t n = min_size(s->n_context, CONTEXT_SHOWN - 1);
    memcpy(strip, s->context + (s->n_context - n), n * sizeof *strip);
    strip[n] = s->appended;
    box_begin(f, "append", "append", COLOR_GREEN);
    token_strip(f, strip, n + 1, 1);
    char v[32];
    snprintf(v, sizeof v, "%zu", s->n_context + 1);
    box_row(f, "tokens", v);
    box_end(f);
}

void write_step_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    const TracedStep *s = &doc->steps[o->step];
    size_t rows = min_size(o->top, STEP_BOX_ROWS);
    dot_begin(f, "step", "LR");
    stage_context(f, s);
    stage_forward(f, s);
    stage_logits(f, s, rows);
    stage_softmax(f, s, rows);
    stage_selection(f, s);
    stage_append(f, s);
    fprintf(f, "  context -> forward -> logits -> softmax -> selection -> append [penwidth=2];\n");
    dot_end(f);
}

/* ---- the probability table ---- */

/* A bar of BAR_WIDTH * x points (at least 1) on a light track. */
static void bar_cell(FILE *f, double x, const char *color) {
    int w = (int)lround(BAR_WIDTH * (x > 1 ? 1 : x > 0 ? x : 0));
    if (w < 1 && x > 0) w = 1;   /* a non-zero probability stays visible */
    fprintf(f, "<TD><TABLE BORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"0\"><TR>");
    if (w > 0) fprintf(f, "<TD WIDTH=\"%d\" HEIGHT=\"18\" FIXEDSIZE=\"TRUE\" BGCOLOR=\"%s\"></TD>", w, color);
    if (w < BAR_WIDTH)
        fprintf(f, "<TD WIDTH=\"%d\" HEIGHT=\"18\" FIXEDSIZE=\"TRUE\" BGCOLOR=\"#EEEEEE\"></TD>", BAR_WIDTH - w);
    fprintf(f, "</TR></TABLE></TD>");
}

/* A number cell with id r<rank>_<field>. */
static void num_cell(FILE *f, int rank, const char *field, double x, const char *bg, int bold) {
    char v[48];
    fmt_num(v, sizeof v, x);
    fprintf(f, "<TD ID=\"r%d_%s\" ALIGN=\"RIGHT\"%s%s%s>%s%s%s</TD>", rank, field, bg ? " BGCOLOR=\"" : "",
            bg ? bg : "", bg ? "\"" : "", bold ? "<B>" : "", v, bold ? "</B>" : "");
}

/* Columns of the table: 11, plus 2 (number and bar) for the probability
 * before temperature when the trace has it. */
static int has_before(const TracedStep *s) { return s->n_table > 0 && s->table[0].has_before_temperature; }
static int probs_columns(const TracedStep *s) { return 11 + (has_before(s) ? 2 : 0); }

static void probs_header(FILE *f, const TracedStep *s) {
    char strat[128], T[32], p[32], m[32];
    text_html(strat, sizeof strat, s->strategy);
    fmt_num(T, sizeof T, s->temperature);
    fmt_num(p, sizeof p, s->top_p);
    fmt_num(m, sizeof m, s->min_p);
    if (greedy(s)) {
        fprintf(f, "    <TR><TD COLSPAN=\"%d\" CELLPADDING=\"8\"><B>step %d: greedy</B>: the argmax is taken, nothing is drawn"
                   "</TD></TR>\n", probs_columns(s), s->step);
    } else {
        fprintf(f, "    <TR><TD COLSPAN=\"%d\" CELLPADDING=\"8\"><B>step %d: %s</B>, T = %s", probs_columns(s), s->step,
                strat, T);
        if (s->top_k > 0) fprintf(f, ", top-k = %d", s->top_k);
        if (s->top_p < 1) fprintf(f, ", top-p = %s", p);
        if (s->min_p > 0) fprintf(f, ", min-p = %s", m);
        fmt_num(T, sizeof T, s->draw);
        fprintf(f, " &#8212; draw u = %s</TD></TR>\n", T);
    }
    fmt_num(T, sizeof T, s->temperature);
    fprintf(f, "    <TR><TD><B>rank</B></TD><TD><B>token</B></TD><TD><B>logit</B></TD><TD><B>logit / T</B></TD>");
    if (has_before(s)) fprintf(f, "<TD COLSPAN=\"2\"><B>probability before temperature</B></TD>");
    fprintf(f, "<TD COLSPAN=\"2\"><B>probability at T = %s</B></TD><TD><B>cumulative</B></TD>", T);
    if (greedy(s)) fprintf(f, "<TD COLSPAN=\"2\"></TD><TD></TD><TD></TD></TR>\n");
    else fprintf(f, "<TD COLSPAN=\"2\"><B>after the cut</B></TD><TD><B>slice of [0, 1)</B></TD><TD><B>kept?</B></TD></TR>\n");
}

static void probs_row(FILE *f, const TracedStep *s, const TracedRow *r, int chosen) {
    char t[512], a[48], b[48];
    const char *bg = chosen ? COLOR_CHOSEN_BG : NULL;
    const char *open = chosen ? " BGCOLOR=\"" COLOR_CHOSEN_BG "\"" : "";
    token_html(t, sizeof t, &r->token);
    fprintf(f, "    <TR><TD ID=\"r%d_rank\"%s>%d</TD><TD ALIGN=\"LEFT\"%s>%s%s%s</TD>", r->rank, open, r->rank, open,
            chosen ? "<B>" : "", t, chosen ? "</B>" : "");
    num_cell(f, r->rank, "logit", r->logit, bg, chosen);
    num_cell(f, r->rank, "scaled", r->scaled, bg, chosen);
    if (r->has_before_temperature) {
        num_cell(f, r->rank, "before", r->probability_before_temperature, bg, chosen);
        bar_cell(f, r->probability_before_temperature, COLOR_GREY);
    }
    num_cell(f, r->rank, "probability", r->probability, bg, chosen);
    bar_cell(f, r->probability, COLOR_BLUE);
    num_cell(f, r->rank, "cumulative", r->cumulative, bg, chosen);
    if (greedy(s)) {
        fprintf(f, "<TD COLSPAN=\"2\"%s></TD><TD%s></TD><TD%s>%s</TD></TR>\n", open, open, open,
                chosen ? "<B>argmax</B>" : "");
        return;
    }
    num_cell(f, r->rank, "renormalized", r->renormalized, bg, chosen);
    bar_cell(f, r->renormalized, COLOR_ORANGE);
    if (r->has_slice) {
        fmt_num(a, sizeof a, r->slice_lo);
        fmt_num(b, sizeof b, r->slice_hi);
        fprintf(f, "<TD%s>[%s, %s)</TD>", open, a, b);
    } else {
        fprintf(f, "<TD%s>&#8212;</TD>", open);
    }
    if (r->cut_by) fprintf(f, "<TD%s><FONT COLOR=\"" COLOR_VERMILLION "\">cut by %s</FONT></TD></TR>\n", open, r->cut_by);
    else fprintf(f, "<TD%s>&#10003;%s</TD></TR>\n", open, chosen ? " <B>chosen</B>" : "");
}

/* The cut-off as a full-width vermillion line with what it says. */
static void probs_cut_line(FILE *f, const TracedStep *s, const char *rule) {
    fprintf(f, "    <TR><TD COLSPAN=\"%d\" BGCOLOR=\"" COLOR_VERMILLION "\" CELLPADDING=\"3\">"
               "<FONT COLOR=\"white\">cut by %s: %d kept above this line</FONT></TD></TR>\n",
            probs_columns(s), rule, s->n_kept);
}

static void probs_note(FILE *f, const TracedStep *s, const char *text) {
    fprintf(f, "    <TR><TD COLSPAN=\"%d\" ALIGN=\"LEFT\">%s</TD></TR>\n", probs_columns(s), text);
}

void write_probs_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    const TracedStep *s = &doc->steps[o->step];
    long prev_rank = 0;    /* ranks count from 1; long: a rank of INT_MAX (an edited file) plus one must not overflow */
    int drew_cut = 0;
    dot_begin(f, "probs", "LR");
    fprintf(f, "  table [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"5\" COLOR=\"#BBBBBB\">\n");
    probs_header(f, s);
    for (size_t i = 0; i < s->n_table; i++) {
        const TracedRow *r = &s->table[i];
        if (i >= o->top && r->rank != s->chosen_rank) continue;
        if (prev_rank > 0 && (long)r->rank != prev_rank + 1) probs_note(f, s, "&#8942;");
        if (r->cut_by && !drew_cut && !greedy(s)) { probs_cut_line(f, s, r->cut_by); drew_cut = 1; }
        probs_row(f, s, r, r->rank == s->chosen_rank);
        prev_rank = r->rank;
    }
    if (!drew_cut && !greedy(s) && (long)s->n_kept > prev_rank && doc->vocab_size > s->n_kept) {   /* kept below the last row */
        char note[160];
        snprintf(note, sizeof note, "&#8942; the cut-off lies below this table: %d candidates kept", s->n_kept);
        probs_note(f, s, note);
    }
    if (has_before(s) && s->has_before_temperature) {
        char a[48], b[48], note[200];
        fmt_num(a, sizeof a, s->entropy_bits_before_temperature);
        fmt_num(b, sizeof b, s->entropy_bits);
        snprintf(note, sizeof note, "entropy: %s bits at T = 1, %s bits after temperature", a, b);
        probs_note(f, s, note);
    }
    fprintf(f, "  </TABLE>>];\n");
    dot_end(f);
}
