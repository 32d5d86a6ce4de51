/*
 * memory_trace.h - an observer that records a run's events in memory, for
 * the Check suites: how many steps, layers and forward calls, the order of
 * the events, each step's draw, kept count and choice.
 */
#ifndef ARGEN_TEST_MEMORY_TRACE_H
#define ARGEN_TEST_MEMORY_TRACE_H

#include <stdio.h>
#include <string.h>

#include "trace/trace.h"


#define MEMORY_TRACE_MAX 256

typedef struct {
    int n_runs_begun, n_runs_ended;
    int n_steps;                           /* step_begin calls */
    int n_layers;                          /* layer calls in all */
    int n_forward;                         /* forward_begin calls */
    int n_jacobi_blocks;                   /* jacobi_block calls */
    int jacobi_passes[MEMORY_TRACE_MAX];   /* passes of each Jacobi block */
    int tokens_processed[MEMORY_TRACE_MAX];/* T of each forward call */
    int chosen[MEMORY_TRACE_MAX];          /* token appended at each step */
    float draw[MEMORY_TRACE_MAX];          /* the draw of each step */
    int n_kept[MEMORY_TRACE_MAX];          /* candidates kept at each step */
    Alternatives alt[MEMORY_TRACE_MAX];
    char stop_reason[32];
    char order[4096];                      /* one letter per event: R s f l F L S a b j E */
    size_t n_order;
} MemoryTrace;

static void mt_event(MemoryTrace *mt, char c) {
    if (mt->n_order + 1 < sizeof mt->order) { mt->order[mt->n_order++] = c; mt->order[mt->n_order] = '\0'; }
}

static void mt_run_begin(void *ctx, const RunInfo *info) {
    MemoryTrace *mt = ctx;
    (void)info;
    mt->n_runs_begun++;
    mt_event(mt, 'R');
}

static void mt_step_begin(void *ctx, int step, const int *ids, int n) {
    MemoryTrace *mt = ctx;
    (void)step; (void)ids; (void)n;
    mt->n_steps++;
    mt_event(mt, 's');
}

static void mt_forward_begin(void *ctx, const GPT2 *m, const RunState *s, const int *tokens, int T, int pos) {
    MemoryTrace *mt = ctx;
    (void)m; (void)s; (void)tokens; (void)pos;
    if (mt->n_forward < MEMORY_TRACE_MAX) mt->tokens_processed[mt->n_forward] = T;
    mt->n_forward++;
    mt_event(mt, 'f');
}

static void mt_layer(void *ctx, const GPT2 *m, const RunState *s, int layer) {
    MemoryTrace *mt = ctx;
    (void)m; (void)s; (void)layer;
    mt->n_layers++;
    mt_event(mt, 'l');
}

static void mt_forward_end(void *ctx, const GPT2 *m, const RunState *s) {
    (void)m; (void)s;
    mt_event(ctx, 'F');
}

static void mt_logits(void *ctx, const float *logits, int V) {
    (void)logits; (void)V;
    mt_event(ctx, 'L');
}

static void mt_selection(void *ctx, const Selection *sel, const SamplerSettings *cfg, const Alternatives *alt,
                         const float *raw) {
    MemoryTrace *mt = ctx;
    (void)cfg; (void)raw;
    int i = mt->n_steps - 1;
    if (i >= 0 && i < MEMORY_TRACE_MAX) { mt->draw[i] = sel->draw; mt->n_kept[i] = sel->n_kept; mt->alt[i] = *alt; }
    mt_event(mt, 'S');
}

static void mt_append(void *ctx, int token, const int *ids, int n) {
    MemoryTrace *mt = ctx;
    (void)ids; (void)n;
    int i = mt->n_steps - 1;
    if (i >= 0 && i < MEMORY_TRACE_MAX) mt->chosen[i] = token;
    mt_event(mt, 'a');
}

static void mt_beam_step(void *ctx, const BeamStep *bs) {
    (void)bs;
    mt_event(ctx, 'b');
}

static void mt_jacobi_block(void *ctx, const JacobiBlock *b) {
    MemoryTrace *mt = ctx;
    if (mt->n_jacobi_blocks < MEMORY_TRACE_MAX) mt->jacobi_passes[mt->n_jacobi_blocks] = b->passes;
    mt->n_jacobi_blocks++;
    mt_event(mt, 'j');
}

static void mt_run_end(void *ctx, const char *stop_reason, const Sequence *results, int n_results) {
    MemoryTrace *mt = ctx;
    (void)results; (void)n_results;
    snprintf(mt->stop_reason, sizeof mt->stop_reason, "%s", stop_reason);
    mt->n_runs_ended++;
    mt_event(mt, 'E');
}

/* Fills sink with observers that record into mt (zeroed here). */
static void memory_trace_init(MemoryTrace *mt, TraceSink *sink) {
    memset(mt, 0, sizeof *mt);
    *sink = (TraceSink){
        .run = {.ctx = mt, .run_begin = mt_run_begin, .step_begin = mt_step_begin,
                .forward_begin = mt_forward_begin, .layer = mt_layer, .forward_end = mt_forward_end,
                .logits = mt_logits, .selection = mt_selection, .append = mt_append, .run_end = mt_run_end},
        .beam = {.ctx = mt, .step = mt_beam_step},
        .jacobi = {.ctx = mt, .block = mt_jacobi_block},
    };
}

#endif
