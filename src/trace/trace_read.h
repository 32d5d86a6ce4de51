/*
 * trace_read.h - reads a JSON document that argen wrote (a generation trace
 * from `argen generate --trace`, or the combined JSON of `argen compare`)
 * into plain structs, checking it against what traces/schema.json requires:
 * the format and version, every required field, and its type.
 *
 * A document that does not match is refused with one line naming the file
 * and the JSON path of the first wrong value:
 *   "trace.json: steps[3].selection.table[0].probability: expected a number"
 *
 * The readers never compute a number: what the structs hold is what the
 * file holds (a null attention weight, the causal mask, becomes NaN).
 * Strings point into the parsed JSON tree that TraceDoc keeps alive.
 */
#ifndef ARGEN_TRACE_READ_H
#define ARGEN_TRACE_READ_H

#include <stddef.h>

#include "formats/json.h"
#include "formats/files.h"

/* Which document this is; the renderer's diagrams dispatch on it.  A
 * Jacobi run is a generation trace whose steps are blocks (jacobi_blocks). */
typedef enum {
    TRACE_DOC_GENERATION,   /* "format": "argen-trace" */
    TRACE_DOC_COMPARE,      /* "format": "argen-compare" */
    TRACE_DOC_SCORE         /* "format": "argen-trace", "kind": "score" (teacher forcing) */
} TraceDocKind;

/* A token as the file wrote it. */
typedef struct {
    int id;                 /* token id; -1 where the file gives none */
    const char *text;       /* its bytes (may hold NUL: use len); NULL when the token is null (no vocabulary) */
    size_t len;
} TracedToken;

/* One row of a step's selection table: every stage of selection for one token. */
typedef struct {
    int rank;               /* by scaled logit, descending: 1 = the most likely */
    TracedToken token;
    double logit;           /* raw */
    double penalized;       /* after the repetition penalty */
    double scaled;          /* after temperature */
    double probability;     /* softmax(scaled) over the vocabulary */
    int has_before_temperature;              /* the file has probability_before_temperature */
    double probability_before_temperature;   /* softmax(penalized): T = 1 */
    double cumulative;      /* sum of probability over ranks 1..rank */
    int kept_top_k, kept_top_p, kept_min_p;
    const char *cut_by;     /* NULL when kept; else "top-k", "top-p" or "min-p" */
    double renormalized;    /* probability / kept_mass; 0 when cut */
    int has_slice;          /* slice is [lo, hi) of the draw's interval; absent when cut */
    double slice_lo, slice_hi;
} TracedRow;

/* logits.top[i]: the top-N raw logits. */
typedef struct {
    int rank;               /* 1 = the largest logit */
    TracedToken token;
    double logit;
} TracedLogit;

/* selection.alternatives: what another strategy would have picked. */
typedef struct {
    const char *name;       /* "greedy", "top-k=40", ... */
    TracedToken token;
} TracedAlternative;

/* forward.layers[l]. */
typedef struct {
    int layer;
    double residual_norm_after_attention, residual_norm;
    size_t n_head, n_query, n_key;
    double *attention;      /* [n_head][n_query][n_key]; NaN where the file has null (masked) */
} TracedLayer;

/* One step of the sampling loop (schema $defs/step). */
typedef struct {
    int step;
    int position;                   /* the position the new token takes */
    TracedToken *context;           /* [n_context] */
    size_t n_context;
    /* forward */
    int start_position, tokens_processed, key_count, kv_cache_positions;
    int *query_positions;           /* [n_query] */
    size_t n_query;
    TracedLayer *layers;            /* [n_layers] */
    size_t n_layers;
    double embed_norm, final_hidden_norm;
    /* logits */
    TracedLogit *logits;            /* [n_logits] */
    size_t n_logits;
    /* selection */
    const char *strategy;
    double temperature, repetition_penalty, top_p, min_p, draw;
    int has_draw;           /* 0 for an argmax step (greedy, T = 0): its draw is null, never used */
    int top_k, n_top_k, n_top_p, n_kept, nucleus_size;
    double kept_mass, entropy_nats, entropy_bits, effective_candidates;
    int has_before_temperature;              /* entropy_bits_before_temperature is in the file */
    double entropy_bits_before_temperature;
    TracedToken chosen;
    int chosen_rank;                /* 1 = the most likely token */
    double chosen_probability, chosen_renormalized;
    TracedAlternative *alternatives; /* [n_alternatives], in file order */
    size_t n_alternatives;
    TracedRow *table;               /* [n_table]: ranks 1..top_n, then the chosen row if lower */
    size_t n_table;
    /* appended */
    TracedToken appended;
} TracedStep;

/* A beam (or a final sequence): the whole context and its scores. */
typedef struct {
    TracedToken *tokens;            /* [n] prompt + generated */
    size_t n;
    double sum_logprob, score;
    int parent;                     /* beam steps: index into the previous step's beams; -1: the
                                     * prompt (null); -2: not in the file (older traces) */
} TracedBeam;

