/*
 * generate.h - the autoregressive loop, one function per stage.
 *
 *   context ids ─forward_new_tokens─▶ lnf_out ─final_hidden_state─▶ h[C]
 *     ─project_to_logits─▶ logits[V] ─select_token (sampler.h)─▶ id ─append_token─▶ context ids
 *
 * Each stage takes the observer (observer.h; NULL = nobody watches).  Everything a run needs is
 * allocated once by generator_init; no step allocates.  The KV cache is on
 * by default: each step forwards only the newest token.  Without it every
 * step recomputes the whole context from position 0 (same tokens, slower).
 *
 * Random draws: one PCG32 uniform (rng.h) per step, drawn whatever the
 * strategy (greedy records it and ignores it), from rng_seed(seed, stream).
 * So two runs with the same seed and stream see the same draws at every
 * step: that is how `argen compare --shared-draws` works.
 */
#ifndef ARGEN_GENERATE_H
#define ARGEN_GENERATE_H

#include <signal.h>
#include <stdint.h>

#include "core/error.h"
#include "core/forward.h"
#include "core/model.h"
#include "core/observer.h"
#include "core/rng.h"
#include "core/sampler.h"

typedef enum {
    STOP_NONE = 0,           /* still running */
    STOP_EOS,                /* the model produced eos_token_id */
    STOP_MAX_NEW_TOKENS,     /* --max-new-tokens reached */
    STOP_CONTEXT_FULL,       /* the context window (n_positions) is full */
    STOP_INTERRUPTED         /* *interrupt became non-zero (Ctrl-C): stopped after a whole step */
} StopReason;

const char *stop_reason_name(StopReason r);   /* "eos", "max_new_tokens", "context_full", "interrupted" */

typedef struct {
    SamplerSettings sampling;
    uint64_t seed;           /* PCG32 seed */
    uint64_t stream;         /* PCG32 sequence (0 by default) */
    int max_new_tokens;
    int use_kv_cache;        /* 1 by default */
    int keep_activations;    /* 1: every layer keeps its own activations (a full trace reads them all) */
    const volatile sig_atomic_t *interrupt;  /* NULL, or a flag (set by a SIGINT handler) checked after each step */
} GenerateOptions;

void generate_defaults(GenerateOptions *opt);

typedef struct {
    const GPT2 *model;
    GenerateOptions opt;
    RunState state;          /* activations and KV cache, sized for the run */
    Selection sel;           /* the sampler's scratch [V] */
    Rng rng;
    int *ids;                /* [n_ctx] the context: prompt, then generated tokens */
    int n_ids;
    int n_prompt;
    int n_ctx;               /* min(n_prompt + max_new_tokens, n_positions) */
    int step;                /* tokens generated so far */
    StopReason stop;
} Generator;

/* The positions a run can reach: min(n_prompt + max_new_tokens, n_positions).
 * Every decoder sizes its KV cache with this one rule. */
int context_window(const GPT2Config *c, int n_prompt, int max_new_tokens);

/* A prompt must be 1..n_positions ids, each in [0, vocab_size). */
int check_prompt(const GPT2Config *c, const int *prompt, int n_prompt, Error *err);

/* Checks the prompt (non-empty, ids in the vocabulary, fits the window) and
 * allocates everything the run needs. */
int generator_init(Generator *g, const GPT2 *m, const GenerateOptions *opt,
                   const int *prompt, int n_prompt, Error *err);
void generator_free(Generator *g);

/* ---- the stages of one step ---- */

/* Runs the forward pass over the tokens the KV cache does not hold yet
 * (all of them from position 0 without the cache). */
int forward_new_tokens(Generator *g, const Observer *obs, Error *err);
/* The final position's hidden state after ln_f: [C]. */
const float *final_hidden_state(const Generator *g);
/* logits[V] = h @ lm_head^T at the final position only. */
const float *project_to_logits(Generator *g, const Observer *obs);
/* Repetition penalty, temperature, softmax, truncation, the draw. */
int select_token(Generator *g, const float *logits, float u, const Observer *obs);
/* Appends token and decides whether the run stops. */
void append_token(Generator *g, int token, const Observer *obs);

/* One whole step: returns 0 and the new token in *token, or -1.  Call while
 * g->stop == STOP_NONE. */
int generate_step(Generator *g, const Observer *obs, int *token, Error *err);

/* The loop: steps until a stop reason, announcing the run to the observer
 * (run_begin, the steps, run_end; each token reaches it through append). */
int generate_run(Generator *g, const Observer *obs, const char *model_dir, Error *err);

#endif
