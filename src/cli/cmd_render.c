/*
 * cmd_render.c - `argen render TRACE.json --out DIR`: lecture diagrams from
 * a trace (or from the JSON of `argen compare`), as Graphviz .dot files, and
 * as pictures when Graphviz's dot is on PATH.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "trace/render.h"
#include "trace/trace_read.h"

static const char *const usage_text =
    "usage: argen render TRACE.json --out DIR [options]\n"
    "\n"
    "Draws diagrams from a trace of `argen generate --trace` (sampling, beam search\n"
    "or Jacobi), of `argen score --trace`, or the JSON of `argen compare --json`;\n"
    "every number comes from the file.  Writes DIR/*.dot,\n"
    "and DIR/*.FORMAT when Graphviz's dot is on PATH.\n"
    "\n"
    "  --out DIR        folder for the diagrams (made if missing)\n"
    "  --format F       svg|png|pdf (default png)\n"
    "  --kind K         step|probs|attention|heatmap|tree|compare|score|jacobi|all\n"
    "                   (default all that the file allows)\n"
    "  --slide          the slide layout: 16:9, fits 1920x1080 at 1:1, text >= 18 pt\n"
    "  --detail         the detailed reference layout (the default)\n"
    "  --step S         which sampling steps: N (0..steps-1), A..B, all, or branch:\n"
    "                   the step whose choice was least certain (highest entropy;\n"
    "                   the default).  all also writes NAME-all.gif and NAME-all.pdf,\n"
    "                   the run animated, one frame / page per step (gifsicle, qpdf)\n"
    "  --layer L        attention: the layer, 0..n_layer-1 (default 0)\n"
    "  --head H         attention: the head, 0..n_head-1, or best: the most\n"
    "                   concentrated head for the step's query (default 0)\n"
    "  --top N          rows of the probability table / alternatives per tree step,\n"
    "                   1..the rows the trace holds (default 10 or fewer, and 4 in the tree)\n"
    "\n"
    "kinds:\n";

typedef struct {
    const char *trace, *out, *format, *kind;
    const char *step;              /* --step as given; NULL: branch */
    long layer, head, top;         /* -1: not given; head -2: best */
    int slide;
} RenderArgs;

static void print_usage(void) {
    size_t n;
    const DiagramKind *k = diagram_kinds(&n);
    fputs(usage_text, stdout);
    for (size_t i = 0; i < n; i++) printf("  %-10s %s\n", k[i].name, k[i].what);
}

