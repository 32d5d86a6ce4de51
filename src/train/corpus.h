/*
 * corpus.h - the story corpus whose next-word probabilities are known.
 *
 * A small probabilistic grammar writes short English stories ("Once upon a
 * time there was a little cat named Tom. Tom lived in a house near the river.
 * One day, Tom went to the park. ...").  Every choice is drawn from a fixed
 * table of words and probabilities with argen's PCG32, so the same seed gives
 * the same bytes on every machine.  docs/corpus.md writes the whole grammar
 * down, rule by rule.
 *
 * A branch point is a story prefix (always starting "Once upon a time") after
 * which the next word's distribution is known exactly: it is one table of the
 * grammar, and no other path of the grammar produces the same prefix.  A model
 * trained on the corpus can be compared with the truth there.
 *
 * Each story is followed by CORPUS_SEPARATOR, so in the training stream every
 * story after the first starts right after "<|endoftext|>\n".
 */
#ifndef ARGEN_CORPUS_H
#define ARGEN_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/rng.h"
#include "formats/files.h"

/* Written after every story: the end token on a line of its own. */
#define CORPUS_SEPARATOR "\n<|endoftext|>\n"

/* The PCG32 stream: rng_seed(rng, seed, CORPUS_RNG_SEQ). */
#define CORPUS_RNG_SEQ 0

/* Probabilities are whole multiples of 1/CORPUS_PROB_UNIT, so a choice can be
 * drawn exactly from a uniform integer in [0, CORPUS_PROB_UNIT). */
#define CORPUS_PROB_UNIT 1000

/* A story is never longer than this (the longest path is about 700 bytes). */
#define CORPUS_STORY_MAX 2048

typedef struct {
    const char *word;   /* with its leading space, as in running text: " cat" */
    double prob;        /* a multiple of 0.001; a table's probabilities sum to 1 */
} CorpusOption;

/* A point of known next-word distribution. */
typedef struct {
    const char *name;              /* short id: "animal_little" */
    const char *context;           /* the story text just before the choice */
    const CorpusOption *options;   /* [n_options], the true distribution */
    int n_options;
} BranchPoint;

/* One table of the grammar (every choice the generator makes). */
typedef struct {
    const char *name;              /* as in docs/corpus.md: "ANIMAL_little" */
    const CorpusOption *options;   /* [n_options] */
    int n_options;
} CorpusRule;

/* The fixed table of branch points; returns the count.  This can't fail. */
int corpus_branch_points(const BranchPoint **out);

/* Every choice table of the grammar; returns the count.  This can't fail. */
int corpus_rules(const CorpusRule **out);

/* The branch point whose context is exactly `context`, or NULL. */
const BranchPoint *corpus_find_branch_point(const char *context);

/* Index of the option drawn from opts[0..n): one exact uniform integer u in
 * [0, CORPUS_PROB_UNIT) (rejection sampling on rng_u32), then the first
 * option whose cumulative probability (in units) exceeds u. */
int corpus_pick(Rng *rng, const CorpusOption *opts, int n);

/* Generates the next story from rng into buf (cap bytes, NUL-terminated),
 * without the separator; *len is its length.  Returns -1 when cap is too small
 * (CORPUS_STORY_MAX always suffices). */
int corpus_story(Rng *rng, char *buf, size_t cap, size_t *len, Error *err);

/* Called after each story with the bytes written so far and the target;
 * returns non-zero to stop the writing there (Ctrl-C). */
typedef int (*CorpusProgress)(void *ctx, size_t written, size_t target);

/* Writes stories, each followed by CORPUS_SEPARATOR, until at least `bytes`
 * bytes are written (none when bytes is 0).  Deterministic in seed.
 * progress may be NULL.  Returns -1 when a write fails, or with
 * "corpus: stopped after N bytes" when progress asked to stop. */
int corpus_write_progress(FILE *f, uint64_t seed, size_t bytes, CorpusProgress progress, void *ctx,
                          Error *err);
int corpus_write(FILE *f, uint64_t seed, size_t bytes, Error *err);

#endif
