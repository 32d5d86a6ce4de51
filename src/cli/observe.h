/*
 * observe.h - observers the command line puts on a run (core/observer.h):
 * a tee that hands every event to two observers, and the --profile clock.
 */
#ifndef ARGEN_OBSERVE_H
#define ARGEN_OBSERVE_H

#include <stdio.h>

#include "core/observer.h"

/* Every event goes to first, then to second (either may be NULL). */
typedef struct {
    const Observer *first;
    const Observer *second;
} Tee;

/* Fills *out with callbacks that forward to tee's two observers; out->ctx = tee. */
void observer_tee(Observer *out, Tee *tee, const Observer *first, const Observer *second);

/* --profile: wall time between the events the loop emits, summed over steps.
 *   forward   forward_begin -> forward_end   embedding, every block, ln_f
 *   logits    forward_end -> logits          the unembedding h @ lm_head^T
 *   select    logits -> append               penalties, softmax, truncation, the draw
 *   rest      everything else in the loop    the draw's RNG, output, tracing
 * It does not watch `selection`, so greedy still skips the sort. */
typedef struct {
    double forward, logits, select;   /* seconds in each stage */
    double layers;                    /* of forward: from forward_begin to the last block's end */
    double mark;                      /* the clock at the last event */
    int steps;
} Profile;

void profile_observer(Observer *out, Profile *p);

/* Prints the table to f: each stage's seconds, share of loop_seconds and time per token. */
void profile_print(const Profile *p, double loop_seconds, int tokens, FILE *f);

#endif
