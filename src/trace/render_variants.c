/*
 * render_variants.c - diagrams of the two traces that are not a sampling
 * loop (docs/variants.md):
 *
 *   score:  teacher forcing.  The text as rows of token cells, each coloured
 *           by its surprisal on a fixed scale of 0..SURPRISAL_MAX bits (so two
 *           figures compare), with p, rank and the entropy under the token,
 *           the model's top token when it was not this one, and a tooltip
 *           with all of it; a legend of the scale; a footer with the mean
 *           loss and perplexity.  With --free-from, the model's own greedy
 *           continuation is drawn under the reference, position by position,
 *           mismatches outlined.
 *   jacobi: Jacobi decoding.  Per block a grid: rows are passes (row 0 the
 *           initial guess), columns the block's positions, cells the guessed
 *           tokens; green where the token is already the accepted one, dark
 *           green where it is guaranteed (after pass k the first k are),
 *           which draws the staircase; a thick border where the pass changed
 *           the cell.  A caption gives passes, how it converged and what was
 *           accepted.
 *
 * Cell ids: s<position> (score), f<position> (free row),
 * j<block>_k<pass>_i<index> (Jacobi).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trace/render.h"

#define SCORE_PER_ROW 8        /* token cells per row of the score diagram */
#define SURPRISAL_MAX 16.0     /* bits at the dark end of the scale: about log2(50257) */
#define LEGEND_STEPS 8         /* cells in the legend: 0, 2, ..., 16 bits */

/* ---- colours ---- */

/* Surprisal s bits -> a viridis colour: 0 bits light (yellow), SURPRISAL_MAX
 * and above dark (purple); and whether the text on it should be black. */
static void surprisal_colour(char out[8], double bits, int *dark_text) {
    double x = 1.0 - bits / SURPRISAL_MAX;
    if (!(x > 0)) x = 0;
    if (x > 1) x = 1;
    viridis(out, x);
    *dark_text = viridis_text_dark(x);
}

/* ---- score: teacher forcing ---- */

/* The scored item at position pos, or NULL (position 0, or not in the file). */
static const TracedScore *score_at(const TraceDoc *doc, size_t pos) {
    for (size_t i = 0; i < doc->n_scores; i++)
        if ((size_t)doc->scores[i].position == pos) return &doc->scores[i];
    return NULL;
}

static void score_cell(FILE *f, const TraceDoc *doc, size_t pos) {
    const TracedScore *sc = score_at(doc, pos);
    char t[512], p[48], h[48], b[48], top[512], tp[48], bg[8];
    token_html(t, sizeof t, &doc->text[pos]);
    if (!sc) {   /* the first token: nothing before it predicts it */
        fprintf(f, "<TD ID=\"s%zu\" BGCOLOR=\"#EEEEEE\" HREF=\"#\" TOOLTIP=\"position %zu: not scored (nothing before it)\">"
                   "%s<BR/><FONT POINT-SIZE=\"12\" COLOR=\"#555555\">not scored</FONT></TD>", pos, pos, t);
        return;
    }
    int dark;
    surprisal_colour(bg, sc->surprisal_bits, &dark);
    fmt_num(p, sizeof p, sc->probability);
    fmt_num(h, sizeof h, sc->entropy_bits);
    fmt_num(b, sizeof b, sc->surprisal_bits);
    token_html(top, sizeof top, &sc->top);
    fmt_num(tp, sizeof tp, sc->top_probability);
    const char *fc = dark ? "black" : "white";
    fprintf(f, "<TD ID=\"s%zu\" BGCOLOR=\"%s\" HREF=\"#\" TOOLTIP=\"position %zu: p %s, rank %d, surprisal %s bits, entropy %s bits; "
               "top %s (%s)\"><FONT COLOR=\"%s\">%s<BR/><FONT POINT-SIZE=\"12\">p %s &#183; rank %d<BR/>%s b &#183; H %s b",
            pos, bg, pos, p, sc->rank, b, h, top, tp, fc, t, p, sc->rank, b, h);
    if (sc->rank > 1) fprintf(f, "<BR/>top: %s %s", top, tp);
    fprintf(f, "</FONT></FONT></TD>");
}