static int parse_args(int argc, char **argv, RenderArgs *a) {
    const char *cmd = argv[0];
    memset(a, 0, sizeof *a);
    a->format = "png";
    a->kind = "all";
    a->layer = a->head = a->top = -1;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v;
        if (cli_is_help(o)) { print_usage(); return -1; }
        if (o[0] != '-' || o[1] == '\0') {
            if (a->trace) { fprintf(stderr, "argen %s: expected one trace file, got '%s' and '%s'\n", cmd, a->trace, o); return EXIT_USAGE; }
            a->trace = o;
            continue;
        }
        if (!strcmp(o, "--slide") || !strcmp(o, "--detail")) { a->slide = o[2] == 's'; continue; }
        if (strcmp(o, "--out") && strcmp(o, "--format") && strcmp(o, "--kind") && strcmp(o, "--step") &&
            strcmp(o, "--layer") && strcmp(o, "--head") && strcmp(o, "--top"))
            return cli_unknown(cmd, o);
        if (!(v = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE;
        if (!strcmp(o, "--out")) a->out = v;
        else if (!strcmp(o, "--format")) a->format = v;
        else if (!strcmp(o, "--kind")) a->kind = v;
        else if (!strcmp(o, "--step")) a->step = v;
        else if (!strcmp(o, "--layer")) { if (cli_long(cmd, o, v, 0, 0x7fffffffL, &a->layer)) return EXIT_USAGE; }
        else if (!strcmp(o, "--head")) {
            if (!strcmp(v, "best")) a->head = -2;
            else if (cli_long(cmd, o, v, 0, 0x7fffffffL, &a->head)) return EXIT_USAGE;
        }
        else if (cli_long(cmd, o, v, 1, 64, &a->top)) return EXIT_USAGE;
    }
    if (!a->trace) { fprintf(stderr, "argen %s: expected a trace file (see argen %s --help)\n", cmd, cmd); return EXIT_USAGE; }
    if (!a->out) { fprintf(stderr, "argen %s: --out: expected a folder for the diagrams\n", cmd); return EXIT_USAGE; }
    if (strcmp(a->format, "svg") && strcmp(a->format, "png") && strcmp(a->format, "pdf")) {
        fprintf(stderr, "argen %s: --format: expected svg, png or pdf, got '%s'\n", cmd, a->format);
        return EXIT_USAGE;
    }
    if (strcmp(a->kind, "all") && !diagram_kind_find(a->kind)) {
        fprintf(stderr, "argen %s: --kind: expected step, probs, attention, heatmap, tree, compare, score, jacobi or all, got '%s'\n", cmd, a->kind);
        return EXIT_USAGE;
    }
    return 0;
}

/* A value given by the user must lie in [0, n); prints the range otherwise. */
static int check_index(const char *cmd, const char *opt, long v, size_t n, const char *what) {
    if (v < 0 || (size_t)v < n) return 0;
    if (n == 0) fprintf(stderr, "argen %s: %s: this file has no %s, got '%ld'\n", cmd, opt, what, v);
    else fprintf(stderr, "argen %s: %s: expected an integer in [0, %zu], got '%ld'\n", cmd, opt, n - 1, v);
    return EXIT_USAGE;
}

/* The steps to draw, [*first, *last]: --step N, A..B, all or branch. */
static int resolve_steps(const char *cmd, const RenderArgs *a, const TraceDoc *doc, size_t *first, size_t *last) {
    const char *v = a->step;
    *first = *last = render_branch_step(doc);
    if (!v || !strcmp(v, "branch")) return 0;
    if (doc->n_steps == 0) {
        fprintf(stderr, "argen %s: --step: this file has no sampling steps, got '%s'\n", cmd, v);
        return EXIT_USAGE;
    }
    if (!strcmp(v, "all")) { *first = 0; *last = doc->n_steps - 1; return 0; }
    const char *dots = strstr(v, "..");
    char lo_text[32], *end;
    size_t lo_len = dots ? (size_t)(dots - v) : strlen(v);
    unsigned long lo = 0, hi = 0;
    int ok = lo_len > 0 && lo_len < sizeof lo_text && v[0] >= '0' && v[0] <= '9';
    if (ok) {
        memcpy(lo_text, v, lo_len);
        lo_text[lo_len] = '\0';
        errno = 0;
        lo = strtoul(lo_text, &end, 10);
        ok = errno == 0 && *end == '\0';
    }
    if (ok && dots) {
        errno = 0;
        ok = dots[2] >= '0' && dots[2] <= '9';
        if (ok) hi = strtoul(dots + 2, &end, 10);
        ok = ok && errno == 0 && *end == '\0' && hi >= lo;
    } else {
        hi = lo;
    }
    if (!ok || hi >= doc->n_steps) {
        fprintf(stderr, "argen %s: --step: expected N or A..B with 0 <= A <= B <= %zu, all or branch, got '%s'\n", cmd,
                doc->n_steps - 1, v);
        return EXIT_USAGE;
    }
    *first = (size_t)lo;
    *last = (size_t)hi;
    return 0;
}

/* Fills o from the arguments for one step, checking --layer, --head and --top against the document. */
static int resolve_options(const char *cmd, const RenderArgs *a, const TraceDoc *doc, size_t step, RenderOptions *o) {
    memset(o, 0, sizeof *o);
    o->slide = a->slide;
    o->step = step;
    if (doc->n_steps == 0) return 0;
    const TracedStep *s = &doc->steps[o->step];
    if (a->top > 0 && (size_t)a->top > s->n_table) {
        fprintf(stderr, "argen %s: --top: this trace holds %zu rows per step (generate --top-n), expected 1..%zu, got '%ld'\n",
                cmd, s->n_table, s->n_table, a->top);
        return EXIT_USAGE;
    }
    if (check_index(cmd, "--layer", a->layer, s->n_layers, "layers")) return EXIT_USAGE;
    o->layer = a->layer < 0 ? 0 : (size_t)a->layer;
    if (s->n_layers == 0) return 0;
    if (check_index(cmd, "--head", a->head, s->layers[o->layer].n_head, "heads")) return EXIT_USAGE;
    o->head = a->head == -2 ? render_best_head(doc, step, o->layer) : a->head < 0 ? 0 : (size_t)a->head;
    return 0;
}

/* Writes one kind's .dot and, with dot, its picture; prints what was written. */
static int render_one(const char *cmd, const DiagramKind *k, const TraceDoc *doc, RenderOptions o, const RenderArgs *a,
                      const char *dot_program, char *path) {
    Error err;
    o.top = a->top > 0 ? (size_t)a->top : k->default_top;
    if (a->top <= 0 && doc->n_steps > 0 && o.step < doc->n_steps && doc->steps[o.step].n_table > 0 &&
        o.top > doc->steps[o.step].n_table)
        o.top = doc->steps[o.step].n_table;
    if (render_dot_file(k, doc, &o, a->out, path, 4096, &err) != 0 ||
        (dot_program && render_run_dot(dot_program, a->format, path, &err) != 0)) {
        fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
        return EXIT_FAIL;
    }
    size_t len = strlen(path);
    if (dot_program) printf("%.*s.%s\n", (int)(len - 4), path, a->format);
    else printf("%s\n", path);
    return 0;
}

/* mkdir -p: each missing folder of the path in turn. */
static int make_folder(const char *cmd, const char *dir) {
    char path[4096];
    if (!*dir) { fprintf(stderr, "argen %s: --out: expected a folder, got ''\n", cmd); return EXIT_USAGE; }
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0') continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "argen %s: %s: cannot make the folder: %s\n", cmd, path, strerror(errno));
            return EXIT_FAIL;
        }
        *p = c;
        if (c == '\0') return 0;
    }
}