/* One candidate extension of a beam step (schema beam_step.candidates). */
typedef struct {
    int rank;                       /* 1 = the best extension of the step */
    int parent;                     /* index into the previous step's beams; -1: the prompt */
    TracedToken token;
    double logprob, sum_logprob, score;
    const char *fate;               /* "kept", "finished", "pruned", "pruned_eos" */
    int beam;                       /* kept: index into this step's beams; else -1 */
} TracedCandidate;

/* One step of beam search (schema $defs/beam_step): the live beams after it. */
typedef struct {
    int step;
    TracedBeam *beams;              /* [n_beams] */
    size_t n_beams;
    TracedCandidate *candidates;    /* [n_candidates], best first; none in older traces */
    size_t n_candidates;
    long extensions_scored;         /* 0 when not in the file */
} TracedBeamStep;

/* One pass of a Jacobi block: the guess after it. */
typedef struct {
    int pass;                       /* 1, 2, ... */
    TracedToken *tokens;            /* [size] */
    int *changed;                   /* [size] 1: this pass changed the position */
    int *correct;                   /* [size] 1: equal to the accepted token */
    int n_changed, n_correct;
} TracedJacobiPass;

/* One block of Jacobi decoding (schema $defs/jacobi_block). */
typedef struct {
    int block, start_position, size, block_size, passes;
    TracedToken last_committed;
    TracedToken *initial;           /* [size] the guess before pass 1 */
    TracedJacobiPass *iterations;   /* [passes] */
    const char *converged_by;       /* "fixed_point" or "pass_limit" */
    TracedToken *accepted;          /* [n_accepted] */
    size_t n_accepted;
    int cut_by_eos;
} TracedJacobiBlock;

/* One scored token of a teacher-forced score trace (schema $defs/score_item). */
typedef struct {
    int position;
    TracedToken token;
    double probability, logprob, surprisal_bits, entropy_bits;
    int rank;                       /* 1 = the model's top choice */
    TracedToken top;                /* the model's top choice there */
    double top_probability;
} TracedScore;

/* One column of `argen compare`. */
typedef struct {
    const char *name;               /* "top-k=40" */
    const char *strategy;
    const char *stop_reason;
    int top_k, beams;
    double top_p, min_p, temperature;
    int has_score;                  /* beam columns carry their best hypothesis's score */
    double score;
    int loop_start, loop_length;    /* -1, 0 when no repetition loop */
    TracedToken *tokens;            /* [n] generated tokens */
    double *probability;            /* [n] probability each had when chosen */
    size_t n;
} ComparedChain;

typedef struct {
    TraceDocKind kind;
    char file[256];                 /* the name used in messages */
    JsonValue root;                 /* the parsed document: strings point into it */
    void **allocs;                  /* every array below, freed by trace_doc_free */
    size_t n_allocs, cap_allocs;

    /* both kinds */
    long seed;
    TracedToken *prompt;            /* [n_prompt] (compare: text NULL in files without prompt_tokens) */
    size_t n_prompt;

    /* TRACE_DOC_GENERATION */
    const char *level;              /* "summary" or "full" */
    int top_n;
    const char *model_dir;
    int n_embd, n_head, n_layer, n_positions, vocab_size, eos_token_id;
    const char *strategy;           /* settings */
    double temperature, top_p, min_p, repetition_penalty, length_penalty;
    int top_k, beams, max_new_tokens;
    TracedStep *steps;              /* [n_steps] sampling steps, file order */
    size_t n_steps;
    TracedBeamStep *beam_steps;     /* [n_beam_steps] beam-search steps, file order */
    size_t n_beam_steps;
    TracedJacobiBlock *jacobi_blocks; /* [n_jacobi_blocks] Jacobi decoding ("block" items), file order */
    size_t n_jacobi_blocks;
    const char *stop_reason;
    TracedBeam *sequences;          /* [n_sequences] final sequences, best first */
    size_t n_sequences;

    /* TRACE_DOC_SCORE (model_dir, vocab_size and the config above are read too) */
    TracedToken *text;              /* [n_text] every token of the scored text */
    size_t n_text;
    int bos_prepended;
    TracedScore *scores;            /* [n_scores]: scores[i] is for position scores[i].position */
    size_t n_scores;
    double mean_loss_nats, perplexity, mean_surprisal_bits, top1_fraction;
    int has_free;                   /* the file has a free-generation row (--free-from) */
    int free_from;                  /* its first position */
    TracedToken *free_tokens;       /* [n_free] generated from position free_from on */
    double *free_probability;       /* [n_free] */
    int *free_matches;              /* [n_free] 1: equal to the reference token there */
    size_t n_free;
    int free_first_divergence;      /* -1: never */

    /* TRACE_DOC_COMPARE */
    int shared_draws;
    ComparedChain *chains;          /* [n_chains] */
    size_t n_chains;
} TraceDoc;

/* Parses text[0..len) (named `what` in messages) and checks it.  On failure
 * err holds "WHAT: PATH: expected ..." and doc holds nothing to free. */
int trace_doc_parse(TraceDoc *doc, const char *text, size_t len, const char *what, Error *err);

/* Reads and checks the file at path. */
int trace_doc_load(TraceDoc *doc, const char *path, Error *err);

void trace_doc_free(TraceDoc *doc);

#endif
