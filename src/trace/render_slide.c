/*
 * render_slide.c - the slide layouts: one idea per picture, 16:9, at most
 * 1440 x 810 points (1920 x 1080 pixels at 96 dpi) so a projector shows it
 * at 1:1, and no text below 18 pt.
 *
 *   step (explain this step): the context, then per candidate token its raw
 *        logit as a bar and its probability after temperature as a bar, the
 *        cut line of top-k / top-p / min-p across the bars, then the [0, 1)
 *        strip of the kept tokens with the draw u landing in one slice, and
 *        the appended token.  Greedy shows "argmax" and no draw.
 *   probs: the short table: rank (1 = most likely), token, probability,
 *        share after the cut, kept or cut by which rule.
 *   attention: the query x key matrix of one layer and head, the masked
 *        upper triangle greyed, a colour bar with its scale; long contexts
 *        keep position 0 and the most recent keys and show the hidden mass.
 *   heatmap: every head's attention for the step's last query with a
 *        colour bar; the "..." column holds the summed weight it stands for.
 *
 * Ranks count from 1 (rank 1 = the most likely token), in the trace as in
 * every diagram.  Entropy is in bits, with the unit printed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trace/render.h"

#define SLIDE_ROWS 6          /* candidate tokens on the explain slide */
#define SLIDE_TABLE_ROWS 10   /* rows of the slide probability table */
#define SLIDE_CONTEXT 12      /* context tokens shown (the last ones) */
#define CONTEXT_PER_ROW 6     /* wrapped into rows of this many */
#define LOGIT_BAR 260         /* points for the largest logit shown */
#define PROB_BAR 300          /* points for probability 1 */
#define STRIP_WIDTH 900       /* points for [0, 1) */
#define MATRIX_KEYS 14        /* key columns of the matrix besides position 0 */
#define MATRIX_QUERIES 10     /* query rows of the matrix */
#define HEATMAP_KEYS 10       /* key columns of the heatmap besides position 0 */
#define HEATMAP_ROWS 16       /* rows of the heatmap (layer x head); more: the chosen layer's heads */

static int is_greedy(const TracedStep *s) { return strcmp(s->strategy, "greedy") == 0 || !s->has_draw; }

/* The rules that were on, as the header says them: "top-k 40, T = 0.8"; greedy: "greedy (argmax)". */
static void rules_text(char *out, size_t n, const TraceDoc *doc, const TracedStep *s) {
    char v[48], strat[128];
    size_t k;
    text_html(strat, sizeof strat, s->strategy);
    if (is_greedy(s)) { snprintf(out, n, "greedy: take the argmax, no draw"); return; }
    k = (size_t)snprintf(out, n, "%s sampling", strat);
    if (s->top_k > 0 && s->top_k < doc->vocab_size && k < n) k += (size_t)snprintf(out + k, n - k, ", top-k = %d", s->top_k);
    if (s->top_p < 1 && k < n) { fmt_num(v, sizeof v, s->top_p); k += (size_t)snprintf(out + k, n - k, ", top-p = %s", v); }
    if (s->min_p > 0 && k < n) { fmt_num(v, sizeof v, s->min_p); k += (size_t)snprintf(out + k, n - k, ", min-p = %s", v); }
    if (s->temperature != 1 && k < n) { fmt_num(v, sizeof v, s->temperature); snprintf(out + k, n - k, ", T = %s", v); }
}

/* "probability" at T = 1, "probability at T = 0.8" otherwise. */
static void prob_title(char *out, size_t n, const TracedStep *s) {
    char v[48];
    fmt_num(v, sizeof v, s->temperature);
    if (s->temperature == 1 || is_greedy(s)) snprintf(out, n, "probability");
    else snprintf(out, n, "probability at T = %s", v);
}

/* A bar of `width` points out of `track` on a light track, 22 points high. */
static void bar(FILE *f, int width, int track, const char *color) {
    if (width > track) width = track;
    fprintf(f, "<TD ALIGN=\"LEFT\"><TABLE BORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"0\"><TR>");
    if (width > 0) fprintf(f, "<TD WIDTH=\"%d\" HEIGHT=\"22\" FIXEDSIZE=\"TRUE\" BGCOLOR=\"%s\"></TD>", width, color);
    if (width < track) fprintf(f, "<TD WIDTH=\"%d\" HEIGHT=\"22\" FIXEDSIZE=\"TRUE\" BGCOLOR=\"#EEEEEE\"></TD>", track - width);
    fprintf(f, "</TR></TABLE></TD>");
}

