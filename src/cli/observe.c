/* observe.c - see observe.h. */

#include "cli/observe.h"

#include <string.h>

#include "formats/files.h"

/* ---- the tee ---- */

#define BOTH(event, ...)                                                         \
    do {                                                                         \
        const Tee *t = ctx;                                                      \
        if (t->first && t->first->event) t->first->event(t->first->ctx, __VA_ARGS__);     \
        if (t->second && t->second->event) t->second->event(t->second->ctx, __VA_ARGS__); \
    } while (0)

static void tee_run_begin(void *ctx, const RunInfo *info) { BOTH(run_begin, info); }
static void tee_step_begin(void *ctx, int step, const int *ids, int n) { BOTH(step_begin, step, ids, n); }
static void tee_forward_begin(void *ctx, const GPT2 *m, const RunState *s, const int *tokens, int T, int pos) {
    BOTH(forward_begin, m, s, tokens, T, pos);
}
static void tee_layer(void *ctx, const GPT2 *m, const RunState *s, int layer) { BOTH(layer, m, s, layer); }
static void tee_forward_end(void *ctx, const GPT2 *m, const RunState *s) { BOTH(forward_end, m, s); }
static void tee_logits(void *ctx, const float *logits, int V) { BOTH(logits, logits, V); }
static void tee_selection(void *ctx, const Selection *sel, const SamplerSettings *cfg, const Alternatives *alt,
                          const float *raw) {
    BOTH(selection, sel, cfg, alt, raw);
}
static void tee_append(void *ctx, int token, const int *ids, int n) { BOTH(append, token, ids, n); }
static void tee_run_end(void *ctx, const char *stop_reason, const Sequence *results, int n_results) {
    BOTH(run_end, stop_reason, results, n_results);
}

/* An event is watched when either side watches it (a NULL callback costs nothing). */
#define EITHER(event) ((first && first->event) || (second && second->event) ? tee_##event : NULL)

void observer_tee(Observer *out, Tee *tee, const Observer *first, const Observer *second) {
    tee->first = first;
    tee->second = second;
    *out = (Observer){.ctx = tee, .run_begin = EITHER(run_begin), .step_begin = EITHER(step_begin),
                      .forward_begin = EITHER(forward_begin), .layer = EITHER(layer),
                      .forward_end = EITHER(forward_end), .logits = EITHER(logits),
                      .selection = EITHER(selection), .append = EITHER(append), .run_end = EITHER(run_end)};
}

/* ---- the profile clock ---- */

/* Seconds since the last event, and the clock moves on. */
static double lap(Profile *p) {
    double now = now_seconds(), dt = now - p->mark;
    p->mark = now;
    return dt;
}

/* ---- before the watched observer: each stage's time ---- */

static void prof_forward_begin(void *ctx, const GPT2 *m, const RunState *s, const int *tokens, int T, int pos) {
    (void)m; (void)s; (void)tokens; (void)T; (void)pos;
    lap(ctx);
}
static void prof_layer(void *ctx, const GPT2 *m, const RunState *s, int layer) {
    Profile *p = ctx;
    (void)m; (void)s; (void)layer;
    double dt = lap(p);
    p->forward += dt;
    p->layers += dt;
}
static void prof_forward_end(void *ctx, const GPT2 *m, const RunState *s) {
    (void)m; (void)s;
    Profile *p = ctx;
    p->forward += lap(p);
}
static void prof_logits(void *ctx, const float *logits, int V) {
    (void)logits; (void)V;
    Profile *p = ctx;
    p->logits += lap(p);
}
static void prof_selection(void *ctx, const Selection *sel, const SamplerSettings *cfg, const Alternatives *alt,
                           const float *raw) {
    (void)sel; (void)cfg; (void)alt; (void)raw;
    Profile *p = ctx;
    p->select += lap(p);
}
static void prof_append(void *ctx, int token, const int *ids, int n) {
    (void)token; (void)ids; (void)n;
    Profile *p = ctx;
    p->select += lap(p);
    p->steps++;
}

