/*
 * render.h - lecture diagrams from a trace, written as Graphviz DOT.
 *
 * Every number in a diagram is read from the trace (trace_read.h); nothing
 * is recomputed.  Each diagram kind is one row of a table: its name, whether
 * a document has what it needs, the file it goes to, and the function that
 * writes its DOT.  A new kind is one more row and one more writer (the
 * score and Jacobi diagrams were added that way).
 *
 * The DOT is deterministic: node ids come from step, rank and position
 * indices, numbers are printed with fixed formats, so the same trace gives
 * the same bytes.  Labels are Graphviz HTML-like labels; token text goes
 * through token_html(), which escapes it and makes spaces and control bytes
 * visible.
 */
#ifndef ARGEN_RENDER_H
#define ARGEN_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "trace/trace_read.h"
#include "formats/files.h"

/* What to draw: the user's --step/--layer/--head/--top, already checked. */
typedef struct {
    size_t step;        /* index into doc->steps (sampling traces) */
    size_t layer;       /* attention: the layer */
    size_t head;        /* attention: the head */
    size_t top;         /* rows of the probability table, alternatives per tree step */
    int slide;          /* 1: the 16:9 slide layout (fits 1920x1080 at 1:1, text >= 18 pt);
                         * 0: the detailed reference layout */
} RenderOptions;

typedef struct {
    const char *name;   /* --kind NAME */
    const char *what;   /* one line for --help */
    size_t default_top; /* RenderOptions.top when --top is not given */
    /* 1 when doc has what this diagram needs. */
    int (*applies)(const TraceDoc *doc);
    /* The file name (no folder) for these options: "probs-3.dot". */
    void (*file_name)(char *out, size_t n, const RenderOptions *o);
    /* Writes the whole DOT graph to f (the detailed layout). */
    void (*write)(FILE *f, const TraceDoc *doc, const RenderOptions *o);
    /* The slide layout's writer; NULL: `write` draws both, reading o->slide. */
    void (*write_slide)(FILE *f, const TraceDoc *doc, const RenderOptions *o);
    int per_step;       /* 1: one picture per step (--step A..B and all draw several) */
} DiagramKind;

/* The table of diagram kinds, in the order `--kind all` draws them. */
const DiagramKind *diagram_kinds(size_t *n);
const DiagramKind *diagram_kind_find(const char *name);

/* Writes dir/NAME.dot for one kind atomically; path gets its full name. */
int render_dot_file(const DiagramKind *k, const TraceDoc *doc, const RenderOptions *o, const char *dir,
                    char *path, size_t path_n, Error *err);

/* Runs `dot -TFORMAT -o OUT IN` (dot_program found on PATH) with fork/exec,
 * writing to a temporary name renamed into place on success.  OUT is IN
 * with its ".dot" replaced by ".FORMAT".  Fails when dot exits non-zero. */
int render_run_dot(const char *dot_program, const char *format, const char *dot_path, Error *err);

/* The full path of `program` on $PATH into out, or -1 when it is not there. */
int render_find_program(const char *program, char *out, size_t n);

/* ---- the writers, one per kind (render_step.c, render_attention.c, render_tree.c, render_variants.c) ---- */

void write_step_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o);
void write_probs_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o);
void write_attention_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o);
void write_heatmap_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o);
void write_tree_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o);
void write_compare_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o);
void write_score_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o);    /* render_variants.c */
void write_jacobi_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o);   /* render_variants.c */

/* The slide layouts (render_slide.c). */
void write_explain_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o);    /* step: one step explained */
void write_probs_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o);      /* probs: the short table */
void write_matrix_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o);     /* attention: query x key */
void write_heatmap_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o);    /* heatmap with colour bar */
void write_compare_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o);    /* render_tree.c: chains in rows */
void write_score_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o);      /* render_variants.c */
void write_jacobi_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o);     /* render_variants.c */

/* The weight row [*n_key] of query position q at layer/head, from the latest
 * step <= upto that recorded it (attention is causal, so a row never changes
 * once computed); NULL when no step did (render_attention.c). */
const double *render_attention_row(const TraceDoc *doc, size_t upto, size_t layer, size_t head, int q, size_t *n_key);