/* The free-generation cell at position pos (blank before free_from). */
static void free_cell(FILE *f, const TraceDoc *doc, size_t pos) {
    if (pos < (size_t)doc->free_from || pos - (size_t)doc->free_from >= doc->n_free) {
        fprintf(f, "<TD BORDER=\"0\"></TD>");
        return;
    }
    size_t i = pos - (size_t)doc->free_from;
    char t[512], p[48];
    token_html(t, sizeof t, &doc->free_tokens[i]);
    fmt_num(p, sizeof p, doc->free_probability[i]);
    int same = doc->free_matches[i];
    fprintf(f, "<TD ID=\"f%zu\" BGCOLOR=\"%s\" COLOR=\"%s\" BORDER=\"%d\">%s%s%s<BR/><FONT POINT-SIZE=\"12\">p %s%s</FONT></TD>",
            pos, same ? "white" : "#FBE3D0", same ? "#999999" : COLOR_VERMILLION, same ? 1 : 3, same ? "" : "<B>", t,
            same ? "" : "</B>", p, same ? " &#10003;" : " &#10007;");
}

static void score_legend(FILE *f, int cols) {
    char bg[8];
    fprintf(f, "    <TR><TD COLSPAN=\"%d\" BORDER=\"0\"><TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"4\">"
               "<TR><TD BORDER=\"0\">surprisal (bits):</TD>", cols);
    for (int i = 0; i <= LEGEND_STEPS; i++) {
        double bits = SURPRISAL_MAX * i / LEGEND_STEPS;
        int dark;
        surprisal_colour(bg, bits, &dark);
        fprintf(f, "<TD BGCOLOR=\"%s\" WIDTH=\"44\"><FONT COLOR=\"%s\">%s%g</FONT></TD>", bg, dark ? "black" : "white",
                i == LEGEND_STEPS ? "&#8805;" : "", bits);
    }
    fprintf(f, "</TR></TABLE></TD></TR>\n");
}

static void score_footer(FILE *f, const TraceDoc *doc, int cols) {
    char loss[48], ppl[48], bits[48], top1[48];
    fmt_num(loss, sizeof loss, doc->mean_loss_nats);
    fmt_num(ppl, sizeof ppl, doc->perplexity);
    fmt_num(bits, sizeof bits, doc->mean_surprisal_bits);
    fmt_num(top1, sizeof top1, doc->top1_fraction);
    fprintf(f, "    <TR><TD ID=\"summary\" COLSPAN=\"%d\" BORDER=\"0\" ALIGN=\"LEFT\">%zu tokens scored: mean loss "
               "<B>%s</B> nats/token, perplexity <B>%s</B>, mean surprisal %s bits, top-1 fraction %s</TD></TR>\n",
            cols, doc->n_scores, loss, ppl, bits, top1);
    if (doc->has_free) {
        char div[96];
        if (doc->free_first_divergence >= 0) snprintf(div, sizeof div, "first leaves the text at position %d",
                                                      doc->free_first_divergence);
        else snprintf(div, sizeof div, "never leaves the text");
        fprintf(f, "    <TR><TD COLSPAN=\"%d\" BORDER=\"0\" ALIGN=\"LEFT\">lower rows: greedy generation from position %d "
                   "(the model's own choices), %s; mismatches outlined</TD></TR>\n", cols, doc->free_from, div);
    }
}

void write_score_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    int cols = SCORE_PER_ROW + 1;
    (void)o;
    dot_begin(f, "score", "TB");
    fprintf(f, "  graph [label=<teacher forcing: each token of the text coloured by how surprised the model was>];\n");
    fprintf(f, "  text [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"3\" CELLPADDING=\"5\">\n");
    for (size_t from = 0; from < doc->n_text; from += SCORE_PER_ROW) {
        size_t to = from + SCORE_PER_ROW < doc->n_text ? from + SCORE_PER_ROW : doc->n_text;
        fprintf(f, "    <TR><TD BORDER=\"0\" ALIGN=\"RIGHT\"><FONT POINT-SIZE=\"12\">text<BR/>%zu</FONT></TD>", from);
        for (size_t pos = from; pos < to; pos++) score_cell(f, doc, pos);
        fprintf(f, "</TR>\n");
        if (doc->has_free && to > (size_t)doc->free_from) {
            fprintf(f, "    <TR><TD BORDER=\"0\" ALIGN=\"RIGHT\"><FONT POINT-SIZE=\"12\">free</FONT></TD>");
            for (size_t pos = from; pos < to; pos++) free_cell(f, doc, pos);
            fprintf(f, "</TR>\n");
        }
    }
    score_legend(f, cols);
    score_footer(f, doc, cols);
    fprintf(f, "  </TABLE>>];\n");
    dot_end(f);
}

