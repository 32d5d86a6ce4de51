/*
 * observer.h - how a run tells the outside world what it computed.
 *
 * An Observer is a set of callbacks plus a context (the shape of Lua's hooks
 * and stb's write callbacks).  The loop and the forward pass take a
 * `const Observer *`: NULL means nobody watches and the run does no extra
 * work at all.  Callbacks only read what they are given: watching never
 * changes a number.  Any callback may be NULL.
 *
 * The JSON trace (trace/trace.h), the --profile clock (cli/profile.h), the
 * streaming text printer of `argen generate` and the tests' in-memory record
 * are all observers.  Other decoders add their own events beside these
 * (decode/beam.h, decode/jacobi.h).
 *
 * Event order of one generate_run:
 *   run_begin
 *   per step:  step_begin  forward_begin  layer × n_layer  forward_end
 *              logits  selection  append
 *   run_end
 */
#ifndef ARGEN_OBSERVER_H
#define ARGEN_OBSERVER_H

#include <stdint.h>

#include "core/forward.h"
#include "core/model.h"
#include "core/sampler.h"

/* Everything a reader needs to reproduce the run. */
typedef struct {
    const GPT2Config *config;
    const char *model_dir;          /* "" for a model made in memory */
    const SamplerSettings *settings;
    uint64_t seed;                  /* PCG32 seed (rng.h) */
    uint64_t stream;                /* PCG32 sequence number */
    const int *prompt;              /* [n_prompt] */
    int n_prompt;
    int max_new_tokens;
    int use_kv_cache;
} RunInfo;

/* A sequence with its log-probability: the end of a run (one for sampling,
 * the N best for beam search), or one live beam of a beam-search step. */
typedef struct {
    const int *ids;                 /* [n] prompt + generated */
    int n;
    double sum_logprob;             /* of the generated tokens */
    double score;                   /* sum_logprob / n_generated^length_penalty */
    int parent;                     /* beam step: index of the beam it extends in the previous
                                     * step's list (-1: the prompt, at step 0); unused elsewhere */
} Sequence;

typedef struct Observer Observer;
struct Observer {
    void *ctx;
    void (*run_begin)(void *ctx, const RunInfo *info);
    /* A new step: the context it predicts from (ids[0..n)). */
    void (*step_begin)(void *ctx, int step, const int *ids, int n);
    /* The forward pass over tokens[0..T) at positions pos..pos+T-1 starts. */
    void (*forward_begin)(void *ctx, const GPT2 *m, const RunState *s, const int *tokens, int T, int pos);
    /* Block `layer` has run: its activations are in run_layer(s, layer) until the next block. */
    void (*layer)(void *ctx, const GPT2 *m, const RunState *s, int layer);
    void (*forward_end)(void *ctx, const GPT2 *m, const RunState *s);
    /* The final position's logits [V], before any processor. */
    void (*logits)(void *ctx, const float *logits, int V);
    /* raw: the logits [V] the selection started from. */
    void (*selection)(void *ctx, const Selection *sel, const SamplerSettings *cfg, const Alternatives *alt,
                      const float *raw);
    /* token was appended; ids[0..n) is the new context. */
    void (*append)(void *ctx, int token, const int *ids, int n);
    /* The run ended; the final sequences. */
    void (*run_end)(void *ctx, const char *stop_reason, const Sequence *results, int n_results);
};

#endif
