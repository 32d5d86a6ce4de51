/*
 * render_attention.c - attention from a trace:
 *
 *   attention: one layer and head at one step; the context's tokens as two
 *              columns (keys on the left, queries on the right) and an edge
 *              key -> query whose width and opacity follow the weight.  The
 *              causal mask shows as the absence of any edge to a later token.
 *              A query's row comes from the latest step (up to this one) that
 *              recorded it: a summary trace records only each step's last
 *              query, and rows never change once computed (causal).
 *   heatmap:   every layer x head for the step's last query, one row per
 *              (layer, head), one column per key, cells coloured by viridis.
 *
 * Node ids: k<position>, q<position>; heatmap cells have ids
 * "a_L<layer>_H<head>_k<key>".
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trace/render.h"

#define KEYS_SHOWN 24           /* the last positions drawn; earlier ones are summarised */
#define FAINT_EDGE 0.01         /* edges of other queries below this weight are left out */

/* The weight row [key_count] of query position q at `layer`/`head`, from the
 * latest step <= upto that recorded it; NULL when none did. */
const double *render_attention_row(const TraceDoc *doc, size_t upto, size_t layer, size_t head, int q,
                                 size_t *n_key) {
    for (size_t s = upto + 1; s-- > 0;) {
        const TracedStep *st = &doc->steps[s];
        if (layer >= st->n_layers) continue;
        const TracedLayer *L = &st->layers[layer];
        if (head >= L->n_head) continue;
        for (size_t i = 0; i < st->n_query; i++)
            if (st->query_positions[i] == q) {
                *n_key = L->n_key;
                return L->attention + (head * L->n_query + i) * L->n_key;
            }
    }
    return NULL;
}

/* "#0072B2" with an alpha that grows with the weight. */
static void edge_color(char out[16], const char *rgb, double w) {
    int alpha = (int)lround(64 + 191 * (w > 1 ? 1 : w));
    snprintf(out, 16, "%s%02X", rgb, alpha);
}

static void token_node(FILE *f, char side, int pos, const TracedToken *t, int recorded, int current) {
    char text[512];
    token_html(text, sizeof text, t);
    fprintf(f, "  %c%d [shape=box, style=\"rounded,filled\", fillcolor=\"%s\", color=\"%s\", label=<%s<FONT POINT-SIZE=\"12\"> %d</FONT>>];\n",
            side, pos, current ? COLOR_CHOSEN_BG : recorded ? "white" : "#EEEEEE",
            current ? COLOR_VERMILLION : recorded ? "#555555" : COLOR_GREY, text, pos);
}

static void column(FILE *f, char side, int from, int to) {
    fprintf(f, "  { rank=same; ");
    for (int p = from; p < to; p++) fprintf(f, "%c%d; ", side, p);
    fprintf(f, "}\n");
    for (int p = from; p + 1 < to; p++) fprintf(f, "  %c%d -> %c%d [style=invis];\n", side, p, side, p + 1);
}

/* Edges into query q: all of them for the current query (labelled), the visible ones otherwise. */
static void query_edges(FILE *f, const double *row, size_t n_key, int q, int from, int current) {
    for (int k = from; k <= q && (size_t)k < n_key; k++) {
        double w = row[k];
        if (isnan(w) || (!current && w < FAINT_EDGE)) continue;
        /* a weight outside [0, 1] (an edited file) is drawn at the nearest end, labelled as it is */
        double drawn = w < 0 ? 0 : w > 1 ? 1 : w;
        char color[16], v[48];
        edge_color(color, current ? COLOR_VERMILLION : COLOR_BLUE, drawn);
        fprintf(f, "  k%d -> q%d [penwidth=%.2f, color=\"%s\", arrowhead=none", k, q, 0.5 + 8 * drawn, color);
        if (current) {
            fmt_num(v, sizeof v, w);
            fprintf(f, ", taillabel=<%s>, labelfontcolor=\"" COLOR_VERMILLION "\", labeldistance=4, labelangle=0", v);
        }
        fprintf(f, "];\n");
    }
}

