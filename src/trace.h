/*
 * trace.h - what the generation loop reports at each stage, and where it goes.
 *
 * A TraceSink is a set of callbacks plus a context and a level (the shape of
 * Lua's hooks and stb's write callbacks).  The loop takes a
 * `const TraceSink *`: NULL means tracing is off and the loop does no extra
 * work at all; the level is checked once per stage.  Callbacks only read
 * what they are given: tracing never changes a number.
 *
 * Two sinks come with argen: the JSON sink (one document per run, written
 * atomically, described by traces/schema.json) and an in-memory sink for
 * tests.  Any callback may be NULL.
 *
 * Event order of one run:
 *   run_begin
 *   per step:  step_begin  forward_begin  layer × n_layer  forward_end
 *              logits  selection  append
 *   (beam search: per step one beam_step instead)
 *   (Jacobi decoding: per block one jacobi_block instead)
 *   run_end
 */
#ifndef ARGEN_TRACE_H
#define ARGEN_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "model.h"
#include "sampler.h"
#include "util.h"

typedef enum {
    TRACE_NONE = 0,     /* no sink: the loop costs nothing extra */
    TRACE_SUMMARY = 1,  /* per layer: last-query attention, residual norms; top-N tables */
    TRACE_FULL = 2      /* plus every intermediate tensor, full attention rows, the whole logit vector */
} TraceLevel;

const char *trace_level_name(TraceLevel l);

/* Bytes of keys and values the KV cache holds for `positions` positions:
 * 2 (K and V) x n_layer x n_embd floats each. */
size_t kv_cache_bytes(const GPT2Config *c, int positions);

/* The text of a token: its bytes, or NULL when the model has no vocabulary. */
typedef struct {
    const char *(*bytes)(void *ctx, int id, size_t *len);
    void *ctx;
} TokenText;

/* Everything a reader needs to reproduce the run, written at the top level. */
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
} TraceRunInfo;

/* One live beam after a beam-search step (or one final sequence). */
typedef struct {
    const int *ids;                 /* [n] prompt + generated */
    int n;
    double sum_logprob;             /* of the generated tokens */
    double score;                   /* sum_logprob / n_generated^length_penalty */
    int parent;                     /* beam step: index of the beam it extends in the previous
                                     * step's list (-1: the prompt, at step 0); unused elsewhere */
} TraceBeam;

/* What became of one candidate extension of a beam-search step. */
typedef enum {
    BEAM_KEPT = 0,            /* one of the N best non-eos extensions: a live beam of the next step */
    BEAM_FINISHED,            /* ends in eos and ranked among the first N: a finished hypothesis */
    BEAM_PRUNED_RANK,         /* ranked after the N live beams were filled */
    BEAM_PRUNED_EOS           /* ends in eos but ranked after the first N: dropped (HF's rule) */
} BeamCandidateFate;

const char *beam_fate_name(BeamCandidateFate f);   /* "kept", "finished", "pruned", "pruned_eos" */

/* One of the 2N best (beam, token) extensions a beam-search step ranked. */
typedef struct {
    int parent;                     /* index of the extended beam in the previous step's list (-1: the prompt) */
    int token;
    float logprob;                  /* log p(token | that beam) */
    double sum_logprob;             /* the beam's sum + logprob: what the candidates are ranked by */
    double score;                   /* sum_logprob / n_generated^length_penalty, as a hypothesis */
    BeamCandidateFate fate;
    int beam;                       /* BEAM_KEPT: its index in this step's beams; else -1 */
} TraceBeamCandidate;

/* One beam-search step: every candidate ranked, then the live beams kept. */
typedef struct {
    int step;
    const TraceBeam *beams;         /* [n_beams] the live beams after the step, parent set */
    int n_beams;
    const TraceBeamCandidate *candidates;  /* [n_candidates] best first (ties: lower parent, then id) */
    int n_candidates;
    long n_extensions;              /* live beams x vocab_size: every extension scored; only
                                     * the 2N best can matter, the rest rank below them */
} TraceBeamStep;

/* What the other strategies would have picked from the same logits with the same draw. */
typedef struct {
    int greedy;                     /* argmax */
    int top_k_40;                   /* top-k 40 */
    int top_p_0_9;                  /* top-p 0.9 */
    int min_p_0_05;                 /* min-p 0.05 */
} Alternatives;

/* One block of Jacobi decoding (jacobi.h): the guess after every pass.
 * Pass k ran tokens [last_committed, guess_{k-1}[0..size-2]] at positions
 * start_position-1 .. start_position+size-2 (guess_0 = initial). */
typedef struct {
    int block;                      /* 0, 1, ... */
    int start_position;             /* p: the position of the block's first token */
    int size;                       /* n: tokens in this block (block_size, less at the end) */
    int block_size;                 /* N of --block */
    int last_committed;             /* the token at p-1, the first input of every pass */
    const int *initial;             /* [size] the guess before the first pass */
    const int *guesses;             /* [passes, size] the guess after each pass */
    const unsigned char *changed;   /* [passes, size] 1 where that pass changed the position */
    int passes;
    int fixed_point;                /* 1: the last pass changed nothing; 0: stopped after size passes (all fixed) */
    int n_accepted;                 /* tokens appended: size, or fewer when an eos cut the block */
    int kv_cache_positions;         /* after the block's last pass */
    size_t kv_cache_bytes;
} TraceJacobiBlock;

typedef struct TraceSink TraceSink;
struct TraceSink {
    TraceLevel level;
    void *ctx;
    void (*run_begin)(void *ctx, const TraceRunInfo *info);
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
    /* Beam search: the candidates a step ranked and the live beams after it. */
    void (*beam_step)(void *ctx, const TraceBeamStep *bs);
    /* Jacobi decoding: one block, every pass, after it was accepted. */
    void (*jacobi_block)(void *ctx, const TraceJacobiBlock *b);
    /* The run ended; the final sequences (one for sampling, the N best for beam). */
    void (*run_end)(void *ctx, const char *stop_reason, const TraceBeam *results, int n_results);
};

/* Writes the model config as the trace's "config" object. */
void trace_write_config(JsonWriter *w, const GPT2Config *c);

/* ---- the JSON sink ---- */

typedef struct {
    AtomicFile file;     /* PATH.tmp.PID, renamed over PATH by json_trace_close */
    JsonWriter w;
    TokenText text;
    TraceLevel level;    /* summary or full */
    int top_n;           /* rows of the logits and selection tables */
    int n_layer;         /* from run_begin */
    int fwd_T, fwd_pos;  /* the forward call in progress (s->last_T is set only after it) */
    int in_step;         /* a step object is open */
    int steps_open;      /* the "steps" array is open */
} JsonTrace;

/* Opens PATH for a trace at `level` (summary or full) and fills sink.
 * Nothing appears at PATH until json_trace_close succeeds. */
int json_trace_open(JsonTrace *jt, TraceSink *sink, const char *path, TraceLevel level,
                    const TokenText *text, int top_n, Error *err);
/* Flushes, checks for write errors (a full disk), then renames into place.
 * On failure the temporary is removed and an earlier PATH is left intact. */
int json_trace_close(JsonTrace *jt, Error *err);
/* Gives up: removes the temporary, leaves PATH as it was. */
void json_trace_abort(JsonTrace *jt);

/* ---- the in-memory sink (tests) ---- */

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

void memory_trace_init(MemoryTrace *mt, TraceSink *sink, TraceLevel level);

#endif
