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
    {"step", "one step of the loop: forward -> logits -> softmax -> selection -> append, with its values", 5,
     has_sampling_steps, name_step, write_step_diagram},
    {"probs", "the probability table of a step: top-N, bars, the cut-off, the chosen token", 10,
     has_sampling_steps, name_probs, write_probs_diagram},
    {"attention", "attention of one layer and head: tokens as two columns, edges weighted", 10,
     has_sampling_steps, name_attention, write_attention_diagram},
    {"heatmap", "attention of every layer x head for the last query, as a heatmap", 10,
     has_sampling_steps, name_heatmap, write_heatmap_diagram},
    {"tree", "the generation tree: prompt as root, alternatives per step, the path taken in bold (beams too)", 4,
     has_tree, name_tree, write_tree_diagram},
    {"compare", "argen compare's strategies as parallel chains, divergence marked", 10,
     is_compare, name_compare, write_compare_diagram},
    {"score", "a score trace: the text coloured by surprisal, p / rank / entropy per token, loss and perplexity", 10,
     is_score, name_score, write_score_diagram},
    {"jacobi", "a Jacobi trace: per block, the guess after every pass; fixed, correct and changed cells", 10,
     has_jacobi, name_jacobi, write_jacobi_diagram},
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

/* ---- writing ---- */

int render_dot_file(const DiagramKind *k, const TraceDoc *doc, const RenderOptions *o, const char *dir,
                    char *path, size_t path_n, Error *err) {
    char name[128];
    AtomicFile af;
    k->file_name(name, sizeof name, o);
    if (path_join(path, path_n, dir, name, err) != 0 || atomic_open(&af, path, err) != 0) return -1;
    k->write(af.f, doc, o);
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
