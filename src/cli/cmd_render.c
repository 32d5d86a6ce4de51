/*
 * cmd_render.c - `argen render TRACE.json --out DIR`: lecture diagrams from
 * a trace (or from the JSON of `argen compare`), as Graphviz .dot files, and
 * as pictures when Graphviz's dot is on PATH.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
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
    "  --step N         which sampling step, 0..steps-1 (default 0)\n"
    "  --layer L        attention: the layer, 0..n_layer-1 (default 0)\n"
    "  --head H         attention: the head, 0..n_head-1 (default 0)\n"
    "  --top N          rows of the probability table / alternatives per tree step, 1..64\n"
    "                   (default 10, and 4 in the tree)\n"
    "\n"
    "kinds:\n";

typedef struct {
    const char *trace, *out, *format, *kind;
    long step, layer, head, top;   /* -1: not given */
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
    a->step = a->layer = a->head = a->top = -1;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v;
        if (cli_is_help(o)) { print_usage(); return -1; }
        if (o[0] != '-' || o[1] == '\0') {
            if (a->trace) { fprintf(stderr, "argen %s: expected one trace file, got '%s' and '%s'\n", cmd, a->trace, o); return EXIT_USAGE; }
            a->trace = o;
            continue;
        }
        if (strcmp(o, "--out") && strcmp(o, "--format") && strcmp(o, "--kind") && strcmp(o, "--step") &&
            strcmp(o, "--layer") && strcmp(o, "--head") && strcmp(o, "--top"))
            return cli_unknown(cmd, o);
        if (!(v = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE;
        if (!strcmp(o, "--out")) a->out = v;
        else if (!strcmp(o, "--format")) a->format = v;
        else if (!strcmp(o, "--kind")) a->kind = v;
        else if (!strcmp(o, "--step")) { if (cli_long(cmd, o, v, 0, 0x7fffffffL, &a->step)) return EXIT_USAGE; }
        else if (!strcmp(o, "--layer")) { if (cli_long(cmd, o, v, 0, 0x7fffffffL, &a->layer)) return EXIT_USAGE; }
        else if (!strcmp(o, "--head")) { if (cli_long(cmd, o, v, 0, 0x7fffffffL, &a->head)) return EXIT_USAGE; }
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

/* Fills o from the arguments, checking --step, --layer and --head against the document. */
static int resolve_options(const char *cmd, const RenderArgs *a, const TraceDoc *doc, RenderOptions *o) {
    memset(o, 0, sizeof *o);
    if (check_index(cmd, "--step", a->step, doc->n_steps, "sampling steps")) return EXIT_USAGE;
    o->step = a->step < 0 ? 0 : (size_t)a->step;
    if (doc->n_steps == 0) return 0;
    const TracedStep *s = &doc->steps[o->step];
    if (check_index(cmd, "--layer", a->layer, s->n_layers, "layers")) return EXIT_USAGE;
    o->layer = a->layer < 0 ? 0 : (size_t)a->layer;
    if (s->n_layers == 0) return 0;
    if (check_index(cmd, "--head", a->head, s->layers[o->layer].n_head, "heads")) return EXIT_USAGE;
    o->head = a->head < 0 ? 0 : (size_t)a->head;
    return 0;
}

/* Writes one kind's .dot and, with dot, its picture; prints what was written. */
static int render_one(const char *cmd, const DiagramKind *k, const TraceDoc *doc, RenderOptions o, const RenderArgs *a,
                      const char *dot_program) {
    char path[4096];
    Error err;
    o.top = a->top > 0 ? (size_t)a->top : k->default_top;
    if (render_dot_file(k, doc, &o, a->out, path, sizeof path, &err) != 0 ||
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

static int render_kinds(const char *cmd, const RenderArgs *a, const TraceDoc *doc, const RenderOptions *o) {
    char dot_program[4096];
    int have_dot = render_find_program("dot", dot_program, sizeof dot_program) == 0;
    size_t n, drawn = 0;
    const DiagramKind *kinds = diagram_kinds(&n);
    int all = strcmp(a->kind, "all") == 0;
    if (make_folder(cmd, a->out)) return EXIT_FAIL;
    for (size_t i = 0; i < n; i++) {
        if (!all && strcmp(kinds[i].name, a->kind) != 0) continue;
        if (!kinds[i].applies(doc)) continue;
        int rc = render_one(cmd, &kinds[i], doc, *o, a, have_dot ? dot_program : NULL);
        if (rc) return rc;
        drawn++;
    }
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
    RenderOptions o;
    rc = resolve_options(cmd, &a, &doc, &o);
    if (rc == 0) rc = render_kinds(cmd, &a, &doc, &o);
    trace_doc_free(&doc);
    return rc;
}
