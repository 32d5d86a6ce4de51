/*
 * sampler.h - from logits to one token: the logits processors and the pick.
 *
 * The stages run in the order Hugging Face's generate() applies them
 * (GenerationMixin._get_logits_processor: processors, then warpers):
 *
 *   raw logits ─repetition penalty─▶ penalized ─÷T─▶ scaled ─softmax─▶ probs
 *     ─top-k─▶ ─top-p─▶ ─min-p─▶ kept prefix ─renormalize─▶ ─draw u─▶ token
 *
 * Every truncation keeps a prefix of the tokens sorted by scaled logit
 * (descending, ties toward the lower token id), so the whole selection is
 * described by three prefix lengths (after top-k, after top-p, after min-p)
 * and a token's rank.  The draw u in [0, 1) picks the kept token whose slice
 * [cum_before, cum_after) of the renormalized probabilities contains it, in
 * rank order.
 *
 * Pure functions: nothing here changes the logits it is given, allocates or
 * draws random numbers; the caller passes the uniform draw in.
 */
#ifndef ARGEN_SAMPLER_H
#define ARGEN_SAMPLER_H

#include <stddef.h>

#include <stdint.h>

#include "core/error.h"

typedef enum {
    STRATEGY_GREEDY,   /* argmax of the penalized logits */
    STRATEGY_SAMPLE,   /* draw from softmax(logits / T), truncations as given */
    STRATEGY_TOP_K,    /* sample with top_k (default 40) */
    STRATEGY_TOP_P,    /* sample with top_p (default 0.9) */
    STRATEGY_MIN_P,    /* sample with min_p (default 0.05) */
    STRATEGY_BEAM,     /* beam search (decode/beam.h), never through sampler_select */
    STRATEGY_JACOBI    /* greedy, decoded in parallel blocks (decode/jacobi.h); picks as greedy */
} Strategy;

/* Name used on the command line and in traces ("top-k"), or NULL. */
const char *strategy_name(Strategy s);
/* Parses a --strategy value; returns -1 for an unknown name. */
int strategy_parse(const char *name, Strategy *out);

typedef struct {
    Strategy strategy;
    float temperature;        /* > 0 divides the logits; 0 means greedy */
    int top_k;                /* keep the K most likely; 0 = off */
    float top_p;              /* keep the smallest prefix with mass >= P; 1 = off */
    float min_p;              /* keep p >= min_p * p_max; 0 = off */
    float repetition_penalty; /* CTRL rule on tokens already in the context; 1 = off */
    int beams;                /* beam search width */
    float length_penalty;     /* beam score = sum logprob / len^length_penalty (HF default 1) */
    int min_new_tokens;       /* end-of-text is suppressed until this many new tokens; 0 = off
                               * (the generator sets Selection.suppressed at each step) */
} SamplerSettings;

/* The temperatures argen accepts: 0 (greedy) or T in [SAMPLER_TEMPERATURE_MIN,
 * SAMPLER_TEMPERATURE_MAX].  The lower bound keeps 1/T and logits/T finite
 * and far from float's limits (a denormal T such as 1e-40 makes 1/T
 * infinite and the scaled logits inf or NaN): below 1e-6 sampling is greedy
 * in all but name anyway.  Returns -1 with "--temperature: expected ..." when
 * T is outside, 0 otherwise. */
#define SAMPLER_TEMPERATURE_MIN 1e-6
#define SAMPLER_TEMPERATURE_MAX 1e6
int sampler_check_temperature(double T, Error *err);

/* Defaults of a strategy: T=1, top-k 40 for top-k, top-p 0.9 for top-p,
 * min-p 0.05 for min-p, penalty 1, 4 beams, length penalty 1. */
void sampler_defaults(SamplerSettings *s, Strategy strategy);

/* Which rule removed a token (a token is cut by the first rule that drops it;
 * a suppressed token is cut by min-new-tokens before any truncation). */
typedef enum { CUT_NONE = 0, CUT_TOP_K, CUT_TOP_P, CUT_MIN_P, CUT_MIN_NEW_TOKENS } CutRule;
const char *cut_rule_name(CutRule r);   /* NULL for CUT_NONE, else "top-k", "top-p", "min-p", "min-new-tokens" */

/* Scratch and results of one selection, every array [V] allocated once per
 * run by selection_init.  Indexed by token id unless named by order.  A rank
 * counts from 1: rank 1 is order[0], the most likely token. */