static int bar_points(double x, int track) {
    int w = (int)lround(track * (x > 1 ? 1 : x > 0 ? x : 0));
    return w < 1 && x > 0 ? 1 : w;   /* a non-zero value stays visible */
}

/* The last SLIDE_CONTEXT tokens wrapped into rows, the appended one (when given) shaded at the end. */
static void context_rows(FILE *f, const TracedStep *s, const TracedToken *appended, int colspan) {
    char t[512];
    size_t n = s->n_context, from = n > SLIDE_CONTEXT ? n - SLIDE_CONTEXT : 0, shown = n - from + (appended != NULL);
    fprintf(f, "<TR><TD COLSPAN=\"%d\" ALIGN=\"LEFT\"><TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"3\" CELLPADDING=\"5\">",
            colspan);
    for (size_t i = 0; i < shown; i++) {
        int last = appended && i + 1 == shown;
        if (i % CONTEXT_PER_ROW == 0) fprintf(f, "%s<TR>", i ? "</TR>" : "");
        if (i == 0 && from > 0) fprintf(f, "<TD BORDER=\"0\">&#8230; %zu more</TD>", from);
        token_html(t, sizeof t, last ? appended : &s->context[from + i]);
        fprintf(f, "<TD%s>%s%s%s</TD>", last ? " BGCOLOR=\"" COLOR_CHOSEN_BG "\" COLOR=\"" COLOR_BLUE "\"" : "",
                last ? "<B>" : "", t, last ? "</B>" : "");
    }
    fprintf(f, "</TR></TABLE></TD></TR>\n");
}

/* ---- step: explain this step ---- */

/* Rows shown: the first rows (ranks 1..rows), and the chosen one when it lies below. */
static int row_shown(const TracedStep *s, const TracedRow *r, size_t i, size_t rows) {
    return i < rows || r->rank == s->chosen_rank;
}

static void explain_bars(FILE *f, const TraceDoc *doc, const TracedStep *s, size_t rows) {
    char t[512], v[48], title[96];
    double top_logit = s->n_table ? s->table[0].logit : 0, low = top_logit;
    int greedy = is_greedy(s), drew_cut = 0;
    for (size_t i = 0; i < s->n_table; i++)
        if (row_shown(s, &s->table[i], i, rows) && s->table[i].logit < low) low = s->table[i].logit;
    /* Logit bars start a little below the lowest logit shown, so that every bar has a length. */
    double base = low - 0.1 * (top_logit - low + 1);
    prob_title(title, sizeof title, s);
    fprintf(f, "<TR><TD ALIGN=\"LEFT\"><B>token</B></TD><TD COLSPAN=\"2\" ALIGN=\"LEFT\"><B>logit</B></TD>"
               "<TD COLSPAN=\"2\" ALIGN=\"LEFT\"><B>%s</B></TD><TD ALIGN=\"LEFT\">%s</TD></TR>\n",
            title, greedy ? "" : "<B>share after the cut</B>");
    for (size_t i = 0; i < s->n_table; i++) {
        const TracedRow *r = &s->table[i];
        int chosen = r->rank == s->chosen_rank, cut = greedy ? r->rank != 1 : r->cut_by != NULL;
        if (!row_shown(s, r, i, rows)) continue;
        if (i > 0 && (long)s->table[i - 1].rank + 1 != r->rank)
            fprintf(f, "<TR><TD COLSPAN=\"6\">&#8942;</TD></TR>\n");
        if (cut && !drew_cut) {
            if (greedy) fprintf(f, "<TR><TD COLSPAN=\"6\" BGCOLOR=\"" COLOR_VERMILLION "\"><FONT COLOR=\"white\">"
                                   "greedy keeps only the argmax</FONT></TD></TR>\n");
            else fprintf(f, "<TR><TD COLSPAN=\"6\" BGCOLOR=\"" COLOR_VERMILLION "\"><FONT COLOR=\"white\">"
                            "cut by %s: %d token%s kept above this line</FONT></TD></TR>\n", r->cut_by, s->n_kept,
                         s->n_kept == 1 ? "" : "s");
            drew_cut = 1;
        }
        token_html(t, sizeof t, &r->token);
        fprintf(f, "<TR><TD ALIGN=\"LEFT\"%s>%s%s%s</TD>", chosen ? " BGCOLOR=\"" COLOR_CHOSEN_BG "\"" : "",
                chosen ? "<B>" : "", t, chosen ? "</B>" : "");
        fmt_num(v, sizeof v, r->logit);
        fprintf(f, "<TD ALIGN=\"RIGHT\">%s</TD>", v);
        bar(f, bar_points((r->logit - base) / (top_logit - base), LOGIT_BAR), LOGIT_BAR, COLOR_ORANGE);
        fmt_percent(v, sizeof v, r->probability);
        fprintf(f, "<TD ALIGN=\"RIGHT\">%s</TD>", v);
        bar(f, bar_points(r->probability, PROB_BAR), PROB_BAR, cut ? COLOR_GREY : COLOR_BLUE);
        if (greedy) fprintf(f, "<TD ALIGN=\"LEFT\">%s</TD></TR>\n", r->rank == 1 ? "<B>argmax</B>" : "");
        else if (cut) fprintf(f, "<TD ALIGN=\"LEFT\"><FONT COLOR=\"" COLOR_VERMILLION "\">cut</FONT></TD></TR>\n");
        else { fmt_percent(v, sizeof v, r->renormalized); fprintf(f, "<TD ALIGN=\"RIGHT\">%s</TD></TR>\n", v); }
    }
    if (!drew_cut && !greedy && s->n_kept < doc->vocab_size)
        fprintf(f, "<TR><TD COLSPAN=\"6\" ALIGN=\"LEFT\">&#8942; the cut lies below these rows: %d tokens kept</TD></TR>\n",
                s->n_kept);
}

