/*
 * beam.h - beam search, as Hugging Face's generate(num_beams=N) does it,
 * over any model that can give next-token logits (BeamModel), with GPT-2 as
 * one such model (Gpt2Beams: one run state and KV cache per beam).
 */
#ifndef ARGEN_BEAM_H
#define ARGEN_BEAM_H

#include <signal.h>

#include "core/error.h"
#include "core/forward.h"
#include "core/generate.h"
#include "core/model.h"
#include "core/observer.h"

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
    float logprob;                  /* log p(token | that beam), after the repetition penalty
                                     * (Hugging Face's processed score: not renormalised) */
    double sum_logprob;             /* the beam's sum + logprob: what the candidates are ranked by */
    double score;                   /* sum_logprob / n_generated^length_penalty, as a hypothesis */
    BeamCandidateFate fate;
    int beam;                       /* BEAM_KEPT: its index in this step's beams; else -1 */
} BeamCandidate;

/* One beam-search step: every candidate ranked, then the live beams kept. */
typedef struct {
    int step;
    const Sequence *beams;         /* [n_beams] the live beams after the step, parent set */
    int n_beams;
    const BeamCandidate *candidates;  /* [n_candidates] best first (ties: lower parent, then id) */
    int n_candidates;
    long n_extensions;              /* live beams x vocab_size: every extension scored; only
                                     * the 2N best can matter, the rest rank below them */
} BeamStep;


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
    float *logprobs;         /* [n_generated] log p of each generated token (after the penalty) */
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
    float repetition_penalty; /* on log-probabilities, after log-softmax, as HF's beam search; 1 = off */
    int max_new_tokens;
    int max_len;             /* context window: sequences never grow past it */
    const volatile sig_atomic_t *interrupt;  /* NULL, or a flag checked after each step: non-zero finishes the live beams as "interrupted" */
} BeamOptions;

/* Who watches a search: each step's ranked candidates and live beams.
 * The end of the search goes to the plain Observer's run_end. */
typedef struct {
    void *ctx;
    void (*step)(void *ctx, const BeamStep *bs);
} BeamObserver;

/* Beam search from prompt[0..n_prompt) with opt->beams slots.  obs gets
 * run_end with the N best sequences; bobs each step (either may be NULL). */
int beam_search(const BeamModel *bm, const BeamOptions *opt, const int *prompt, int n_prompt,
                const Observer *obs, const BeamObserver *bobs, BeamResult *out, Error *err);
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

#endif
