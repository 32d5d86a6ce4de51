/*
 * generate.h - the autoregressive loop, one function per stage, and beam search.
 *
 *   context ids ─forward_new_tokens─▶ lnf_out ─final_hidden_state─▶ h[C]
 *     ─project_to_logits─▶ logits[V] ─select_token (sampler.h)─▶ id ─append_token─▶ context ids
 *
 * Each stage takes the trace sink (NULL = off).  Everything a run needs is
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

#include "model.h"
#include "rng.h"
#include "sampler.h"
#include "tokenizer.h"
#include "trace.h"
#include "util.h"

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
    TraceLevel level;        /* the trace level the run will be traced at (sizes the run state) */
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
    StageTimes *times;       /* NULL, or --profile's clock: the forward stages (via state.times) and selection */
} Generator;

/* A prompt must be 1..n_positions ids, each in [0, vocab_size). */
int check_prompt(const GPT2Config *c, const int *prompt, int n_prompt, Error *err);

/* Checks the prompt (non-empty, ids in the vocabulary, fits the window) and
 * allocates everything the run needs. */
int generator_init(Generator *g, const GPT2 *m, const GenerateOptions *opt,
                   const int *prompt, int n_prompt, Error *err);
void generator_free(Generator *g);

/* Starts timing every stage into *times (zeroed here): argen generate --profile. */
void generator_profile(Generator *g, StageTimes *times);

/* ---- the stages of one step ---- */

/* Runs the forward pass over the tokens the KV cache does not hold yet
 * (all of them from position 0 without the cache). */
int forward_new_tokens(Generator *g, const TraceSink *trace, Error *err);
/* The final position's hidden state after ln_f: [C]. */
const float *final_hidden_state(const Generator *g);
/* logits[V] = h @ lm_head^T at the final position only. */
const float *project_to_logits(Generator *g, const TraceSink *trace);
/* Repetition penalty, temperature, softmax, truncation, the draw. */
int select_token(Generator *g, const float *logits, float u, const TraceSink *trace);
/* Appends token and decides whether the run stops. */
void append_token(Generator *g, int token, const TraceSink *trace);

/* One whole step: returns 0 and the new token in *token, or -1.  Call while
 * g->stop == STOP_NONE. */
int generate_step(Generator *g, const TraceSink *trace, int *token, Error *err);

/* Called with each token as it is appended (streaming output). */
typedef void (*TokenCallback)(void *ctx, int token);

/* The loop: steps until a stop reason, announcing the run to the trace. */
int generate_run(Generator *g, const TraceSink *trace, const char *model_dir,
                 TokenCallback on_token, void *cb_ctx, Error *err);

/* ---- beam search ---- */

/* What beam search needs from a model: the next-token logits of a beam and a
 * way to make one beam's cache a copy of another's.  generate.c adapts GPT-2
 * (a RunState per beam); tests use hand-built tables. */
typedef struct {
    int vocab_size;
    int eos_token_id;        /* -1: none */
    /* logits[V] of the token after seq[0..n) in beam slot `slot`. */
    int (*next_logits)(void *ctx, int slot, const int *seq, int n, float *logits, Error *err);
    /* Slot dst now continues slot src's sequence: copy its cache. */
    void (*fork)(void *ctx, int dst, int src);
    void *ctx;
} BeamModel;

typedef struct {
    int *ids;                /* [n] prompt + generated */
    int n;
    int n_generated;
    float *logprobs;         /* [n_generated] log p of each generated token */
    double sum_logprob;
    double score;            /* sum_logprob / n_generated^length_penalty (HF's BeamHypotheses) */
    StopReason stop;
} BeamHypothesis;

typedef struct {
    BeamHypothesis *best;    /* [n_best], best score first */
    int n_best;
} BeamResult;

typedef struct {
    int beams;
    float length_penalty;
    float repetition_penalty;
    int max_new_tokens;
    int max_len;             /* context window: sequences never grow past it */
    const volatile sig_atomic_t *interrupt;  /* NULL, or a flag checked after each step: non-zero finishes the live beams as "interrupted" */
} BeamOptions;

/* Beam search from prompt[0..n_prompt) with opt->beams slots. */
int beam_search(const BeamModel *bm, const BeamOptions *opt, const int *prompt, int n_prompt,
                const TraceSink *trace, BeamResult *out, Error *err);
void beam_result_free(BeamResult *r);

/* GPT-2 as a BeamModel: one RunState per beam. */
typedef struct {
    const GPT2 *model;
    RunState *states;        /* [beams] */
    int beams;
    int use_kv_cache;
} Gpt2Beams;

int gpt2_beams_init(Gpt2Beams *gb, BeamModel *bm, const GPT2 *m, int beams, int n_ctx,
                    int use_kv_cache, Error *err);
void gpt2_beams_free(Gpt2Beams *gb);

/* ---- a model with its prompt: shared by `argen generate` and `argen compare` ---- */

typedef struct {
    GPT2 model;
    Tokenizer tok;
    int has_tokenizer;       /* 0 when DIR has no vocab.json/merges.txt: only --ids works */
    int *prompt;             /* [n_prompt] */
    int n_prompt;
} PromptedModel;

/* Loads DIR's model (and its tokenizer when the files are there).  Returns
 * -1 with err set on a file or model error. */
int prompted_model_load(PromptedModel *pm, const char *dir, Error *err);
/* Sets the prompt from text (encoded) or from ids_text ("464,2068"); exactly
 * one is non-NULL.  Returns -1 and sets err, naming the option and range,
 * for an empty prompt, ids outside the vocabulary, or text without a tokenizer. */
int prompted_model_prompt(PromptedModel *pm, const char *text, const char *ids_text, int allow_special, Error *err);
void prompted_model_free(PromptedModel *pm);
/* The token-text callback for traces (bytes NULL without a tokenizer). */
TokenText prompted_model_text(PromptedModel *pm);
/* Writes the bytes of ids[0..n) to f through a UTF-8 stream, or the ids
 * themselves, space-separated, without a tokenizer. */
void print_tokens(const PromptedModel *pm, Utf8Stream *u, const int *ids, int n, FILE *f);

#endif