/* ---- after it: the time it spent ---- */

static void watched_step_begin(void *ctx, int step, const int *ids, int n) {
    (void)step; (void)ids; (void)n;
    Profile *p = ctx;
    p->watchers += lap(p);
}
static void watched_forward_begin(void *ctx, const GPT2 *m, const RunState *s, const int *tokens, int T, int pos) {
    (void)m; (void)s; (void)tokens; (void)T; (void)pos;
    Profile *p = ctx;
    p->watchers += lap(p);
}
static void watched_layer(void *ctx, const GPT2 *m, const RunState *s, int layer) {
    (void)m; (void)s; (void)layer;
    Profile *p = ctx;
    p->watchers += lap(p);
}
static void watched_forward_end(void *ctx, const GPT2 *m, const RunState *s) {
    (void)m; (void)s;
    Profile *p = ctx;
    p->watchers += lap(p);
}
static void watched_logits(void *ctx, const float *logits, int V) {
    (void)logits; (void)V;
    Profile *p = ctx;
    p->watchers += lap(p);
}
static void watched_selection(void *ctx, const Selection *sel, const SamplerSettings *cfg, const Alternatives *alt,
                              const float *raw) {
    (void)sel; (void)cfg; (void)alt; (void)raw;
    Profile *p = ctx;
    p->watchers += lap(p);
}
static void watched_append(void *ctx, int token, const int *ids, int n) {
    (void)token; (void)ids; (void)n;
    Profile *p = ctx;
    p->watchers += lap(p);
}

/* The callback when the watched observer has that event, else NULL. */
#define IF_WATCHED(event, fn) (watched && watched->event ? (fn) : NULL)

void profile_observer(Observer *before, Observer *after, Profile *p, const Observer *watched) {
    memset(p, 0, sizeof *p);
    p->mark = now_seconds();
    *before = (Observer){.ctx = p, .forward_begin = prof_forward_begin, .layer = prof_layer,
                         .forward_end = prof_forward_end, .logits = prof_logits,
                         .selection = IF_WATCHED(selection, prof_selection), .append = prof_append};
    *after = (Observer){.ctx = p, .step_begin = IF_WATCHED(step_begin, watched_step_begin),
                        .forward_begin = IF_WATCHED(forward_begin, watched_forward_begin),
                        .layer = IF_WATCHED(layer, watched_layer),
                        .forward_end = IF_WATCHED(forward_end, watched_forward_end),
                        .logits = IF_WATCHED(logits, watched_logits),
                        .selection = IF_WATCHED(selection, watched_selection),
                        .append = IF_WATCHED(append, watched_append)};
}

void profile_print(const Profile *p, double loop_seconds, int tokens, FILE *f) {
    const struct { const char *name; double s; } rows[] = {
        {"embedding + blocks", p->layers}, {"final layer norm", p->forward - p->layers},
        {"unembedding (logits)", p->logits}, {"softmax + selection", p->select},
        {"trace, printed text", p->watchers},
    };
    double staged = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) staged += rows[i].s;
    int n = tokens > 0 ? tokens : 1;
    fprintf(f, "profile: %d tokens in %.3f s (%.1f tokens/s)\n", tokens, loop_seconds, tokens / loop_seconds);
    fprintf(f, "  %-28s %10s %7s %12s\n", "stage", "seconds", "share", "ms / token");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(f, "  %-28s %10.4f %6.1f%% %12.3f\n", rows[i].name, rows[i].s, 100 * rows[i].s / loop_seconds,
                1e3 * rows[i].s / n);
    double rest = loop_seconds - staged;
    fprintf(f, "  %-28s %10.4f %6.1f%% %12.3f\n", "the rest (RNG, loop)", rest, 100 * rest / loop_seconds,
            1e3 * rest / n);
}
