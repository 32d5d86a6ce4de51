/*
 * fuzz_trace.c - the trace reader `argen render` uses (trace_read.h) on
 * arbitrary bytes, and every diagram writer on the documents it accepts.
 *
 * A trace may come from another version of argen or from a student's
 * editor.  Checks: a refused document fills a one-line message; in an
 * accepted one every token's bytes, every attention row and every table
 * can be read in full (ASan sees a count that disagrees with an array);
 * and every diagram kind that applies writes its DOT without a report,
 * with --step, --layer and --head at the last index cmd_render would accept.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_util.h"
#include "trace/render.h"
#include "trace/trace_read.h"

/* Reads every byte of a token (a sanitizer sees a wrong len). */
static unsigned touch_token(const TracedToken *t) {
    unsigned sum = (unsigned)t->id;
    if (t->text) for (size_t i = 0; i < t->len; i++) sum += (unsigned char)t->text[i];
    return sum;
}

static unsigned touch_step(const TracedStep *s) {
    unsigned sum = 0;
    for (size_t i = 0; i < s->n_context; i++) sum += touch_token(&s->context[i]);
    for (size_t i = 0; i < s->n_query; i++) sum += (unsigned)s->query_positions[i];
    for (size_t l = 0; l < s->n_layers; l++) {
        const TracedLayer *L = &s->layers[l];
        size_t n = L->n_head * L->n_query * L->n_key;
        for (size_t k = 0; k < n; k++) sum += L->attention[k] > 0.5;
    }
    for (size_t i = 0; i < s->n_logits; i++) sum += touch_token(&s->logits[i].token);
    for (size_t i = 0; i < s->n_alternatives; i++) sum += touch_token(&s->alternatives[i].token) + (unsigned)strlen(s->alternatives[i].name);
    for (size_t i = 0; i < s->n_table; i++) sum += touch_token(&s->table[i].token);
    return sum + touch_token(&s->chosen) + touch_token(&s->appended);
}

static unsigned touch_beam(const TracedBeam *b) {
    unsigned sum = 0;
    for (size_t i = 0; i < b->n; i++) sum += touch_token(&b->tokens[i]);
    return sum;
}

static unsigned touch_doc(const TraceDoc *d) {
    unsigned sum = 0;
    for (size_t i = 0; i < d->n_prompt; i++) sum += touch_token(&d->prompt[i]);
    for (size_t i = 0; i < d->n_steps; i++) sum += touch_step(&d->steps[i]);
    for (size_t i = 0; i < d->n_beam_steps; i++)
        for (size_t b = 0; b < d->beam_steps[i].n_beams; b++) sum += touch_beam(&d->beam_steps[i].beams[b]);
    for (size_t i = 0; i < d->n_sequences; i++) sum += touch_beam(&d->sequences[i]);
    for (size_t c = 0; c < d->n_chains; c++) {
        const ComparedChain *ch = &d->chains[c];
        for (size_t i = 0; i < ch->n; i++) sum += touch_token(&ch->tokens[i]) + (ch->probability[i] > 0.5);
    }
    return sum;
}

/* What cmd_render's resolve_options accepts, at the last index of each. */
static void last_options(const TraceDoc *d, RenderOptions *o) {
    memset(o, 0, sizeof *o);
    if (d->n_steps == 0) return;
    o->step = d->n_steps - 1;
    const TracedStep *s = &d->steps[o->step];
    if (s->n_layers == 0) return;
    o->layer = s->n_layers - 1;
    if (s->layers[o->layer].n_head > 0) o->head = s->layers[o->layer].n_head - 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    TraceDoc doc;
    Error err = {{0}};
    if (trace_doc_parse(&doc, (const char *)data, size, "fuzz.json", &err) != 0) {
        FUZZ_CHECK_MESSAGE(err.msg);
        return 0;
    }
    volatile unsigned sum = touch_doc(&doc);
    (void)sum;
    FILE *sink = fopen("/dev/null", "w");
    FUZZ_CHECK(sink != NULL, "cannot open /dev/null");
    size_t n_kinds;
    const DiagramKind *kinds = diagram_kinds(&n_kinds);
    RenderOptions o;
    last_options(&doc, &o);
    for (size_t k = 0; k < n_kinds; k++) {
        if (!kinds[k].applies(&doc)) continue;
        o.top = size % 2 ? kinds[k].default_top : 64;   /* the default, or the most --top allows */
        kinds[k].write(sink, &doc, &o);
    }
    fclose(sink);
    trace_doc_free(&doc);
    return 0;
}