/* The [0, 1) strip: one cell per kept token shown, as wide as its slice, the rest as one cell;
 * the draw's marker above the chosen slice. */
static void explain_strip(FILE *f, const TracedStep *s, size_t rows) {
    char t[512], v[48];
    int widths[SLIDE_ROWS + 2], n = 0, used = 0, chosen_cell = -1;
    const TracedRow *cells[SLIDE_ROWS + 2];
    double covered = 0;
    for (size_t i = 0; i < s->n_table && n < SLIDE_ROWS + 1; i++) {
        const TracedRow *r = &s->table[i];
        if (!r->has_slice || !row_shown(s, r, i, rows)) continue;
        if (r->rank == s->chosen_rank) chosen_cell = n;
        cells[n] = r;
        widths[n] = bar_points(r->slice_hi - r->slice_lo, STRIP_WIDTH);
        covered += r->slice_hi - r->slice_lo;
        used += widths[n++];
    }
    fmt_num(v, sizeof v, s->draw);
    fprintf(f, "<TR><TD COLSPAN=\"6\" ALIGN=\"LEFT\"><B>the draw</B>: u = %s lands in one slice of [0, 1); "
               "each kept token owns a slice as wide as its share</TD></TR>\n", v);
    fprintf(f, "<TR><TD COLSPAN=\"6\"><TABLE BORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"2\"><TR>");
    for (int c = 0; c < n; c++)   /* the marker row */
        fprintf(f, "<TD WIDTH=\"%d\" FIXEDSIZE=\"FALSE\">%s</TD>", widths[c],
                c == chosen_cell ? "<FONT COLOR=\"" COLOR_VERMILLION "\"><B>u &#9660;</B></FONT>" : "");
    if (covered < 0.999) fprintf(f, "<TD></TD>");
    fprintf(f, "</TR><TR>");
    for (int c = 0; c < n; c++) {
        token_html(t, sizeof t, &cells[c]->token);
        fprintf(f, "<TD WIDTH=\"%d\" HEIGHT=\"36\" BORDER=\"1\" BGCOLOR=\"%s\">%s</TD>", widths[c],
                c == chosen_cell ? COLOR_CHOSEN_BG : "#F4F4F4", widths[c] >= 60 ? t : "");
    }
    if (covered < 0.999)
        fprintf(f, "<TD WIDTH=\"%d\" HEIGHT=\"36\" BORDER=\"1\" BGCOLOR=\"#F4F4F4\">other kept tokens</TD>",
                STRIP_WIDTH - used > 40 ? STRIP_WIDTH - used : 40);
    fprintf(f, "</TR></TABLE></TD></TR>\n");
}