void write_attention_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    const TracedStep *s = &doc->steps[o->step];
    int n = (int)s->n_context, from = n > KEYS_SHOWN ? n - KEYS_SHOWN : 0;
    int current = s->query_positions[s->n_query - 1];
    dot_begin(f, "attention", "LR");
    fprintf(f, "  graph [ranksep=3, label=<step %d, layer %zu, head %zu: keys (left) &#8594; queries (right); "
               "the mask leaves no edge to a later token%s>];\n",
            s->step, o->layer, o->head, from > 0 ? "; earlier positions not drawn" : "");
    for (int p = from; p < n; p++) {
        size_t nk;
        int recorded = render_attention_row(doc, o->step, o->layer, o->head, p, &nk) != NULL;
        token_node(f, 'k', p, &s->context[p], 1, 0);
        token_node(f, 'q', p, &s->context[p], recorded, p == current);
    }
    column(f, 'k', from, n);
    column(f, 'q', from, n);
    /* Invisible rungs keep each key level with the query of the same position. */
    for (int p = from; p < n; p++) fprintf(f, "  k%d -> q%d [style=invis, weight=100];\n", p, p);
    for (int q = from; q < n; q++) {
        size_t nk = 0;
        const double *row = render_attention_row(doc, o->step, o->layer, o->head, q, &nk);
        if (row) query_edges(f, row, nk, q, from, q == current);
    }
    dot_end(f);
}

/* ---- the heatmap ---- */

static void heatmap_header(FILE *f, const TracedStep *s, int from) {
    char t[512];
    fprintf(f, "    <TR><TD COLSPAN=\"%d\" CELLPADDING=\"8\"><B>step %d: attention of the last query (position %d) "
               "in every layer &#215; head</B></TD></TR>\n",
            (int)s->n_context - from + 1 + (from > 0), s->step, s->query_positions[s->n_query - 1]);
    fprintf(f, "    <TR><TD></TD>%s", from > 0 ? "<TD>&#8230;</TD>" : "");
    for (int k = from; k < (int)s->n_context; k++) {
        token_html(t, sizeof t, &s->context[k]);
        fprintf(f, "<TD>%s</TD>", t);
    }
    fprintf(f, "</TR>\n");
}

static void heatmap_row(FILE *f, const TracedLayer *L, size_t h, int from) {
    const double *row = L->attention + (h * L->n_query + (L->n_query - 1)) * L->n_key;
    fprintf(f, "    <TR><TD ALIGN=\"LEFT\"><B>layer %d head %zu</B></TD>%s", L->layer, h, from > 0 ? "<TD></TD>" : "");
    for (size_t k = (size_t)from; k < L->n_key; k++) {
        char bg[8];
        double w = row[k];
        viridis(bg, w);
        if (isnan(w)) fprintf(f, "<TD BGCOLOR=\"#FFFFFF\">&#8212;</TD>");
        else
            fprintf(f, "<TD ID=\"a_L%d_H%zu_k%zu\" BGCOLOR=\"%s\"><FONT COLOR=\"%s\">%.3f</FONT></TD>", L->layer, h, k, bg,
                    viridis_text_dark(w) ? "black" : "white", w);
    }
    fprintf(f, "</TR>\n");
}

void write_heatmap_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    const TracedStep *s = &doc->steps[o->step];
    int n = (int)s->n_context, from = n > KEYS_SHOWN ? n - KEYS_SHOWN : 0;
    dot_begin(f, "heatmap", "LR");
    fprintf(f, "  heatmap [label=<<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"2\" CELLPADDING=\"6\">\n");
    heatmap_header(f, s, from);
    for (size_t l = 0; l < s->n_layers; l++)
        for (size_t h = 0; h < s->layers[l].n_head; h++) heatmap_row(f, &s->layers[l], h, from);
    fprintf(f, "  </TABLE>>];\n");
    dot_end(f);
}