/* ---- Jacobi decoding ---- */

#define GREEN_TINT "#BFE6D9"   /* a light tint of the Okabe-Ito bluish green */

/* One row of the grid: the guess after pass k (k = 0: the initial guess). */
static void jacobi_row(FILE *f, const TracedJacobiBlock *b, int k) {
    const TracedJacobiPass *p = k > 0 ? &b->iterations[k - 1] : NULL;
    const TracedToken *toks = p ? p->tokens : b->initial;
    char t[512];
    fprintf(f, "    <TR><TD ALIGN=\"LEFT\" BORDER=\"0\">%s", k ? "" : "initial guess");
    if (k) fprintf(f, "pass %d", p->pass);
    fprintf(f, "</TD>");
    for (int i = 0; i < b->size; i++) {
        int fixed = k > i, correct = p && p->correct[i], changed = p && p->changed[i];
        token_html(t, sizeof t, &toks[i]);
        fprintf(f, "<TD ID=\"j%d_k%d_i%d\" BGCOLOR=\"%s\" BORDER=\"%d\" COLOR=\"%s\">%s%s%s</TD>", b->block, k, i,
                fixed ? COLOR_GREEN : correct ? GREEN_TINT : "white", changed ? 4 : 1, changed ? "black" : "#999999",
                fixed ? "<FONT COLOR=\"white\">" : "", t, fixed ? "</FONT>" : "");
    }
    if (p) fprintf(f, "<TD ID=\"j%d_k%d_n\" BORDER=\"0\" ALIGN=\"LEFT\"><FONT POINT-SIZE=\"13\">%d changed, %d correct</FONT></TD>",
                   b->block, k, p->n_changed, p->n_correct);
    else fprintf(f, "<TD BORDER=\"0\"></TD>");
    fprintf(f, "</TR>\n");
}

static void jacobi_caption(FILE *f, const TracedJacobiBlock *b) {
    char t[512], acc[2048] = "";
    size_t k = 0;
    for (size_t i = 0; i < b->n_accepted && k + 520 < sizeof acc; i++) {
        token_html(t, sizeof t, &b->accepted[i]);
        k += (size_t)snprintf(acc + k, sizeof acc - k, "%s%s", i ? "&#183;" : "", t);
    }
    fprintf(f, "    <TR><TD COLSPAN=\"%lld\" BORDER=\"0\" ALIGN=\"LEFT\">%d pass%s, %s; accepted %zu token%s: <B>%s</B>%s</TD></TR>\n",
            b->size + 2LL, b->passes, b->passes == 1 ? "" : "es",
            strcmp(b->converged_by, "fixed_point") == 0 ? "converged: a pass changed nothing"
                                                         : "pass limit: every position is fixed",
            b->n_accepted, b->n_accepted == 1 ? "" : "s", acc, b->cut_by_eos ? " (cut after eos)" : "");
}

static void jacobi_block_node(FILE *f, const TracedJacobiBlock *b) {
    char t[512];
    token_html(t, sizeof t, &b->last_committed);
    fprintf(f, "  block%d [label=<<TABLE BORDER=\"1\" COLOR=\"#BBBBBB\" CELLBORDER=\"1\" CELLSPACING=\"3\" CELLPADDING=\"6\">\n",
            b->block);
    /* Positions and column counts in long long: start_position and size come
     * from the file, and each may be INT_MAX. */
    fprintf(f, "    <TR><TD COLSPAN=\"%lld\" BORDER=\"0\" ALIGN=\"LEFT\"><B>block %d</B>: positions %lld..%lld after %s "
               "(block size %d)</TD></TR>\n", b->size + 2LL, b->block, (long long)b->start_position,
            (long long)b->start_position + b->size - 1, t, b->block_size);
    fprintf(f, "    <TR><TD BORDER=\"0\"></TD>");
    for (int i = 0; i < b->size; i++)
        fprintf(f, "<TD BORDER=\"0\"><FONT POINT-SIZE=\"13\">pos %lld</FONT></TD>", (long long)b->start_position + i);
    fprintf(f, "<TD BORDER=\"0\"></TD></TR>\n");
    for (int k = 0; k <= b->passes; k++) jacobi_row(f, b, k);
    jacobi_caption(f, b);
    fprintf(f, "  </TABLE>>];\n");
}