void write_explain_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    const TracedStep *s = &doc->steps[o->step];
    size_t rows = o->top < SLIDE_ROWS ? o->top : SLIDE_ROWS;
    char rules[256], v[48];
    rules_text(rules, sizeof rules, doc, s);
    fmt_num(v, sizeof v, s->entropy_bits);
    dot_begin_slide(f, "step", "TB");
    fprintf(f, "  slide [label=<<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"5\">\n");
    fprintf(f, "<TR><TD COLSPAN=\"6\" ALIGN=\"LEFT\"><FONT POINT-SIZE=\"28\"><B>Step %d: which token comes next?</B></FONT>"
               "</TD></TR>\n<TR><TD COLSPAN=\"6\" ALIGN=\"LEFT\">%s &#8212; entropy %s bits</TD></TR>\n",
            s->step, rules, v);
    context_rows(f, s, NULL, 6);
    explain_bars(f, doc, s, rows);
    if (is_greedy(s)) {
        char t[512];
        token_html(t, sizeof t, &s->chosen);
        fprintf(f, "<TR><TD COLSPAN=\"6\" ALIGN=\"LEFT\"><B>argmax</B>: the most likely token, <B>%s</B>, is taken; "
                   "nothing is drawn</TD></TR>\n", t);
    } else {
        explain_strip(f, s, rows);
    }
    fprintf(f, "<TR><TD COLSPAN=\"6\" ALIGN=\"LEFT\"><B>appended</B>:</TD></TR>\n");
    context_rows(f, s, &s->appended, 6);
    fprintf(f, "  </TABLE>>];\n");
    dot_end(f);
}

/* ---- probs: the short table ---- */

void write_probs_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    const TracedStep *s = &doc->steps[o->step];
    size_t rows = o->top < SLIDE_TABLE_ROWS ? o->top : SLIDE_TABLE_ROWS;
    int greedy = is_greedy(s), drew_cut = 0;
    char rules[256], title[96], t[512], v[48];
    rules_text(rules, sizeof rules, doc, s);
    prob_title(title, sizeof title, s);
    dot_begin_slide(f, "probs", "TB");
    fprintf(f, "  table [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"6\" COLOR=\"#BBBBBB\">\n");
    fmt_num(v, sizeof v, s->entropy_bits);
    fprintf(f, "<TR><TD COLSPAN=\"6\" BORDER=\"0\" ALIGN=\"LEFT\"><B>Step %d</B>: %s &#8212; entropy %s bits</TD></TR>\n",
            s->step, rules, v);
    fprintf(f, "<TR><TD><B>rank</B></TD><TD><B>token</B></TD><TD COLSPAN=\"2\"><B>%s</B></TD>", title);
    fprintf(f, greedy ? "<TD COLSPAN=\"2\"></TD></TR>\n" : "<TD><B>share after the cut</B></TD><TD></TD></TR>\n");
    for (size_t i = 0; i < s->n_table; i++) {
        const TracedRow *r = &s->table[i];
        int chosen = r->rank == s->chosen_rank, cut = greedy ? r->rank != 1 : r->cut_by != NULL;
        const char *bg = chosen ? " BGCOLOR=\"" COLOR_CHOSEN_BG "\"" : "";
        if (!row_shown(s, r, i, rows)) continue;
        if (i > 0 && (long)s->table[i - 1].rank + 1 != r->rank) fprintf(f, "<TR><TD COLSPAN=\"6\">&#8942;</TD></TR>\n");
        if (cut && !drew_cut && !greedy) {
            fprintf(f, "<TR><TD COLSPAN=\"6\" BGCOLOR=\"" COLOR_VERMILLION "\"><FONT COLOR=\"white\">cut by %s: "
                       "%d kept above this line</FONT></TD></TR>\n", r->cut_by, s->n_kept);
            drew_cut = 1;
        }
        token_html(t, sizeof t, &r->token);
        fprintf(f, "<TR><TD%s>%d</TD><TD ALIGN=\"LEFT\"%s>%s%s%s</TD>", bg, r->rank, bg, chosen ? "<B>" : "", t,
                chosen ? "</B>" : "");
        fmt_percent(v, sizeof v, r->probability);
        fprintf(f, "<TD ALIGN=\"RIGHT\"%s>%s</TD>", bg, v);
        bar(f, bar_points(r->probability, PROB_BAR), PROB_BAR, cut ? COLOR_GREY : COLOR_BLUE);
        if (greedy) {
            fprintf(f, "<TD COLSPAN=\"2\"%s>%s</TD></TR>\n", bg, r->rank == 1 ? "<B>argmax: chosen</B>" : "");
        } else {
            if (cut) fprintf(f, "<TD>&#8212;</TD><TD><FONT COLOR=\"" COLOR_VERMILLION "\">cut by %s</FONT></TD></TR>\n", r->cut_by);
            else {
                fmt_percent(v, sizeof v, r->renormalized);
                fprintf(f, "<TD ALIGN=\"RIGHT\"%s>%s</TD><TD%s>%s</TD></TR>\n", bg, v, bg, chosen ? "<B>drawn</B>" : "kept");
            }
        }
    }
    if (!drew_cut && !greedy && s->n_kept < doc->vocab_size)
        fprintf(f, "<TR><TD COLSPAN=\"6\" ALIGN=\"LEFT\">&#8942; the cut lies below these rows: %d tokens kept</TD></TR>\n",
                s->n_kept);
    fprintf(f, "  </TABLE>>];\n");
    dot_end(f);
}