/* The run animated: each frame's .dot also as GIF and PDF, joined into DIR/KIND-all.gif and .pdf;
 * the frame files in those two formats are removed again unless they are the chosen format. */
static int animate(const char *cmd, const DiagramKind *k, const RenderArgs *a, const char *dot_program,
                   char frames[][4096], size_t n) {
    char gifsicle[4096], qpdf[4096], base[4096];
    char **bases = malloc(n * sizeof *bases);
    Error err;
    int rc = 0;
    if (!bases) { fprintf(stderr, "argen %s: out of memory\n", cmd); return EXIT_FAIL; }
    for (size_t i = 0; i < n; i++) {
        frames[i][strlen(frames[i]) - 4] = '\0';   /* drop ".dot": the base of every frame file */
        bases[i] = frames[i];
    }
    if (render_find_program("gifsicle", gifsicle, sizeof gifsicle) != 0 ||
        render_find_program("qpdf", qpdf, sizeof qpdf) != 0) {
        fprintf(stderr, "argen %s: --step all: gifsicle and qpdf are needed for the animation "
                        "(apt-get install gifsicle qpdf): wrote the frames only\n", cmd);
        free(bases);
        return 0;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        char dot_path[4200];
        snprintf(dot_path, sizeof dot_path, "%s.dot", frames[i]);
        if (render_run_dot(dot_program, "gif", dot_path, &err) != 0 || render_run_dot(dot_program, "pdf", dot_path, &err) != 0) {
            fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
            rc = EXIT_FAIL;
        }
    }
    snprintf(base, sizeof base, "%s/%s-all", a->out, k->name);
    if (rc == 0 && render_animate(gifsicle, qpdf, base, bases, n, &err) != 0) {
        fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
        rc = EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        char p[4200];
        if (strcmp(a->format, "gif")) { snprintf(p, sizeof p, "%s.gif", frames[i]); remove(p); }
        if (strcmp(a->format, "pdf")) { snprintf(p, sizeof p, "%s.pdf", frames[i]); remove(p); }
    }
    if (rc == 0) printf("%s.gif\n%s.pdf\n", base, base);
    free(bases);
    return rc;
}

static int render_kinds(const char *cmd, const RenderArgs *a, const TraceDoc *doc) {
    char dot_program[4096];
    int have_dot = render_find_program("dot", dot_program, sizeof dot_program) == 0;
    size_t n, drawn = 0, first, last;
    const DiagramKind *kinds = diagram_kinds(&n);
    int all = strcmp(a->kind, "all") == 0, animated = a->step && !strcmp(a->step, "all");
    int rc = resolve_steps(cmd, a, doc, &first, &last);
    if (rc) return rc;
    RenderOptions o;
    for (size_t s = first; s <= last; s++)   /* every option checked before anything is written */
        if ((rc = resolve_options(cmd, a, doc, s, &o)) != 0) return rc;
    if (make_folder(cmd, a->out)) return EXIT_FAIL;
    char (*frames)[4096] = malloc((last - first + 1) * sizeof *frames);
    if (!frames) { fprintf(stderr, "argen %s: out of memory\n", cmd); return EXIT_FAIL; }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!all && strcmp(kinds[i].name, a->kind) != 0) continue;
        if (!kinds[i].applies(doc)) continue;
        size_t to = kinds[i].per_step ? last : first;
        for (size_t s = first; s <= to && rc == 0; s++) {
            resolve_options(cmd, a, doc, s, &o);
            rc = render_one(cmd, &kinds[i], doc, o, a, have_dot ? dot_program : NULL, frames[s - first]);
        }
        if (rc == 0 && animated && kinds[i].per_step && have_dot)
            rc = animate(cmd, &kinds[i], a, dot_program, frames, last - first + 1);
        drawn++;
    }
    free(frames);
    if (rc) return rc;
    if (drawn == 0) {
        fprintf(stderr, "argen %s: --kind: '%s' cannot be drawn from %s: it is %s\n", cmd, a->kind, a->trace,
                doc->kind == TRACE_DOC_COMPARE ? "a compare file (kinds: compare)"
                : doc->kind == TRACE_DOC_SCORE ? "a score trace (kinds: score)"
                : doc->n_jacobi_blocks ? "a Jacobi trace (kinds: jacobi)"
                : doc->n_beam_steps ? "a beam-search trace (kinds: tree)"
                : doc->n_steps ? "a sampling trace (kinds: step, probs, attention, heatmap, tree)" : "a trace with no steps");
        return EXIT_USAGE;
    }
    if (!have_dot)
        fprintf(stderr, "argen %s: Graphviz's dot is not on PATH: wrote the .dot files only; render them with\n"
                        "  dot -T%s -O %s/*.dot\n", cmd, a->format, a->out);
    return 0;
}

int cmd_render(int argc, char **argv) {
    const char *cmd = argv[0];
    RenderArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    TraceDoc doc;
    Error err;
    if (trace_doc_load(&doc, a.trace, &err) != 0) {
        fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
        return EXIT_FAIL;
    }
    rc = render_kinds(cmd, &a, &doc);
    trace_doc_free(&doc);
    return rc;
}