void write_jacobi_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    (void)o;
    dot_begin(f, "jacobi", "TB");
    fprintf(f, "  graph [label=<Jacobi decoding: each pass re-guesses every position of the block in one forward pass<BR/>"
               "<FONT POINT-SIZE=\"16\">dark green: fixed (after pass k the first k are) &#183; light green: already the "
               "final token &#183; thick border: changed by that pass</FONT>>];\n");
    for (size_t i = 0; i < doc->n_jacobi_blocks; i++) {
        jacobi_block_node(f, &doc->jacobi_blocks[i]);
        if (i > 0) fprintf(f, "  block%d -> block%d;\n", doc->jacobi_blocks[i - 1].block, doc->jacobi_blocks[i].block);
    }
    dot_end(f);
}
/* ---- the slide layouts: 1440 x 810 points at 1:1, no text below 18 pt ----
 *
 *   score:  the text in rows of cells, each coloured by its surprisal (the
 *           scale as a strip under it) with one number, the probability the
 *           model gave the token as a percentage; where the token was not the
 *           model's first choice, its rank and what the model expected.  The
 *           free-generation row, when there is one, under each text row.  A
 *           footer with the loss, perplexity and how often the text was the
 *           model's first choice.  As many cells per row as the text needs
 *           (estimated with text_points); rows that do not fit are named.
 *   jacobi: the block where Jacobi decoding gained most (fewest passes per
 *           accepted token, the earliest on a tie) as the grid of passes x
 *           positions, and the first block beside it for comparison when it
 *           is another and both fit; a strip of every block's pass count and
 *           the run's tokens per forward pass. */

#define SLIDE_W 1370   /* points a row may take: 1440 less the pad, less a margin for the estimate */
#define SLIDE_H 774    /* points of height: 810 less the pad */
#define CELL_EXTRA 16  /* padding, border and spacing of a cell, points */
#define LINE(pt) ((int)((pt) * 1.2))

/* The label under a scored token: its probability, and when the model did not rank it first, the rank and its top. */
static void score_slide_lines(char *out, size_t n, const TracedScore *sc, int *lines) {
    char p[48], top[512];
    fmt_percent(p, sizeof p, sc->probability);
    *lines = 1;
    if (sc->rank <= 1) { snprintf(out, n, "%s", p); return; }
    token_html(top, sizeof top, &sc->top);
    snprintf(out, n, "%s<BR/>rank %d<BR/>expected %s", p, sc->rank, top);
    *lines = 3;
}

static int score_slide_cell_points(const TraceDoc *doc, size_t pos) {
    const TracedScore *sc = score_at(doc, pos);
    char t[512], under[1200];
    int lines, w;
    token_html(t, sizeof t, &doc->text[pos]);
    w = text_points(t, 24);
    if (!sc) return (w > text_points("not scored", 18) ? w : text_points("not scored", 18)) + CELL_EXTRA;
    score_slide_lines(under, sizeof under, sc, &lines);
    for (char *line = under, *br; line; line = br ? br + 5 : NULL) {   /* the widest line */
        char one[600];
        br = strstr(line, "<BR/>");
        snprintf(one, sizeof one, "%.*s", br ? (int)(br - line) : (int)strlen(line), line);
        if (text_points(one, 18) > w) w = text_points(one, 18);
    }
    if (doc->has_free && pos >= (size_t)doc->free_from && pos - (size_t)doc->free_from < doc->n_free) {
        token_html(t, sizeof t, &doc->free_tokens[pos - (size_t)doc->free_from]);
        if (text_points(t, 20) + text_points(" &#10007;", 20) > w) w = text_points(t, 20) + text_points(" &#10007;", 20);
    }
    return w + CELL_EXTRA;
}

/* Height of the slide row holding positions [from, to): the text row and, where it overlaps, the free row. */
static int score_slide_row_points(const TraceDoc *doc, size_t from, size_t to) {
    int lines = 1;
    for (size_t pos = from; pos < to; pos++) {
        const TracedScore *sc = score_at(doc, pos);
        if (sc && sc->rank > 1) lines = 3;
    }
    int h = LINE(24) + lines * LINE(18) + CELL_EXTRA;
    if (doc->has_free && to > (size_t)doc->free_from) h += LINE(20) + CELL_EXTRA;
    return h + 14;   /* ranksep between rows */
}

