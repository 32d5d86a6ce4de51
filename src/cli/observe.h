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
 *   watchers  inside the watched observers   the trace, the printed text
 *   rest      everything else in the loop    the draw's RNG, the trace's header
 * The clock is two observers around the watched one: `before` laps each stage
 * as its event arrives, `after` laps what the watched observer then spent, so
 * a stage's time holds none of the trace's.  Both watch only the events the
 * watched observer watches beyond the stages': without a trace, no
 * `selection`, so greedy still skips the sort. */
typedef struct {
    double forward, logits, select;   /* seconds in each stage */
    double layers;                    /* of forward: from forward_begin to the last block's end */
    double watchers;                  /* inside the watched observers' callbacks */
    double mark;                      /* the clock at the last event */
    int steps;
} Profile;

/* Tee before, then watched, then after. */
void profile_observer(Observer *before, Observer *after, Profile *p, const Observer *watched);

/* Prints the table to f: each stage's seconds, share of loop_seconds and time per token. */
void profile_print(const Profile *p, double loop_seconds, int tokens, FILE *f);

#endif