typedef struct {
    int V;                 /* vocabulary size */
    float *penalized;      /* [V] logits after the repetition penalty */
    float *scaled;         /* [V] penalized / T (== penalized when greedy) */
    float *probs;          /* [V] softmax(scaled) over the whole vocabulary */
    int *order;            /* [V] token ids sorted by scaled desc, ties lower id first: order[r] has rank r + 1 */
    unsigned char *seen;   /* [V] 1 when the token is in the context (repetition penalty) */
    uint64_t *sort_keys;   /* [2V] sort scratch, so no step allocates */
    int sorted;            /* order[] is valid (greedy alone skips the sort) */
    int n_top_k;           /* prefix length kept by top-k (V when off) */
    int n_top_p;           /* ... then by top-p (<= n_top_k) */
    int n_kept;            /* ... then by min-p (<= n_top_p): the candidates drawn from */
    double kept_mass;      /* sum of probs over the kept prefix (the renormalizer) */
    double entropy_nats;   /* of probs, in nats (natural log); shown to people in bits: / ln 2 */
    double log_z;          /* log sum exp(scaled): log p(v) = scaled[v] - log_z */
    double log_sum;        /* log sum exp(scaled - max scaled): log_z before the max is added
                            * back (softmax_shifted), kept so a trace can write it exactly */
    double temperature;    /* the T applied (1 when greedy) */
    float draw;            /* the uniform draw u in [0, 1) */
    int chosen;            /* token id picked */
    int chosen_rank;       /* its rank, 1 = the most likely: order[chosen_rank - 1] (0 when unsorted) */
    int suppressed;        /* set by the caller before sampler_select: a token forbidden at this
                            * step (end-of-text while fewer than min-new-tokens are out), or -1 */
} Selection;

int selection_init(Selection *sel, int V, Error *err);   /* suppressed = -1 */
void selection_free(Selection *sel);

/* ---- the stages, each a pure function ---- */

/* seen[v] = 1 for every v in ids[0..n).  [n] -> [V] */
void mark_context_tokens(unsigned char *seen, const int *ids, int n, int V);

/* HF/CTRL repetition penalty: for tokens already seen, logit > 0 -> logit / R,
 * else logit * R.  out may not alias logits.   [V] -> [V] */
void apply_repetition_penalty(float *out, const float *logits, const unsigned char *seen, float R, int V);

/* HF's MinNewTokensLengthLogitsProcessor: x[token] = -inf, so the token gets
 * probability 0 and ranks last (token < 0: nothing).   [V] in place */
void suppress_token(float *x, int token, int V);

/* out = logits / T (T > 0).   [V] -> [V] */
void apply_temperature(float *out, const float *logits, float T, int V);

/* order = token ids sorted by x descending, ties toward the lower id;
 * scratch has room for 2V keys.  A radix sort: linear in V, about ten times
 * faster than qsort over GPT-2's 50257 tokens, and the same order. */
void sort_by_logit(int *order, uint64_t *scratch, const float *x, int V);

/* Index of the largest x, ties toward the lower id. */
int argmax_token(const float *x, int V);

/* Prefix lengths of the truncations over probs in order[] (most likely first).  Each returns
 * at least 1.  top_p works on the probabilities renormalized over the first
 * n tokens (as HF applies it after top-k); min_p compares with probs[order[0]]. */
int top_k_keep(int k, int n);
int top_p_keep(const float *probs, const int *order, int n, double p);
int min_p_keep(const float *probs, const int *order, int n, double min_p);

/* The pick: the first kept token of order[] whose cumulative renormalized
 * probability exceeds u, i.e. u in [cum_before, cum_after).  Rounding cannot
 * push u past the last slice: then the last kept token is returned.  Returns
 * its index i in order[] (its rank is i + 1). */
int pick_from_prefix(const float *probs, const int *order, int n_kept, double kept_mass, float u);

/* What the other strategies would have picked from the same logits with the same draw. */
typedef struct {
    int greedy;                     /* argmax */
    int top_k_40;                   /* top-k 40 */
    int top_p_0_9;                  /* top-p 0.9 */
    int min_p_0_05;                 /* min-p 0.05 */
    int nucleus_0_9;                /* how many tokens top-p 0.9 kept: the nucleus */
} Alternatives;

/* ---- the whole selection ---- */

/* Runs every stage on logits (unchanged) for the context ids[0..n_ids) with
 * the draw u; fills sel and returns the chosen token.  Greedy (or T == 0)
 * skips the sort unless need_table is set (a trace wants the table). */
int sampler_select(Selection *sel, const SamplerSettings *cfg, const float *logits,
                   const int *ids, int n_ids, float u, int need_table);

/* Truncation lengths and pick of another strategy on an already sorted
 * selection (the same probs, the same draw): what it would have chosen, and
 * in *n_kept (when not NULL) how many tokens its rules kept. */
int pick_with_rules(const Selection *sel, int top_k, double top_p, double min_p, float u, int *n_kept);

/* The slice [lo, hi) of [0, 1) that order[i] (rank i + 1) owned for the draw (i < n_kept). */
void selection_slice(const Selection *sel, int i, double *lo, double *hi);

#endif