static void score_slide_row(FILE *f, const TraceDoc *doc, size_t r, size_t from, size_t to) {
    char t[512], under[1200], bg[8];
    fprintf(f, "  row%zu [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"4\" CELLPADDING=\"4\">\n<TR>"
               "<TD BORDER=\"0\" ALIGN=\"RIGHT\"><FONT POINT-SIZE=\"18\" COLOR=\"#555555\">text</FONT></TD>", r);
    for (size_t pos = from; pos < to; pos++) {
        const TracedScore *sc = score_at(doc, pos);
        int dark, lines;
        token_html(t, sizeof t, &doc->text[pos]);
        if (!sc) {
            fprintf(f, "<TD ID=\"s%zu\" BGCOLOR=\"#EEEEEE\" COLOR=\"#999999\"><FONT POINT-SIZE=\"24\">%s</FONT><BR/>"
                       "<FONT POINT-SIZE=\"18\" COLOR=\"#555555\">not scored</FONT></TD>", pos, t);
            continue;
        }
        surprisal_colour(bg, sc->surprisal_bits, &dark);
        score_slide_lines(under, sizeof under, sc, &lines);
        fprintf(f, "<TD ID=\"s%zu\" BGCOLOR=\"%s\" COLOR=\"#999999\" VALIGN=\"TOP\"><FONT COLOR=\"%s\"><FONT POINT-SIZE=\"24\">%s</FONT>"
                   SLIDE_LINE_BREAK "<FONT POINT-SIZE=\"18\">%s</FONT></FONT></TD>", pos, bg, dark ? "black" : "white", t, under);
    }
    fprintf(f, "</TR>\n");
    if (doc->has_free && to > (size_t)doc->free_from) {
        fprintf(f, "<TR><TD BORDER=\"0\" ALIGN=\"RIGHT\"><FONT POINT-SIZE=\"18\" COLOR=\"#555555\">model</FONT></TD>");
        for (size_t pos = from; pos < to; pos++) {
            if (pos < (size_t)doc->free_from || pos - (size_t)doc->free_from >= doc->n_free) {
                fprintf(f, "<TD BORDER=\"0\"></TD>");
                continue;
            }
            size_t i = pos - (size_t)doc->free_from;
            int same = doc->free_matches[i];
            token_html(t, sizeof t, &doc->free_tokens[i]);
            fprintf(f, "<TD ID=\"f%zu\" BGCOLOR=\"%s\" COLOR=\"%s\" BORDER=\"%d\">%s%s%s %s</TD>", pos, same ? "white" : "#FBE3D0",
                    same ? "#999999" : COLOR_VERMILLION, same ? 1 : 3, same ? "" : "<B>", t, same ? "" : "</B>",
                    same ? "&#10003;" : "&#10007;");
        }
        fprintf(f, "</TR>\n");
    }
    fprintf(f, "</TABLE>>];\n");
    if (r == 0) fprintf(f, "  title -> row0 [style=invis];\n");
    else fprintf(f, "  row%zu -> row%zu [style=invis];\n", r - 1, r);
}