/* ---- the colour bar ---- */

static void colour_bar(FILE *f, int colspan, const char *what) {
    fprintf(f, "<TR><TD COLSPAN=\"%d\" ALIGN=\"LEFT\"><TABLE BORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"3\"><TR>"
               "<TD>%s: 0</TD>", colspan, what);
    for (int i = 0; i <= 10; i++) {
        char c[8];
        viridis(c, i / 10.0);
        fprintf(f, "<TD WIDTH=\"36\" HEIGHT=\"26\" FIXEDSIZE=\"TRUE\" BGCOLOR=\"%s\"></TD>", c);
    }
    fprintf(f, "<TD>1</TD></TR></TABLE></TD></TR>\n");
}

/* A weight cell: coloured, the weight printed to 2 decimals when it is at least 0.005. */
static void weight_cell(FILE *f, double w) {
    char bg[8];
    if (isnan(w)) { fprintf(f, "<TD BGCOLOR=\"#FFFFFF\">&#8212;</TD>"); return; }
    viridis(bg, w);
    if (w >= 0.005) fprintf(f, "<TD BGCOLOR=\"%s\"><FONT COLOR=\"%s\">.%02d</FONT></TD>", bg,
                            viridis_text_dark(w) ? "black" : "white", w >= 0.995 ? 99 : (int)lround(w * 100));
    else fprintf(f, "<TD BGCOLOR=\"%s\"></TD>", bg);
}

/* ---- attention: the query x key matrix ---- */

void write_matrix_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    const TracedStep *s = &doc->steps[o->step];
    int n = (int)s->n_context, last_q = s->query_positions[s->n_query - 1];
    int kfrom = n - 1 > MATRIX_KEYS ? n - MATRIX_KEYS : 1;          /* keys: 0, then kfrom..n-1 */
    int qfrom = n > MATRIX_QUERIES ? n - MATRIX_QUERIES : 0;        /* queries: qfrom..n-1 */
    int cols = 2 + (n > 1 ? n - kfrom : 0) + (kfrom > 1);
    char t[512];
    dot_begin_slide(f, "attention", "TB");
    fprintf(f, "  matrix [label=<<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"2\" CELLPADDING=\"4\">\n");
    fprintf(f, "<TR><TD COLSPAN=\"%d\" ALIGN=\"LEFT\"><B>Step %d, layer %zu, head %zu</B>: how much each query (row) "
               "attends to each key (column)</TD></TR>\n", cols, s->step, o->layer, o->head);
    fprintf(f, "<TR><TD ALIGN=\"RIGHT\"><I>query &#8595; key &#8594;</I></TD>");
    token_html(t, sizeof t, &s->context[0]);
    fprintf(f, "<TD>%s</TD>", t);
    if (kfrom > 1) fprintf(f, "<TD>&#8230; %d</TD>", kfrom - 1);
    for (int k = kfrom; k < n; k++) { token_html(t, sizeof t, &s->context[k]); fprintf(f, "<TD>%s</TD>", t); }
    fprintf(f, "</TR>\n");
    for (int q = qfrom; q < n; q++) {
        size_t nk = 0;
        const double *row = render_attention_row(doc, o->step, o->layer, o->head, q, &nk);
        token_html(t, sizeof t, &s->context[q]);
        fprintf(f, "<TR><TD ALIGN=\"RIGHT\"%s>%s%s%s</TD>", q == last_q ? " BGCOLOR=\"" COLOR_CHOSEN_BG "\"" : "",
                q == last_q ? "<B>" : "", t, q == last_q ? "</B>" : "");
        if (!row) {
            fprintf(f, "<TD COLSPAN=\"%d\" BGCOLOR=\"#EEEEEE\">not recorded (a summary trace keeps each step's last query)</TD></TR>\n",
                    cols - 1);
            continue;
        }
        weight_cell(f, nk > 0 ? row[0] : NAN);
        if (kfrom > 1) {   /* the hidden keys of this row, summed */
            double hidden = 0;
            for (int k = 1; k < kfrom && (size_t)k < nk && k <= q; k++) if (!isnan(row[k])) hidden += row[k];
            fprintf(f, "<TD BGCOLOR=\"#F4F4F4\">%s%.2f</TD>", q >= 1 ? "&#931; " : "", q >= 1 ? hidden : 0.0);
        }
        for (int k = kfrom; k < n; k++) {
            if (k > q) fprintf(f, "<TD BGCOLOR=\"#DDDDDD\"></TD>");   /* the causal mask: a later key */
            else weight_cell(f, (size_t)k < nk ? row[k] : NAN);
        }
        fprintf(f, "</TR>\n");
    }
    colour_bar(f, cols, "weight");
    fprintf(f, "<TR><TD COLSPAN=\"%d\" ALIGN=\"LEFT\">grey: masked (a query never sees a later key); each row sums to 1%s</TD></TR>\n",
            cols, kfrom > 1 ? "; &#931; the weight of the keys not drawn" : "");
    fprintf(f, "  </TABLE>>];\n");
    dot_end(f);
}