/* The step `--step branch` means: the step whose choice was least certain
 * (highest entropy of the distribution sampled from; the earliest on a tie).
 * 0 for a document without sampling steps. */
size_t render_branch_step(const TraceDoc *doc);

/* The head of `layer` at `step` whose attention for the step's last query is
 * most concentrated (the largest single weight; the lowest head on a tie). */
size_t render_best_head(const TraceDoc *doc, size_t step, size_t layer);

/* Animation of a run: frames (pictures of one kind, one per step) joined
 * into OUT.gif with gifsicle and OUT.pdf with qpdf, each from frame files
 * FRAME.gif / FRAME.pdf written beside them by dot.  Fails naming the tool. */
int render_animate(const char *gifsicle, const char *qpdf, const char *out_base, char *const *frame_bases,
                   size_t n_frames, Error *err);

/* ---- shared by the diagram writers ---- */

/* Token bytes as HTML-like label text into out (always NUL-terminated):
 * letters and digits as they are, every other printable ASCII byte as a
 * numeric character reference (&#93;), spaces shown as U+2423 (open box),
 * newline, tab, CR as \n \t \r, a backslash as \\, other control bytes and
 * bytes that are not valid UTF-8 as \xNN; valid UTF-8 passes through.  The
 * result is safe inside any HTML-like label and any of its attribute values
 * (every label argen writes is HTML-like).  Long tokens are cut with an
 * ellipsis.  text == NULL (no vocabulary) gives "#ID". */
void token_html(char *out, size_t n, const TracedToken *t);

/* Plain text (a strategy name, a file name) escaped for HTML-like labels the
 * same way, by the same function, except that spaces stay spaces. */
void text_html(char *out, size_t n, const char *s);

/* Numbers as every label prints them: probabilities and weights with 4
 * significant digits, logits and norms with 4 as well ("%.4g"). */
void fmt_num(char *out, size_t n, double x);

/* A probability as a percentage to the precision that matters: "99.98 %",
 * "12.3 %", "0.42 %", "< 0.01 %" for a tiny non-zero value, "0 %", "100 %"
 * only for exactly 1.  A value just under 1 never rounds up to 100 %. */
void fmt_percent(char *out, size_t n, double p);

/* The smallest text size of a layout: 18 pt on a slide, 12 in the detail. */
int small_font(const RenderOptions *o);

/* The characters a label's text shows: tags count nothing, an entity or a
 * UTF-8 sequence one; and a width estimate in points at font_pt, on the wide
 * side, which the slide layouts use to decide how many cells fit a row. */
size_t html_visible_chars(const char *s);
int text_points(const char *html, int font_pt);

/* The Okabe-Ito palette (colour-blind safe) and a viridis ramp. */
#define COLOR_ORANGE "#E69F00"
#define COLOR_SKY "#56B4E9"
#define COLOR_GREEN "#009E73"
#define COLOR_YELLOW "#F0E442"
#define COLOR_BLUE "#0072B2"
#define COLOR_VERMILLION "#D55E00"
#define COLOR_PURPLE "#CC79A7"
#define COLOR_GREY "#999999"
#define COLOR_CHOSEN_BG "#CDE9F7"   /* a light tint of sky blue for the chosen row */
/* A line break with a few points of air: the open-box space glyph of a token
 * such as "\u2423the" sits below the baseline, where Graphviz puts the next line. */
#define SLIDE_LINE_BREAK "<BR/><FONT POINT-SIZE=\"5\"> </FONT><BR/>"

/* The viridis colour for x in [0, 1] as "#RRGGBB" into out[8]; and whether
 * black (1) or white (0) text reads better on it. */
void viridis(char out[8], double x);
int viridis_text_dark(double x);

/* The graph preamble every diagram shares: fonts sized for a projector. */
void dot_begin(FILE *f, const char *name, const char *rankdir);
/* The same for the slide layout: 96 dpi, the 16:9 page of 1920x1080 pixels
 * as an upper bound, 18 pt for nodes and edges. */
void dot_begin_slide(FILE *f, const char *name, const char *rankdir);
/* dot_begin or dot_begin_slide, as o says. */
void dot_begin_for(FILE *f, const char *name, const char *rankdir, const RenderOptions *o);
void dot_end(FILE *f);

#endif
