/*
 * trace.h - the JSON trace: an observer that writes what a run computed.
 *
 * A TraceSink bundles the observers a run may need: the loop's (core/
 * observer.h), beam search's and Jacobi decoding's (decode/).  Pass
 * &sink.run to generate_run, &sink.run and &sink.beam to beam_search,
 * &sink.run and &sink.jacobi to jacobi_run.  The JSON sink writes one
 * document per run, atomically, described by traces/schema.json.
 */
#ifndef ARGEN_TRACE_H
#define ARGEN_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"
#include "core/observer.h"
#include "core/sampler.h"
#include "decode/beam.h"
#include "decode/jacobi.h"
#include "formats/files.h"
#include "formats/json.h"

typedef enum {
    TRACE_NONE = 0,     /* no sink: the loop costs nothing extra */
    TRACE_SUMMARY = 1,  /* per layer: last-query attention, residual norms; top-N tables */
    TRACE_FULL = 2      /* plus every intermediate tensor, full attention rows, the whole logit vector */
} TraceLevel;

const char *trace_level_name(TraceLevel l);

/* The "version" of every argen-trace document (generate and score kinds).
 * Version 2: every rank counts from 1 (rank 1 = the most likely token), in
 * the logits and selection tables, the chosen token and beam candidates as
 * in score traces.  Version 1 counted generate ranks from 0; the reader
 * refuses it (trace_read.c). */
#define TRACE_FORMAT_VERSION 2

/* The text of a token: its bytes, or NULL when the model has no vocabulary. */
typedef struct {
    const char *(*bytes)(void *ctx, int id, size_t *len);
    void *ctx;
} TokenText;

typedef struct {
    Observer run;            /* the loop's events */
    BeamObserver beam;       /* beam search's steps */
    JacobiObserver jacobi;   /* Jacobi decoding's blocks */
} TraceSink;

/* Writes the model config as the trace's "config" object. */
void trace_write_config(JsonWriter *w, const GPT2Config *c);

/* ---- the JSON sink ---- */

typedef struct {
    AtomicFile file;     /* PATH.tmp.PID.N, renamed over PATH by json_trace_close */
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

#endif