void write_score_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    char loss[48], ppl[48], top1[48], bg[8];
    size_t r = 0, pos = 0;
    /* the title (two lines), the legend and the footer (two lines) */
    int h = LINE(24) + LINE(18) + 14 + (LINE(18) + 30) + 2 * LINE(20) + 14;
    (void)o;
    dot_begin_slide(f, "score", "TB");
    fprintf(f, "  graph [ranksep=0.2];\n");
    fprintf(f, "  title [label=<<B>teacher forcing</B>: the model reads the true text, and each token is coloured by how "
               "surprised it was<BR/><FONT POINT-SIZE=\"18\">under each token: the probability the model gave it; "
               "its rank and the model's own choice when that was another token</FONT>>];\n");
    while (pos < doc->n_text) {
        int w = text_points("model", 18) + CELL_EXTRA;
        size_t end = pos;
        while (end < doc->n_text) {
            int cw = score_slide_cell_points(doc, end);
            if (end > pos && w + cw > SLIDE_W) break;
            w += cw;
            end++;
        }
        int rh = score_slide_row_points(doc, pos, end);
        if (r > 0 && h + rh > SLIDE_H) break;
        h += rh;
        score_slide_row(f, doc, r++, pos, end);
        pos = end;
    }
    /* the colour scale: surprisal = -log2 p */
    fprintf(f, "  legend [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"4\"><TR>"
               "<TD BORDER=\"0\"><FONT POINT-SIZE=\"18\">surprisal &#8722;log<SUB>2</SUB> p, bits:&#160;</FONT></TD>");
    for (int i = 0; i <= LEGEND_STEPS; i++) {
        double bits = SURPRISAL_MAX * i / LEGEND_STEPS;
        int dark;
        surprisal_colour(bg, bits, &dark);
        fprintf(f, "<TD BGCOLOR=\"%s\" WIDTH=\"60\"><FONT POINT-SIZE=\"18\" COLOR=\"%s\">%s%g</FONT></TD>", bg,
                dark ? "black" : "white", i == LEGEND_STEPS ? "&#8805;" : "", bits);
    }
    fprintf(f, "<TD BORDER=\"0\"><FONT POINT-SIZE=\"18\">&#160; (p = 50 %% is 1 bit, 1 %% is 6.6 bits)</FONT></TD></TR></TABLE>>];\n");
    fprintf(f, "  row%zu -> legend [style=invis];\n", r - 1);
    snprintf(loss, sizeof loss, "%.3g", doc->mean_loss_nats);
    snprintf(ppl, sizeof ppl, "%.3g", doc->perplexity);
    fmt_percent(top1, sizeof top1, doc->top1_fraction);
    fprintf(f, "  summary [label=<%zu tokens scored: mean loss <B>%s</B> nats a token, perplexity <B>%s</B>; "
               "the text's token was the model's first choice %s of the time", doc->n_scores, loss, ppl, top1);
    if (doc->has_free) {
        fprintf(f, "<BR/><FONT POINT-SIZE=\"18\">model rows: the model's own greedy continuation from position %d, ", doc->free_from);
        if (doc->free_first_divergence >= 0) fprintf(f, "first leaving the text at position %d", doc->free_first_divergence);
        else fprintf(f, "never leaving the text");
        fprintf(f, " (&#10007; outlined)</FONT>");
    }
    if (pos < doc->n_text)
        fprintf(f, "<BR/><FONT POINT-SIZE=\"18\">positions %zu to %zu do not fit on this slide; the numbers above cover the whole text</FONT>",
                pos, doc->n_text - 1);
    fprintf(f, ">];\n  legend -> summary [style=invis];\n");
    dot_end(f);
}

/* The block where Jacobi gained most: the fewest passes per accepted token (the earliest on a tie). */
static size_t jacobi_best_block(const TraceDoc *doc) {
    size_t best = 0;
    for (size_t i = 1; i < doc->n_jacobi_blocks; i++) {
        const TracedJacobiBlock *a = &doc->jacobi_blocks[i], *b = &doc->jacobi_blocks[best];
        if (a->n_accepted > 0 && (double)a->passes * (double)b->n_accepted < (double)b->passes * (double)a->n_accepted) best = i;
    }
    return best;
}

static int jacobi_column_points(const TracedJacobiBlock *b, int i) {
    char t[512];
    token_html(t, sizeof t, &b->initial[i]);
    int w = text_points(t, 22);
    for (int k = 0; k < b->passes; k++) {
        token_html(t, sizeof t, &b->iterations[k].tokens[i]);
        if (text_points(t, 22) > w) w = text_points(t, 22);
    }
    return w + CELL_EXTRA + 6;   /* the thick border of a changed cell */
}

/* What of block b's grid fits: its first *cols positions, its first *rows
 * rows (the guess and passes), the last pass always drawn; returns the width
 * in points and the height in *height. */
static int jacobi_grid_fit(const TracedJacobiBlock *b, int max_w, int max_h, int *cols, int *rows, int *height) {
    const int row_h = LINE(22) + CELL_EXTRA + 6, fixed_h = LINE(20) + LINE(18) + LINE(20) + 2 * CELL_EXTRA;
    int w = text_points("pass 00", 20) + text_points("00 changed", 18) + 2 * CELL_EXTRA;
    *cols = 0;
    while (*cols < b->size) {
        int cw = jacobi_column_points(b, *cols);
        if (*cols > 0 && w + cw > max_w) break;
        w += cw;
        ++*cols;
    }
    *rows = b->passes + 1;
    if (fixed_h + *rows * row_h > max_h) {
        *rows = (max_h - fixed_h) / row_h;
        if (*rows < 3) *rows = 3;
    }
    *height = fixed_h + *rows * row_h;
    return w;
}

