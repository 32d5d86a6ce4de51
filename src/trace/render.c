/*
 * render.c - the table of diagram kinds, writing one .dot file atomically,
 * and running Graphviz's dot on it.
 *
 * dot runs with fork/exec and an argv array (no shell, so no quoting of
 * paths), writes to a temporary name, and only a zero exit status renames
 * the picture into place.
 */
#define _POSIX_C_SOURCE 200809L
#include "trace/render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- which documents each kind can draw ---- */

static int has_sampling_steps(const TraceDoc *d) { return d->kind == TRACE_DOC_GENERATION && d->n_steps > 0; }
static int has_tree(const TraceDoc *d) {
    return d->kind == TRACE_DOC_GENERATION && (d->n_steps > 0 || d->n_beam_steps > 0);
}
static int is_compare(const TraceDoc *d) { return d->kind == TRACE_DOC_COMPARE; }
static int is_score(const TraceDoc *d) { return d->kind == TRACE_DOC_SCORE && d->n_text > 0; }
static int has_jacobi(const TraceDoc *d) { return d->kind == TRACE_DOC_GENERATION && d->n_jacobi_blocks > 0; }

/* ---- file names: from the options alone, so they are stable ---- */

static void name_step(char *out, size_t n, const RenderOptions *o) { snprintf(out, n, "step-%zu.dot", o->step); }
static void name_probs(char *out, size_t n, const RenderOptions *o) { snprintf(out, n, "probs-%zu.dot", o->step); }
static void name_attention(char *out, size_t n, const RenderOptions *o) {
    snprintf(out, n, "attention-%zu-L%zu-H%zu.dot", o->step, o->layer, o->head);
}
static void name_heatmap(char *out, size_t n, const RenderOptions *o) { snprintf(out, n, "heatmap-%zu.dot", o->step); }
static void name_tree(char *out, size_t n, const RenderOptions *o) { (void)o; snprintf(out, n, "tree.dot"); }
static void name_compare(char *out, size_t n, const RenderOptions *o) { (void)o; snprintf(out, n, "compare.dot"); }
static void name_score(char *out, size_t n, const RenderOptions *o) { (void)o; snprintf(out, n, "score.dot"); }
static void name_jacobi(char *out, size_t n, const RenderOptions *o) { (void)o; snprintf(out, n, "jacobi.dot"); }

static const DiagramKind kinds[] = {
    {"step", "one step: context -> logits -> probabilities -> the cut -> the draw -> the appended token", 5,
     has_sampling_steps, name_step, write_step_diagram, write_explain_slide, 1},
    {"probs", "the probability table of a step: top-N, bars, the cut-off, the chosen token", 10,
     has_sampling_steps, name_probs, write_probs_diagram, write_probs_slide, 1},
    {"attention", "attention of one layer and head (slide: the query x key matrix, causal mask greyed)", 10,
     has_sampling_steps, name_attention, write_attention_diagram, write_matrix_slide, 1},
    {"heatmap", "attention of every layer x head for the last query, as a heatmap with its colour bar", 10,
     has_sampling_steps, name_heatmap, write_heatmap_diagram, write_heatmap_slide, 1},
    {"tree", "the generation tree: prompt as root, alternatives per step, the path taken in bold (beams too;\n"
     "             slide: the final beams' paths, the other candidates counted where they branch off)", 4,
     has_tree, name_tree, write_tree_diagram, NULL, 0},
    {"compare", "argen compare's strategies as parallel chains, aligned by text, divergence marked\n"
     "             (slide: wrapped into rows of the slide)", 10,
     is_compare, name_compare, write_compare_diagram, write_compare_slide, 0},
    {"score", "a score trace: the text coloured by surprisal, p / rank / entropy per token, loss and perplexity\n"
     "             (slide: one percentage a token, rank and the model's choice where it was not first)", 10,
     is_score, name_score, write_score_diagram, write_score_slide, 0},
    {"jacobi", "a Jacobi trace: per block, the guess after every pass; fixed, correct and changed cells\n"
     "             (slide: the first block and the one that gained most, every block's passes)", 10,
     has_jacobi, name_jacobi, write_jacobi_diagram, write_jacobi_slide, 0},
};

const DiagramKind *diagram_kinds(size_t *n) {
    *n = sizeof kinds / sizeof kinds[0];
    return kinds;
}

const DiagramKind *diagram_kind_find(const char *name) {
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, name) == 0) return &kinds[i];
    return NULL;
}

/* ---- choosing a step and a head ---- */

size_t render_branch_step(const TraceDoc *doc) {
    size_t best = 0;
    for (size_t i = 1; i < doc->n_steps; i++)
        if (doc->steps[i].entropy_bits > doc->steps[best].entropy_bits) best = i;
    return best;
}

size_t render_best_head(const TraceDoc *doc, size_t step, size_t layer) {
    const TracedStep *s = &doc->steps[step];
    if (layer >= s->n_layers || s->n_query == 0) return 0;
    const TracedLayer *L = &s->layers[layer];
    size_t best = 0;
    double best_w = -1;
    for (size_t h = 0; h < L->n_head; h++) {
        const double *row = L->attention + (h * L->n_query + (L->n_query - 1)) * L->n_key;
        for (size_t k = 0; k < L->n_key; k++)
            if (row[k] > best_w) { best_w = row[k]; best = h; }   /* NaN (masked) never compares greater */
    }
    return best;
}

/* ---- writing ---- */

