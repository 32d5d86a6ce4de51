/*
 * jacobi.h - Jacobi decoding: greedy generation N tokens at a time, by
 * fixed-point iteration over a whole block in one forward pass.
 *
 * Greedy decoding is the triangular system  y[i] = argmax f(x, y[0..i-1]):
 * each token depends only on those before it.  Jacobi iteration solves all
 * N equations of a block at once from a guess, and repeats:
 *
 *   committed ids[0..p)     block guess g[0..N) for positions p..p+N-1
 *   one pass: tokens [ids[p-1], g[0], ..., g[N-2]] at positions p-1..p+N-2
 *     (the KV cache holds 0..p-2; this call overwrites p-1.. with the guess)
 *   row i of the logits is the distribution for position p+i, so
 *     g'[i] = argmax logits[i]   (the "previous position's logits")
 *   repeat until g' == g, then accept g (cut after an eos) and advance.
 *
 * Why it converges to the greedy tokens in at most N passes: row 0 sees only
 * committed tokens, so g'[0] is greedy's token after pass 1 and never
 * changes again; row 1 sees committed tokens and g[0], so after pass 2 it is
 * greedy's too; after k passes the first k tokens are fixed.  A pass that
 * changes nothing is a fixed point, and by the same induction a fixed point
 * is the greedy block.  Worst case N passes of N tokens (no faster than
 * greedy's N passes of 1 token); every position guessed right early saves a
 * pass.
 *
 * The initial guess is "prompt lookup": find the latest earlier place where
 * the context's last 3 tokens (else 2, else 1) occurred and copy what
 * followed them there; the rest of the block (or all of it, when the last
 * token never occurred before) is the last committed token repeated.  Text
 * that repeats itself (names, set phrases, a story told again) is then
 * guessed right ahead of time, and a pass accepts several tokens at once.
 * The guess never changes the result: only how many passes it takes.
 * After the block is accepted, the cache holds positions up to p+N-2 from
 * the last pass, whose inputs were the accepted tokens, so it is exactly
 * the cache greedy decoding would have built.
 */
#ifndef ARGEN_JACOBI_H
#define ARGEN_JACOBI_H

#include <signal.h>

#include "core/error.h"
#include "core/forward.h"
#include "core/generate.h"
#include "core/model.h"
#include "core/observer.h"

/* One block of Jacobi decoding, as reported: the guess after every pass.
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
} JacobiBlock;

/* Who watches Jacobi decoding: one event per accepted block.  The run's
 * begin and end (and every accepted token, through append) go to the plain
 * Observer. */
typedef struct {
    void *ctx;
    void (*block)(void *ctx, const JacobiBlock *b);
} JacobiObserver;

typedef struct {
    const GPT2 *model;
    int block;               /* N: tokens guessed per block */
    int max_new_tokens;
    RunState state;          /* max_tokens = N rows of logits; the KV cache for the whole run */
    int *ids;                /* [n_ctx] prompt, then accepted tokens */
    int n_ids;
    int n_prompt;
    int n_ctx;               /* min(n_prompt + max_new_tokens, n_positions) */
    int *guess;              /* [N] the block's current guess */
    int *inputs;             /* [N] the tokens of one pass: last committed, guess[0..N-2] */
    int *initial;            /* [N] the block's guess before its first pass */
    int *history;            /* [N, N] the guess after each pass of the block (row = pass - 1) */
    unsigned char *changed;  /* [N, N] 1 where that pass changed the position */
    int n_blocks;            /* blocks accepted so far */
    int total_passes;        /* forward passes over blocks so far (the prefill not counted) */
    int generated;           /* tokens accepted so far */
    StopReason stop;
    const volatile sig_atomic_t *interrupt;  /* NULL (jacobi_init), or a flag checked after each block (Ctrl-C) */
} JacobiDecoder;

/* Checks the prompt as generator_init does and allocates everything. */
int jacobi_init(JacobiDecoder *jd, const GPT2 *m, int block, int max_new_tokens,
                const int *prompt, int n_prompt, Error *err);
void jacobi_free(JacobiDecoder *jd);

/* ---- the stages ---- */

/* Runs the prompt but its last token through the model in chunks of at most
 * N tokens (the cache then holds positions 0..n_prompt-2). */
int jacobi_prefill(JacobiDecoder *jd, Error *err);
/* Fills guess[0..n) with the initial guess (prompt lookup, else the last committed token). */
void jacobi_initial_guess(JacobiDecoder *jd, int n);
/* One parallel pass over a block of n tokens: every position becomes the
 * argmax of the previous position's logits.  changed[0..n) marks the
 * positions that changed, *n_changed counts them (0 = a fixed point). */
int jacobi_pass(JacobiDecoder *jd, int n, unsigned char *changed, int *n_changed, Error *err);
/* Appends the block's first n tokens, cut after an eos, and decides whether the run stops. */
void jacobi_accept(JacobiDecoder *jd, int n);

/* One block: guess, iterate to the fixed point, accept; reports it to jobs. */
int jacobi_block(JacobiDecoder *jd, const JacobiObserver *jobs, Error *err);

/* The loop: prefill, then blocks until a stop reason.  obs gets run_begin,
 * append for each accepted token (outside any step) and run_end; jobs one
 * event per block. */
int jacobi_run(JacobiDecoder *jd, const Observer *obs, const JacobiObserver *jobs, const char *model_dir,
               Error *err);

#endif