static void jacobi_slide_row(FILE *f, const TracedJacobiBlock *b, int k, int cols) {
    const TracedJacobiPass *p = k > 0 ? &b->iterations[k - 1] : NULL;
    const TracedToken *toks = p ? p->tokens : b->initial;
    char t[512];
    if (p) fprintf(f, "<TR><TD BORDER=\"0\" ALIGN=\"RIGHT\">pass %d</TD>", p->pass);
    else fprintf(f, "<TR><TD BORDER=\"0\" ALIGN=\"RIGHT\">guess</TD>");
    for (int i = 0; i < cols; i++) {
        int fixed = k > i, correct = p && p->correct[i], changed = p && p->changed[i];
        token_html(t, sizeof t, &toks[i]);
        fprintf(f, "<TD ID=\"j%d_k%d_i%d\" BGCOLOR=\"%s\" BORDER=\"%d\" COLOR=\"%s\"><FONT POINT-SIZE=\"22\"%s>%s</FONT></TD>",
                b->block, k, i, fixed ? COLOR_GREEN : correct ? GREEN_TINT : "white", changed ? 4 : 1,
                changed ? "black" : "#999999", fixed ? " COLOR=\"white\"" : "", t);
    }
    if (p) fprintf(f, "<TD BORDER=\"0\" ALIGN=\"LEFT\"><FONT POINT-SIZE=\"18\">%d changed</FONT></TD></TR>\n", p->n_changed);
    else fprintf(f, "<TD BORDER=\"0\"></TD></TR>\n");
}

/* The grid of block b: a row per pass, a column per position; what does not fit (cols, rows) is named. */
static void jacobi_slide_grid(FILE *f, const TracedJacobiBlock *b, const char *why, int cols, int rows) {
    char t[512];
    token_html(t, sizeof t, &b->last_committed);
    fprintf(f, "  block%d [label=<<TABLE BORDER=\"1\" COLOR=\"#BBBBBB\" CELLBORDER=\"1\" CELLSPACING=\"3\" CELLPADDING=\"5\">\n"
               "<TR><TD COLSPAN=\"%d\" BORDER=\"0\" ALIGN=\"LEFT\"><B>block %d</B>, after %s <FONT POINT-SIZE=\"18\" "
               "COLOR=\"#555555\">(%s)</FONT></TD></TR>\n<TR><TD BORDER=\"0\" ALIGN=\"RIGHT\"><FONT POINT-SIZE=\"18\" "
               "COLOR=\"#555555\">position</FONT></TD>", b->block, cols + 2, b->block, t, why);
    for (int i = 0; i < cols; i++)
        fprintf(f, "<TD BORDER=\"0\"><FONT POINT-SIZE=\"18\" COLOR=\"#555555\">%lld</FONT></TD>", (long long)b->start_position + i);
    fprintf(f, "<TD BORDER=\"0\"></TD></TR>\n");
    if (rows >= b->passes + 1) {
        for (int k = 0; k <= b->passes; k++) jacobi_slide_row(f, b, k, cols);
    } else {   /* the first passes, a gap, the last pass */
        for (int k = 0; k < rows - 2; k++) jacobi_slide_row(f, b, k, cols);
        fprintf(f, "<TR><TD COLSPAN=\"%d\" BORDER=\"0\"><FONT POINT-SIZE=\"18\">&#8942; passes %d to %d not drawn</FONT></TD></TR>\n",
                cols + 2, rows - 2, b->passes - 1);
        jacobi_slide_row(f, b, b->passes, cols);
    }
    fprintf(f, "<TR><TD COLSPAN=\"%d\" BORDER=\"0\" ALIGN=\"LEFT\"><B>%zu token%s in %d pass%s</B>: %s", cols + 2,
            b->n_accepted, b->n_accepted == 1 ? "" : "s", b->passes, b->passes == 1 ? "" : "es",
            strcmp(b->converged_by, "fixed_point") == 0 ? "a pass changed nothing, so the guess is final"
                                                         : "stopped when every position was fixed");
    if (cols < b->size)
        fprintf(f, "; positions %lld to %lld not drawn", (long long)b->start_position + cols,
                (long long)b->start_position + b->size - 1);
    fprintf(f, "</TD></TR>\n</TABLE>>];\n");
}