/* ---- heatmap: every head for the last query ---- */

void write_heatmap_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    const TracedStep *s = &doc->steps[o->step];
    int n = (int)s->n_context;
    int kfrom = n - 1 > HEATMAP_KEYS ? n - HEATMAP_KEYS : 1;
    int cols = 2 + (n > 1 ? n - kfrom : 0) + (kfrom > 1);
    size_t total = 0;
    char t[512];
    for (size_t l = 0; l < s->n_layers; l++) total += s->layers[l].n_head;
    int one_layer = total > HEATMAP_ROWS;
    dot_begin_slide(f, "heatmap", "TB");
    fprintf(f, "  heatmap [label=<<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"2\" CELLPADDING=\"4\">\n");
    fprintf(f, "<TR><TD COLSPAN=\"%d\" ALIGN=\"LEFT\"><B>Step %d</B>: where the last token looks, in ", cols, s->step);
    if (one_layer) fprintf(f, "every head of layer %zu</TD></TR>\n", o->layer);
    else fprintf(f, "every layer and head</TD></TR>\n");
    fprintf(f, "<TR><TD></TD>");
    token_html(t, sizeof t, &s->context[0]);
    fprintf(f, "<TD>%s</TD>", t);
    if (kfrom > 1) fprintf(f, "<TD>&#8230; %d</TD>", kfrom - 1);
    for (int k = kfrom; k < n; k++) { token_html(t, sizeof t, &s->context[k]); fprintf(f, "<TD>%s</TD>", t); }
    fprintf(f, "</TR>\n");
    for (size_t l = 0; l < s->n_layers; l++) {
        const TracedLayer *L = &s->layers[l];
        if (one_layer && l != o->layer) continue;
        for (size_t h = 0; h < L->n_head; h++) {
            const double *row = L->attention + (h * L->n_query + (L->n_query - 1)) * L->n_key;
            fprintf(f, "<TR><TD ALIGN=\"LEFT\">layer %d head %zu</TD>", L->layer, h);
            weight_cell(f, L->n_key > 0 ? row[0] : NAN);
            if (kfrom > 1) {
                double hidden = 0;
                for (int k = 1; k < kfrom && (size_t)k < L->n_key; k++) if (!isnan(row[k])) hidden += row[k];
                fprintf(f, "<TD BGCOLOR=\"#F4F4F4\">&#931; %.2f</TD>", hidden);
            }
            for (int k = kfrom; k < n; k++) weight_cell(f, (size_t)k < L->n_key ? row[k] : NAN);
            fprintf(f, "</TR>\n");
        }
    }
    colour_bar(f, cols, "weight");
    if (kfrom > 1)
        fprintf(f, "<TR><TD COLSPAN=\"%d\" ALIGN=\"LEFT\">&#931;: the summed weight of the %d keys not drawn</TD></TR>\n",
                cols, kfrom - 1);
    fprintf(f, "  </TABLE>>];\n");
    dot_end(f);
}
