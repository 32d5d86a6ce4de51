/*
 * corpus_eval.h - the model's learned next-word distribution at each branch
 * point of the story corpus, next to the true one.
 *
 * For a branch point with context c and options w_1..w_k (true p_i), the
 * model reads "<|endoftext|>\n" + c (how every story after the first starts
 * in the training stream) and gives each option the probability of its whole
 * token sequence, by the chain rule:
 *     q_i = prod_j P(t_j | prefix, t_1..t_{j-1})   where w_i = t_1..t_m
 * mass = sum_i q_i is how much of the model's belief falls on the options at
 * all; the comparison uses q normalised over the options, and reports
 *     KL(p || q) = sum_i p_i ln(p_i / q_i)   in nats.
 */
#ifndef ARGEN_CORPUS_EVAL_H
#define ARGEN_CORPUS_EVAL_H

#include "train/corpus.h"
#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"
#include "formats/tokenizer.h"

#define EVAL_MAX_OPTIONS 16

typedef struct {
    const BranchPoint *bp;
    double learned[EVAL_MAX_OPTIONS];   /* q_i normalised over the options */
    double raw[EVAL_MAX_OPTIONS];       /* q_i as the model gives it */
    double mass;                        /* sum of raw */
    double kl;                          /* KL(true || learned), nats */
} BranchEval;

/* Evaluates branch point bp; fills *out. */
int corpus_eval_branch(const GPT2 *m, Tokenizer *tok, const BranchPoint *bp, BranchEval *out, Error *err);

#endif
