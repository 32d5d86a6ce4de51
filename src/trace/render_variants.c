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
void write_score_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o) { write_score_diagram(f, doc, o); }
void write_jacobi_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o) { write_jacobi_diagram(f, doc, o); }