int render_dot_file(const DiagramKind *k, const TraceDoc *doc, const RenderOptions *o, const char *dir,
                    char *path, size_t path_n, Error *err) {
    char name[128];
    AtomicFile af;
    k->file_name(name, sizeof name, o);
    if (path_join(path, path_n, dir, name, err) != 0 || atomic_open(&af, path, err) != 0) return -1;
    if (o->slide && k->write_slide) k->write_slide(af.f, doc, o);
    else k->write(af.f, doc, o);
    return atomic_commit(&af, err);
}

int render_find_program(const char *program, char *out, size_t n) {
    const char *path = getenv("PATH");
    if (!path) return -1;
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        int k = snprintf(out, n, "%.*s/%s", (int)len, len ? path : ".", program);
        if (len == 0) k = snprintf(out, n, "./%s", program);
        if (k > 0 && (size_t)k < n && access(out, X_OK) == 0) return 0;
        if (!end) break;
        path = end + 1;
    }
    return -1;
}

/* Runs argv[0] with argv; returns its exit status, or -1 (errno) when it could not run. */
static int run_program(char *const argv[]) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int render_run_dot(const char *dot_program, const char *format, const char *dot_path, Error *err) {
    char out[4096], tmp[4200], type[32], prog[4096], dash_o[] = "-o";
    size_t len = strlen(dot_path);
    if (len < 4 || strcmp(dot_path + len - 4, ".dot") != 0) return error_set(err, "%s: expected a .dot file", dot_path);
    if (snprintf(out, sizeof out, "%.*s.%s", (int)(len - 4), dot_path, format) >= (int)sizeof out)
        return error_set(err, "%s: path too long", dot_path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    snprintf(type, sizeof type, "-T%s", format);
    snprintf(prog, sizeof prog, "%s", dot_program);
    char *argv[] = {prog, type, dash_o, tmp, (char *)dot_path, NULL};
    int rc = run_program(argv);
    if (rc != 0) {
        remove(tmp);
        if (rc < 0) return error_set(err, "%s: cannot run %s: %s", dot_path, dot_program, strerror(errno));
        return error_set(err, "%s: %s -T%s failed (exit status %d)", dot_path, dot_program, format, rc);
    }
    if (rename(tmp, out) != 0) {
        int saved = errno;
        remove(tmp);
        return error_set(err, "%s: cannot rename into place: %s", out, strerror(saved));
    }
    return 0;
}

/* ---- the animation of a run ---- */

/* Runs argv and renames tmp to out on success; names the tool on failure. */
static int run_into(char *const argv[], const char *tmp, const char *out, Error *err) {
    int rc = run_program(argv);
    if (rc != 0) {
        remove(tmp);
        if (rc < 0) return error_set(err, "%s: cannot run %s: %s", out, argv[0], strerror(errno));
        return error_set(err, "%s: %s failed (exit status %d)", out, argv[0], rc);
    }
    if (rename(tmp, out) != 0) {
        int saved = errno;
        remove(tmp);
        return error_set(err, "%s: cannot rename into place: %s", out, strerror(saved));
    }
    return 0;
}

/* Frame paths FRAME.ext as argv entries from argv[at]; returns the next free index or -1. */
static int add_frames(char **argv, size_t at, char *const *frame_bases, size_t n, const char *ext, char *store,
                      size_t store_n) {
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(store + used, store_n - used, "%s.%s", frame_bases[i], ext);
        if (k < 0 || (size_t)k >= store_n - used) return -1;
        argv[at++] = store + used;
        used += (size_t)k + 1;
    }
    return (int)at;
}

int render_animate(const char *gifsicle, const char *qpdf, const char *out_base, char *const *frame_bases,
                   size_t n_frames, Error *err) {
    enum { MAX_FRAMES = 1024 };
    char out[4096], tmp[4200], prog[4096];
    static const size_t store_n = MAX_FRAMES * 256;
    if (n_frames == 0 || n_frames > MAX_FRAMES) return error_set(err, "%s: expected 1 to %d frames", out_base, MAX_FRAMES);
    char **argv = malloc((n_frames + 16) * sizeof *argv);
    char *store = malloc(store_n);
    int rc = -1, at;
    if (!argv || !store) { error_set(err, "%s: out of memory", out_base); goto done; }
    /* GIF: 1.5 s a frame, looping; a smaller frame clears what the larger one before it left. */
    snprintf(out, sizeof out, "%s.gif", out_base);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    snprintf(prog, sizeof prog, "%s", gifsicle);
    char *gif_opts[] = {prog, "--no-warnings", "--loop", "--delay", "150", "--disposal", "background", "-o", tmp};
    memcpy(argv, gif_opts, sizeof gif_opts);
    at = add_frames(argv, sizeof gif_opts / sizeof gif_opts[0], frame_bases, n_frames, "gif", store, store_n);
    if (at < 0) { error_set(err, "%s: frame paths too long", out); goto done; }
    argv[at] = NULL;
    if (run_into(argv, tmp, out, err) != 0) goto done;
    /* PDF: one page per frame, in order. */
    snprintf(out, sizeof out, "%s.pdf", out_base);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    snprintf(prog, sizeof prog, "%s", qpdf);
    char *pdf_opts[] = {prog, "--deterministic-id", "--empty", "--pages"};
    memcpy(argv, pdf_opts, sizeof pdf_opts);
    at = add_frames(argv, sizeof pdf_opts / sizeof pdf_opts[0], frame_bases, n_frames, "pdf", store, store_n);
    if (at < 0) { error_set(err, "%s: frame paths too long", out); goto done; }
    argv[at++] = "--";
    argv[at++] = tmp;
    argv[at] = NULL;
    if (run_into(argv, tmp, out, err) != 0) goto done;
    rc = 0;
done:
    free(argv);
    free(store);
    return rc;
}
