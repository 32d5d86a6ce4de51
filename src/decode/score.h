/*
 * score.h - teacher forcing: the probability a model gives every token of a
 * text it did not write.
 *
 *   ids[0..n) ─forward_pass (one call, causal mask)─▶ lnf_out [n, C]
 *     ─logits_all─▶ logits [n, V] ─score_row (row t, target ids[t+1])─▶ TokenScore
 *
 * Row t of the logits is the model's distribution for position t+1, seen
 * from the true tokens 0..t (the ground truth is the context, not the
 * model's own choices: that is teacher forcing, the way training sees text).
 * The first token has no row before it, so it is never scored: n tokens
 * give n-1 scores.  Prepend the model's bos_token_id (<|endoftext|> for
 * GPT-2) to score the first word too (`argen score --bos`).
 *
 * Everything is computed in double from the float logits: log-softmax as
 * logit - logsumexp (max subtracted), entropy as logsumexp - E_p[logit].
 */
#ifndef ARGEN_SCORE_H
#define ARGEN_SCORE_H

#include "core/model.h"
#include "core/error.h"
#include "core/forward.h"

/* How the model rated one token of the text. */
typedef struct {
    int position;          /* where the token is: 1..n-1 */
    int id;                /* the token (ids[position]) */
    double logprob;        /* natural log of its probability */
    double probability;    /* exp(logprob) */
    int rank;              /* 1 = the model's top choice; ties toward the lower id */
    double surprisal_bits; /* -log2 p */
    double entropy_bits;   /* of the whole distribution it was drawn from */
    int top_id;            /* the model's top choice here (what greedy would have said) */
    double top_probability;
} TokenScore;

typedef struct {
    TokenScore *scores;    /* [n_scored]: scores[i] is for position i+1 */
    int n_scored;          /* n - 1 */
    double mean_loss;      /* -mean logprob, nats per token: the training loss */
    double perplexity;     /* exp(mean_loss) */
    double total_bits;     /* sum of surprisals */
    int n_top1;            /* tokens that were the model's top choice (rank 1) */
} ScoreResult;

/* One row: target's log-probability, rank and the row's entropy, from
 * logits[V].  Pure: reads logits, writes out (position left to the caller). */
void score_row(TokenScore *out, const float *logits, int V, int target);

/* Mean loss, perplexity and totals over r->scores[0..n_scored). */
void score_summarize(ScoreResult *r);

/* Scores ids[1..n) in one forward pass over ids[0..n) from position 0.
 * Needs 2 <= n <= n_positions (a longer text is refused, naming the limit).
 * kv_bytes, if not NULL, receives the bytes of keys and values the pass
 * left in the cache.  Free the result with score_result_free. */
int score_tokens(const GPT2 *m, const int *ids, int n, ScoreResult *out, size_t *kv_bytes, Error *err);
void score_result_free(ScoreResult *r);

#endif