/* Every block's pass count as a strip of cells, wrapped; green where it took fewer passes than tokens. */
static void jacobi_strip(FILE *f, const TraceDoc *doc) {
    enum { PER_ROW = 24, ROWS = 4 };   /* at most 96 blocks drawn; the totals count them all */
    long tokens = 0, passes = 0;
    char rate[48];
    for (size_t i = 0; i < doc->n_jacobi_blocks; i++) {
        tokens += (long)doc->jacobi_blocks[i].n_accepted;
        passes += doc->jacobi_blocks[i].passes;
    }
    snprintf(rate, sizeof rate, "%.2f", passes > 0 ? (double)tokens / (double)passes : 0.0);
    fprintf(f, "  strip [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"2\" CELLPADDING=\"4\">\n");
    for (size_t from = 0; from < doc->n_jacobi_blocks && from < PER_ROW * ROWS; from += PER_ROW) {
        if (from == 0) fprintf(f, "<TR><TD BORDER=\"0\" ALIGN=\"RIGHT\"><FONT POINT-SIZE=\"18\">passes per block:</FONT></TD>");
        else fprintf(f, "<TR><TD BORDER=\"0\"></TD>");   /* Graphviz refuses an empty FONT element */
        for (size_t i = from; i < from + PER_ROW && i < doc->n_jacobi_blocks; i++) {
            const TracedJacobiBlock *b = &doc->jacobi_blocks[i];
            int gain = (size_t)b->passes < b->n_accepted;
            fprintf(f, "<TD ID=\"p%zu\" WIDTH=\"34\" BGCOLOR=\"%s\"><FONT POINT-SIZE=\"18\"%s>%d</FONT></TD>", i,
                    gain ? COLOR_GREEN : "white", gain ? " COLOR=\"white\"" : "", b->passes);
        }
        fprintf(f, "</TR>\n");
    }
    if (doc->n_jacobi_blocks > PER_ROW * ROWS)
        fprintf(f, "<TR><TD BORDER=\"0\"></TD><TD COLSPAN=\"%d\" BORDER=\"0\" ALIGN=\"LEFT\"><FONT POINT-SIZE=\"18\">"
                   "blocks %d to %zu not drawn</FONT></TD></TR>\n", PER_ROW, PER_ROW * ROWS, doc->n_jacobi_blocks - 1);
    fprintf(f, "</TABLE>>];\n");
    fprintf(f, "  total [label=<%zu block%s: <B>%ld tokens in %ld forward passes</B>, %s tokens a pass "
               "(one token at a time: 1.00)<BR/><FONT POINT-SIZE=\"18\">green: a block that took fewer passes than it accepted tokens</FONT>>];\n",
            doc->n_jacobi_blocks, doc->n_jacobi_blocks == 1 ? "" : "s", tokens, passes, rate);
    fprintf(f, "  strip -> total [style=invis];\n");
}

void write_jacobi_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    size_t best = jacobi_best_block(doc);
    const TracedJacobiBlock *b = &doc->jacobi_blocks[best], *first = &doc->jacobi_blocks[0];
    int rows_strip = doc->n_jacobi_blocks > 96 ? 5 : (int)((doc->n_jacobi_blocks + 23) / 24);
    int h_rest = LINE(24) + LINE(18) + rows_strip * (LINE(18) + 12) + LINE(20) + LINE(18) + 3 * 18;
    int cols_b, rows_b, h_b, cols_f, rows_f, h_f;
    int w_b = jacobi_grid_fit(b, SLIDE_W, SLIDE_H - h_rest, &cols_b, &rows_b, &h_b);
    int w_f = jacobi_grid_fit(first, SLIDE_W, SLIDE_H - h_rest, &cols_f, &rows_f, &h_f);
    int both = best != 0 && w_b + w_f + 40 <= SLIDE_W && cols_b == b->size && cols_f == first->size &&
               rows_b == b->passes + 1 && rows_f == first->passes + 1;
    (void)o;
    dot_begin_slide(f, "jacobi", "TB");
    fprintf(f, "  graph [ranksep=0.25, label=<<B>Jacobi decoding</B>: re-guess a whole block of tokens in one forward pass, "
               "until nothing changes<BR/><FONT POINT-SIZE=\"18\">dark green: fixed (after pass k at "
               "least the first k are) &#183; light green: already right &#183; thick border: changed by that pass</FONT>>];\n");
    if (both) {
        jacobi_slide_grid(f, first, "the first block", cols_f, rows_f);
        jacobi_slide_grid(f, b, "the fewest passes a token", cols_b, rows_b);
        fprintf(f, "  { rank=same; block%d; block%d; }\n  block%d -> strip [style=invis];\n  block%d -> strip [style=invis];\n",
                first->block, b->block, first->block, b->block);
    } else {
        jacobi_slide_grid(f, b, best > 0 ? "the fewest passes a token" : doc->n_jacobi_blocks > 1 ? "the first block" : "the only block",
                          cols_b, rows_b);
        fprintf(f, "  block%d -> strip [style=invis];\n", b->block);
    }
    jacobi_strip(f, doc);
    dot_end(f);
}
