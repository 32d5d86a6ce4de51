/*
 * trace_read.c - a generation trace or a compare document, read into the
 * structs of trace_read.h and checked against traces/schema.json's required
 * fields and types on the way.
 *
 * The Reader carries the JSON path of the value being read ("steps[3].
 * selection.table[0]"), so that the first wrong value is named exactly.
 * Each object of the schema has one read_* function, in document order.
 */
#define _POSIX_C_SOURCE 200809L   /* before any header: it selects what they declare */
#include "trace/trace_read.h"
#include "trace/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The largest trace read, in bytes.  A full-level trace of GPT-2 small holds
 * about 1.5 MB per step (12 layers x 12 heads of attention rows, the tensors'
 * norms, every logit); 256 MiB is some 170 such steps.  The parsed tree takes
 * several times the text, so this also bounds the memory a trace can ask for. */
#define TRACE_MAX_BYTES ((size_t)256 << 20)

/* The largest seed or stream the writer writes: generate takes seeds to 2^53,
 * the integers a JSON number (a double) holds exactly. */
#define TRACE_MAX_SEED 9007199254740992L

typedef struct {
    TraceDoc *doc;
    Error *err;
    char path[512];     /* JSON path of the object being read; "" at the top level */
    size_t path_len;
} Reader;

/* ---- the path ---- */

static size_t path_push(Reader *r, const char *fmt_key, const char *key, size_t index) {
    size_t mark = r->path_len;
    size_t room = sizeof r->path - r->path_len;
    if (room < 2) return mark;   /* the path is full: keep what it says */
    int k = key ? snprintf(r->path + r->path_len, room, fmt_key, r->path_len ? "." : "", key)
                : snprintf(r->path + r->path_len, room, "[%zu]", index);
    if (k > 0) r->path_len = (size_t)k < room ? r->path_len + (size_t)k : sizeof r->path - 1;
    return mark;
}

static size_t enter_key(Reader *r, const char *key) { return path_push(r, "%s%s", key, 0); }
static size_t enter_index(Reader *r, size_t i) { return path_push(r, NULL, NULL, i); }

static void leave(Reader *r, size_t mark) {
    r->path_len = mark;
    r->path[mark] = '\0';
}

/* "FILE: PATH.KEY: expected WHAT" (KEY may be NULL: the path itself). */
static int fail_at(Reader *r, const char *key, const char *what) {
    size_t mark = key ? enter_key(r, key) : r->path_len;
    error_set(r->err, "%s: %s: expected %s", r->doc->file, r->path_len ? r->path : "(document)", what);
    leave(r, mark);
    return -1;
}

/* ---- memory: every array is recorded in the doc and freed with it ---- */

static void *doc_alloc(Reader *r, size_t n, size_t size) {
    TraceDoc *d = r->doc;
    if (d->n_allocs == d->cap_allocs) {
        size_t cap = d->cap_allocs ? 2 * d->cap_allocs : 64;
        void **p = realloc(d->allocs, cap * sizeof *p);
        if (!p) return NULL;
        d->allocs = p;
        d->cap_allocs = cap;
    }
    void *mem = calloc(n ? n : 1, size);
    if (mem) d->allocs[d->n_allocs++] = mem;
    else error_set(r->err, "%s: out of memory", d->file);
    return mem;
}

/* ---- typed members ---- */

/* obj[key] of the given type, or an error naming it ("missing" when absent). */
static const JsonValue *member(Reader *r, const JsonValue *obj, const char *key, JsonType type, const char *what) {
    const JsonValue *v = json_get(obj, key);
    if (!v) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s (missing)", what);
        fail_at(r, key, msg);
        return NULL;
    }
    if (v->type != type) { fail_at(r, key, what); return NULL; }
    return v;
}

/* argen writes NaN and infinity as null: a null where a number is required
 * is a run that went non-finite (or an edited file), and is named as such. */
#define NON_FINITE_NOTE "a number, got null (argen writes NaN and infinity as null: the run produced a non-finite value here)"

static int get_number(Reader *r, const JsonValue *obj, const char *key, double *out) {
    const JsonValue *v = json_get(obj, key);
    if (v && v->type == JSON_NULL) return fail_at(r, key, NON_FINITE_NOTE);
    if (!(v = member(r, obj, key, JSON_NUMBER, "a number"))) return -1;
    if (!isfinite(v->number)) return fail_at(r, key, "a finite number (it overflows a double)");
    *out = v->number;
    return 0;
}

/* An optional number: *has = 0 when absent; present, it must be a number. */
static int opt_number(Reader *r, const JsonValue *obj, const char *key, int *has, double *out) {
    *has = json_get(obj, key) != NULL;
    return *has ? get_number(r, obj, key, out) : 0;
}

/* An optional index that may be null: absent -> if_absent, null -> -1, else an integer >= 0. */
static int opt_index(Reader *r, const JsonValue *obj, const char *key, int if_absent, int *out) {
    const JsonValue *v = json_get(obj, key);
    long n;
    *out = !v ? if_absent : -1;
    if (!v || v->type == JSON_NULL) return 0;
    if (json_as_long(v, 0, 0x7fffffffL, &n) != 0) return fail_at(r, key, "an integer >= 0 or null");
    *out = (int)n;
    return 0;
}

/* A number or null (masked / non-finite: NaN). */
static int number_or_null(Reader *r, const JsonValue *v, double *out) {
    if (v->type == JSON_NULL) { *out = NAN; return 0; }
    if (v->type != JSON_NUMBER) return fail_at(r, NULL, "a number or null");
    if (!isfinite(v->number)) return fail_at(r, NULL, "a finite number or null (it overflows a double)");
    *out = v->number;
    return 0;
}

static int get_int(Reader *r, const JsonValue *obj, const char *key, long lo, int *out) {
    const JsonValue *v = member(r, obj, key, JSON_NUMBER, "an integer");
    long n;
    if (!v) return -1;
    if (json_as_long(v, lo, 0x7fffffffL, &n) != 0)
        return fail_at(r, key, lo == 0 ? "an integer >= 0" : lo == 1 ? "an integer >= 1" : "an integer");
    *out = (int)n;
    return 0;
}

/* A seed or stream: an integer in [0, 2^53], what generate writes. */
static int get_seed(Reader *r, const JsonValue *obj, const char *key, long *out) {
    const JsonValue *v = member(r, obj, key, JSON_NUMBER, "an integer");
    if (!v) return -1;
    if (json_as_long(v, 0, TRACE_MAX_SEED, out) != 0) return fail_at(r, key, "an integer in [0, 2^53]");
    return 0;
}

static int get_bool(Reader *r, const JsonValue *obj, const char *key, int *out) {
    const JsonValue *v = member(r, obj, key, JSON_BOOL, "true or false");
    if (!v) return -1;
    *out = v->boolean;
    return 0;
}

static int get_string(Reader *r, const JsonValue *obj, const char *key, const char **out) {
    const JsonValue *v = member(r, obj, key, JSON_STRING, "a string");
    if (!v) return -1;
    *out = v->str;
    return 0;
}

/* A string that is one of allowed[] (NULL-terminated); `what` lists them. */
static int get_enum(Reader *r, const JsonValue *obj, const char *key, const char *const *allowed,
                    const char *what, const char **out) {
    const JsonValue *v = json_get(obj, key);
    if (v && v->type == JSON_STRING)
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(v->str, allowed[i]) == 0) { *out = v->str; return 0; }
    return fail_at(r, key, what);
}

static const JsonValue *get_object(Reader *r, const JsonValue *obj, const char *key) {
    return member(r, obj, key, JSON_OBJECT, "an object");
}

static const JsonValue *get_array(Reader *r, const JsonValue *obj, const char *key) {
    return member(r, obj, key, JSON_ARRAY, "an array");
}

/* A token value: a string of bytes, or null when the model has no vocabulary. */
static int token_value(Reader *r, const JsonValue *v, int id, TracedToken *out) {
    out->id = id;
    out->text = NULL;
    out->len = 0;
    if (v->type == JSON_NULL) return 0;
    if (v->type != JSON_STRING) return fail_at(r, NULL, "a string or null");
    out->text = v->str;
    out->len = v->len;
    return 0;
}

static int get_token(Reader *r, const JsonValue *obj, const char *key, int id, TracedToken *out) {
    const JsonValue *v = json_get(obj, key);
    if (!v) return fail_at(r, key, "a string or null (missing)");
    size_t mark = enter_key(r, key);
    int rc = token_value(r, v, id, out);
    leave(r, mark);
    return rc;
}

/* {"id": ..., "token": ...} */
static int get_pick(Reader *r, const JsonValue *obj, TracedToken *out) {
    int id;
    if (get_int(r, obj, "id", 0, &id) != 0) return -1;
    return get_token(r, obj, "token", id, out);
}

/* ---- sequences: {"ids": [...], "tokens": [...]} ---- */

static int read_ids(Reader *r, const JsonValue *ids, TracedToken *out) {
    for (size_t i = 0; i < ids->len; i++) {
        long n;
        if (json_as_long(&ids->items[i], 0, 0x7fffffffL, &n) != 0) {
            size_t mark = enter_index(r, i);
            fail_at(r, NULL, "a token id (an integer >= 0)");
            leave(r, mark);
            return -1;
        }
        out[i].id = (int)n;
    }
    return 0;
}

/* ids and tokens of obj, paired; tokens must be as many as ids. */
static int read_sequence(Reader *r, const JsonValue *obj, TracedToken **out, size_t *n) {
    const JsonValue *ids = get_array(r, obj, "ids"), *toks = ids ? get_array(r, obj, "tokens") : NULL;
    if (!toks) return -1;
    *n = ids->len;
    if (!(*out = doc_alloc(r, ids->len, sizeof **out))) return -1;
    size_t mark = enter_key(r, "ids");
    int rc = read_ids(r, ids, *out);
    leave(r, mark);
    if (rc != 0) return -1;
    if (toks->len != ids->len) {
        char msg[96];
        snprintf(msg, sizeof msg, "%zu tokens, one per id", ids->len);
        return fail_at(r, "tokens", msg);
    }
    mark = enter_key(r, "tokens");
    for (size_t i = 0; i < toks->len && rc == 0; i++) {
        size_t m2 = enter_index(r, i);
        rc = token_value(r, &toks->items[i], (*out)[i].id, &(*out)[i]);
        leave(r, m2);
    }
    leave(r, mark);
    return rc;
}

/* Reads each item of obj[key] (an array) with fn into out[i] (elements of `size` bytes). */
typedef int (*ItemReader)(Reader *r, const JsonValue *item, void *out);

static int read_array_of(Reader *r, const JsonValue *obj, const char *key, size_t size, ItemReader fn,
                         void **out, size_t *n) {
    const JsonValue *arr = get_array(r, obj, key);
    if (!arr) return -1;
    *n = arr->len;
    if (!(*out = doc_alloc(r, arr->len, size))) return -1;
    size_t mark = enter_key(r, key);
    int rc = 0;
    for (size_t i = 0; i < arr->len && rc == 0; i++) {
        size_t m2 = enter_index(r, i);
        if (arr->items[i].type != JSON_OBJECT) rc = fail_at(r, NULL, "an object");
        else rc = fn(r, &arr->items[i], (char *)*out + i * size);
        leave(r, m2);
    }
    leave(r, mark);
    return rc;
}

/* ---- the top of a generation trace ---- */

static int read_config(Reader *r, const JsonValue *model, TraceDoc *d) {
    const JsonValue *c = get_object(r, model, "config");
    int bos;
    double eps;
    if (!c) return -1;
    size_t mark = enter_key(r, "config");
    int rc = get_int(r, c, "n_embd", 1, &d->n_embd) || get_int(r, c, "n_head", 1, &d->n_head) ||
             get_int(r, c, "n_layer", 1, &d->n_layer) || get_int(r, c, "n_positions", 1, &d->n_positions) ||
             get_int(r, c, "vocab_size", 1, &d->vocab_size) || get_number(r, c, "layer_norm_epsilon", &eps) ||
             get_int(r, c, "bos_token_id", 0, &bos) || get_int(r, c, "eos_token_id", 0, &d->eos_token_id);
    leave(r, mark);
    return rc ? -1 : 0;
}

static int read_settings(Reader *r, const JsonValue *s, TraceDoc *d) {
    static const char *const strategies[] = {"greedy", "sample", "top-k", "top-p", "min-p", "beam", "jacobi", NULL};
    int kv;
    return get_enum(r, s, "strategy", strategies, "one of greedy, sample, top-k, top-p, min-p, beam, jacobi", &d->strategy) ||
           get_number(r, s, "temperature", &d->temperature) || get_int(r, s, "top_k", 0, &d->top_k) ||
           get_number(r, s, "top_p", &d->top_p) || get_number(r, s, "min_p", &d->min_p) ||
           get_number(r, s, "repetition_penalty", &d->repetition_penalty) || get_int(r, s, "beams", 1, &d->beams) ||
           get_number(r, s, "length_penalty", &d->length_penalty) ||
           get_int(r, s, "max_new_tokens", 0, &d->max_new_tokens) || get_bool(r, s, "kv_cache", &kv)
               ? -1 : 0;
}

/* ---- one sampling step ---- */

/* *out = a * b, or -1 when the product does not fit a size_t. */
static int mul_size(size_t a, size_t b, size_t *out) {
    if (b != 0 && a > SIZE_MAX / b) return -1;
    *out = a * b;
    return 0;
}

/* The weights an attention array [head][query][key] actually holds: the
 * items of its rows (bounded by the file, so the sum cannot overflow). */
static size_t attention_held(const JsonValue *a) {
    size_t held = 0;
    for (size_t h = 0; h < a->len; h++) {
        const JsonValue *rows = &a->items[h];
        if (rows->type != JSON_ARRAY) continue;
        for (size_t q = 0; q < rows->len; q++)
            if (rows->items[q].type == JSON_ARRAY) held += rows->items[q].len;
    }
    return held;
}

/* attention [head][query][key]: n_query rows of key_count weights (or null)
 * per head.  The declared size (heads x queries x key_count) must be what
 * the file holds before anything is allocated: a hostile key_count would
 * otherwise ask for gigabytes, or wrap the product to a tiny buffer. */
static int read_attention(Reader *r, const JsonValue *a, TracedLayer *L, size_t n_query, size_t n_key) {
    size_t declared, held = attention_held(a);
    L->n_head = a->len;
    L->n_query = n_query;
    L->n_key = n_key;
    if (mul_size(a->len, n_query, &declared) != 0 || mul_size(declared, n_key, &declared) != 0 || declared != held) {
        error_set(r->err, "%s: %s: declares %zux%zux%zu weights (heads x query_positions x key_count) but holds %zu",
                  r->doc->file, r->path, a->len, n_query, n_key, held);
        return -1;
    }
    if (!(L->attention = doc_alloc(r, declared, sizeof *L->attention))) return -1;
    char want[96];
    for (size_t h = 0; h < a->len; h++) {
        size_t mh = enter_index(r, h);
        const JsonValue *rows = &a->items[h];
        snprintf(want, sizeof want, "an array of %zu query rows (query_positions)", n_query);
        if (rows->type != JSON_ARRAY || rows->len != n_query) return fail_at(r, NULL, want);
        for (size_t q = 0; q < n_query; q++) {
            size_t mq = enter_index(r, q);
            const JsonValue *row = &rows->items[q];
            snprintf(want, sizeof want, "an array of %zu weights (key_count)", n_key);
            if (row->type != JSON_ARRAY || row->len != n_key) return fail_at(r, NULL, want);
            for (size_t k = 0; k < n_key; k++) {
                size_t mk = enter_index(r, k);
                if (number_or_null(r, &row->items[k], &L->attention[(h * n_query + q) * n_key + k]) != 0) return -1;
                leave(r, mk);
            }
            leave(r, mq);
        }
        leave(r, mh);
    }
    return 0;
}

/* The layer reader needs the forward's query and key counts: carried here. */
typedef struct {
    size_t n_query, n_key;
} ForwardShape;

static int read_layer(Reader *r, const JsonValue *o, TracedLayer *L, const ForwardShape *fs) {
    const JsonValue *a;
    if (get_int(r, o, "layer", 0, &L->layer) ||
        get_number(r, o, "residual_norm_after_attention", &L->residual_norm_after_attention) ||
        get_number(r, o, "residual_norm", &L->residual_norm) || !(a = get_array(r, o, "attention")))
        return -1;
    size_t mark = enter_key(r, "attention");
    int rc = read_attention(r, a, L, fs->n_query, fs->n_key);
    if (rc == 0) leave(r, mark);
    return rc;
}

static int read_query_positions(Reader *r, const JsonValue *f, TracedStep *s) {
    const JsonValue *q = get_array(r, f, "query_positions");
    if (!q) return -1;
    s->n_query = q->len;
    if (!(s->query_positions = doc_alloc(r, q->len, sizeof *s->query_positions))) return -1;
    for (size_t i = 0; i < q->len; i++) {
        long n;
        if (json_as_long(&q->items[i], 0, s->key_count - 1, &n) != 0) {
            size_t mark = enter_key(r, "query_positions");
            enter_index(r, i);
            fail_at(r, NULL, "a position in [0, key_count)");
            leave(r, mark);
            return -1;
        }
        s->query_positions[i] = (int)n;
    }
    return 0;
}

static int read_forward(Reader *r, const JsonValue *f, TracedStep *s) {
    const JsonValue *ids, *layers, *layout = json_get(f, "attention_layout");
    if (get_int(r, f, "start_position", 0, &s->start_position) ||
        get_int(r, f, "tokens_processed", 1, &s->tokens_processed) || !(ids = get_array(r, f, "input_ids")) ||
        get_int(r, f, "key_count", 1, &s->key_count) || read_query_positions(r, f, s) ||
        get_int(r, f, "kv_cache_positions", 0, &s->kv_cache_positions) ||
        get_number(r, f, "embed_norm", &s->embed_norm) || get_number(r, f, "final_hidden_norm", &s->final_hidden_norm) ||
        !(layers = get_array(r, f, "layers")))
        return -1;
    if (!layout || layout->type != JSON_STRING || strcmp(layout->str, "[layer][head][query][key]") != 0)
        return fail_at(r, "attention_layout", "\"[layer][head][query][key]\"");
    ForwardShape fs = {s->n_query, (size_t)s->key_count};
    s->n_layers = layers->len;
    if (!(s->layers = doc_alloc(r, layers->len, sizeof *s->layers))) return -1;
    size_t mark = enter_key(r, "layers");
    for (size_t l = 0; l < layers->len; l++) {
        size_t m2 = enter_index(r, l);
        if (layers->items[l].type != JSON_OBJECT) return fail_at(r, NULL, "an object");
        if (read_layer(r, &layers->items[l], &s->layers[l], &fs) != 0) return -1;
        leave(r, m2);
    }
    leave(r, mark);
    return 0;
}

static int read_logit(Reader *r, const JsonValue *o, void *out) {
    TracedLogit *t = out;
    int id;
    return get_int(r, o, "rank", 1, &t->rank) || get_int(r, o, "id", 0, &id) ||
           get_token(r, o, "token", id, &t->token) || get_number(r, o, "logit", &t->logit) ? -1 : 0;
}

/* "slice": [lo, hi] or null (cut). */
static int read_slice(Reader *r, const JsonValue *o, TracedRow *t) {
    const JsonValue *v = json_get(o, "slice");
    if (v && v->type == JSON_NULL) return 0;
    if (!v || v->type != JSON_ARRAY || v->len != 2 || v->items[0].type != JSON_NUMBER ||
        v->items[1].type != JSON_NUMBER || !isfinite(v->items[0].number) || !isfinite(v->items[1].number))
        return fail_at(r, "slice", "[lo, hi] (two finite numbers) or null");
    t->has_slice = 1;
    t->slice_lo = v->items[0].number;
    t->slice_hi = v->items[1].number;
    return 0;
}

static int read_cut_by(Reader *r, const JsonValue *o, TracedRow *t) {
    static const char *const rules[] = {"top-k", "top-p", "min-p", "min-new-tokens", "argmax", NULL};
    const JsonValue *v = json_get(o, "cut_by");
    if (v && v->type == JSON_NULL) { t->cut_by = NULL; return 0; }
    return get_enum(r, o, "cut_by", rules, "null, \"top-k\", \"top-p\", \"min-p\", \"min-new-tokens\" or \"argmax\"",
                    &t->cut_by);
}

/* penalized and scaled: a number, or null (-inf) on the row min-new-tokens suppressed. */
static int get_logit(Reader *r, const JsonValue *o, const char *key, const TracedRow *t, double *out) {
    const JsonValue *v = json_get(o, key);
    if (v && v->type == JSON_NULL && t->cut_by && strcmp(t->cut_by, "min-new-tokens") == 0) {
        *out = -INFINITY;
        return 0;
    }
    return get_number(r, o, key, out);
}

static int read_row(Reader *r, const JsonValue *o, void *out) {
    TracedRow *t = out;
    int id;
    return get_int(r, o, "rank", 1, &t->rank) || get_int(r, o, "id", 0, &id) ||
           get_token(r, o, "token", id, &t->token) || get_number(r, o, "logit", &t->logit) ||
           read_cut_by(r, o, t) ||
           get_logit(r, o, "penalized", t, &t->penalized) || get_logit(r, o, "scaled", t, &t->scaled) ||
           get_number(r, o, "probability", &t->probability) ||
           opt_number(r, o, "probability_before_temperature", &t->has_before_temperature,
                      &t->probability_before_temperature) ||
           get_number(r, o, "cumulative", &t->cumulative) ||
           get_bool(r, o, "kept_top_k", &t->kept_top_k) || get_bool(r, o, "kept_top_p", &t->kept_top_p) ||
           get_bool(r, o, "kept_min_p", &t->kept_min_p) ||
           get_number(r, o, "renormalized", &t->renormalized) || read_slice(r, o, t)
               ? -1 : 0;
}

static int read_chosen(Reader *r, const JsonValue *sel, TracedStep *s) {
    const JsonValue *c = get_object(r, sel, "chosen");
    if (!c) return -1;
    size_t mark = enter_key(r, "chosen");
    int rc = get_pick(r, c, &s->chosen) || get_int(r, c, "rank", 1, &s->chosen_rank) ||
             get_number(r, c, "probability", &s->chosen_probability) ||
             get_number(r, c, "renormalized", &s->chosen_renormalized);
    if (rc == 0) leave(r, mark);
    return rc ? -1 : 0;
}

static int read_alternatives(Reader *r, const JsonValue *sel, TracedStep *s) {
    static const char *const required[] = {"greedy", "top-k=40", "top-p=0.9", "min-p=0.05"};
    const JsonValue *a = get_object(r, sel, "alternatives");
    if (!a) return -1;
    size_t mark = enter_key(r, "alternatives");
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!json_get(a, required[i])) return fail_at(r, required[i], "an object {id, token} (missing)");
    s->n_alternatives = a->len;
    if (!(s->alternatives = doc_alloc(r, a->len, sizeof *s->alternatives))) return -1;
    for (size_t i = 0; i < a->len; i++) {
        size_t m2 = enter_key(r, a->keys[i]);
        s->alternatives[i].name = a->keys[i];
        if (a->items[i].type != JSON_OBJECT) return fail_at(r, NULL, "an object {id, token}");
        if (get_pick(r, &a->items[i], &s->alternatives[i].token) != 0) return -1;
        leave(r, m2);
    }
    leave(r, mark);
    return 0;
}

/* draw: a number in [0, 1), or null for an argmax step that used none. */
static int read_draw(Reader *r, const JsonValue *o, TracedStep *s) {
    const JsonValue *v = json_get(o, "draw");
    s->has_draw = !(v && v->type == JSON_NULL);
    s->draw = 0;
    if (!s->has_draw) return 0;
    if (get_number(r, o, "draw", &s->draw)) return -1;
    if (!(s->draw >= 0 && s->draw < 1)) return fail_at(r, "draw", "a number in [0, 1), or null (an argmax step)");
    return 0;
}

static int read_selection(Reader *r, const JsonValue *o, TracedStep *s) {
    if (get_string(r, o, "strategy", &s->strategy) || get_number(r, o, "temperature", &s->temperature) ||
        get_number(r, o, "repetition_penalty", &s->repetition_penalty) || get_int(r, o, "top_k", 0, &s->top_k) ||
        get_number(r, o, "top_p", &s->top_p) || get_number(r, o, "min_p", &s->min_p) ||
        read_draw(r, o, s) || get_int(r, o, "n_top_k", 0, &s->n_top_k) ||
        get_int(r, o, "n_top_p", 0, &s->n_top_p) || get_int(r, o, "n_kept", 0, &s->n_kept) ||
        get_number(r, o, "kept_mass", &s->kept_mass) || get_int(r, o, "nucleus_size", 0, &s->nucleus_size) ||
        get_number(r, o, "entropy_nats", &s->entropy_nats) || get_number(r, o, "entropy_bits", &s->entropy_bits) ||
        get_number(r, o, "effective_candidates", &s->effective_candidates) ||
        opt_number(r, o, "entropy_bits_before_temperature", &s->has_before_temperature,
                   &s->entropy_bits_before_temperature) ||
        read_chosen(r, o, s) ||
        read_alternatives(r, o, s) ||
        read_array_of(r, o, "table", sizeof *s->table, read_row, (void **)&s->table, &s->n_table))
        return -1;
    return 0;
}

static int read_appended(Reader *r, const JsonValue *o, TracedStep *s) {
    const JsonValue *ids;
    return get_pick(r, o, &s->appended) || !(ids = get_array(r, o, "ids")) ? -1 : 0;
}

/* Reads member key of o as an object with fn (which sees the path inside it). */
static int read_part(Reader *r, const JsonValue *o, const char *key,
                     int (*fn)(Reader *, const JsonValue *, TracedStep *), TracedStep *s) {
    const JsonValue *v = get_object(r, o, key);
    if (!v) return -1;
    size_t mark = enter_key(r, key);
    if (fn(r, v, s) != 0) return -1;
    leave(r, mark);
    return 0;
}

static int read_context(Reader *r, const JsonValue *o, TracedStep *s) {
    return read_sequence(r, o, &s->context, &s->n_context);
}

static int read_logits(Reader *r, const JsonValue *o, TracedStep *s) {
    return read_array_of(r, o, "top", sizeof *s->logits, read_logit, (void **)&s->logits, &s->n_logits);
}

/* What the diagrams rely on beyond the schema's types: the attention rows
 * cover the context, and there is a last query. */
static int check_step_shape(Reader *r, const TracedStep *s) {
    char want[96];
    if ((size_t)s->key_count != s->n_context) {
        snprintf(want, sizeof want, "%zu (the context's length)", s->n_context);
        size_t mark = enter_key(r, "forward");
        fail_at(r, "key_count", want);
        leave(r, mark);
        return -1;
    }
    if (s->n_query == 0) {
        size_t mark = enter_key(r, "forward");
        fail_at(r, "query_positions", "at least one position");
        leave(r, mark);
        return -1;
    }
    return 0;
}

static int read_step(Reader *r, const JsonValue *o, TracedStep *s) {
    return get_int(r, o, "step", 0, &s->step) || get_int(r, o, "position", 0, &s->position) ||
           read_part(r, o, "context", read_context, s) || read_part(r, o, "forward", read_forward, s) ||
           read_part(r, o, "logits", read_logits, s) || read_part(r, o, "selection", read_selection, s) ||
           read_part(r, o, "appended", read_appended, s) || check_step_shape(r, s)
               ? -1 : 0;
}

/* ---- beams ---- */

static int read_beam(Reader *r, const JsonValue *o, void *out) {
    TracedBeam *b = out;
    return read_sequence(r, o, &b->tokens, &b->n) || get_number(r, o, "sum_logprob", &b->sum_logprob) ||
           get_number(r, o, "score", &b->score) || opt_index(r, o, "parent", -2, &b->parent) ? -1 : 0;
}

static int read_candidate(Reader *r, const JsonValue *o, void *out) {
    static const char *const fates[] = {"kept", "finished", "pruned", "pruned_eos", NULL};
    TracedCandidate *c = out;
    int id;
    return get_int(r, o, "rank", 1, &c->rank) || opt_index(r, o, "parent", -1, &c->parent) ||
           get_int(r, o, "id", 0, &id) || get_token(r, o, "token", id, &c->token) ||
           get_number(r, o, "logprob", &c->logprob) || get_number(r, o, "sum_logprob", &c->sum_logprob) ||
           get_number(r, o, "score", &c->score) ||
           get_enum(r, o, "fate", fates, "one of kept, finished, pruned, pruned_eos", &c->fate) ||
           opt_index(r, o, "beam", -1, &c->beam) ? -1 : 0;
}

/* Every live beam holds at least one token (the prompt and one generated
 * token, after step 0); parents and kept candidates point at beams that exist. */
static int check_beam_links(Reader *r, const TracedBeamStep *s, size_t n_prev) {
    char want[96];
    for (size_t i = 0; i < s->n_beams; i++)
        if (s->beams[i].n == 0) {
            size_t mark = enter_key(r, "beams");
            enter_index(r, i);
            fail_at(r, "ids", "at least one id (a beam is the prompt and what it generated)");
            leave(r, mark);
            return -1;
        }
    for (size_t i = 0; i < s->n_beams; i++)
        if (s->beams[i].parent >= 0 && (size_t)s->beams[i].parent >= n_prev) {
            size_t mark = enter_key(r, "beams");
            enter_index(r, i);
            snprintf(want, sizeof want, "an index into the previous step's %zu beams", n_prev);
            fail_at(r, "parent", want);
            leave(r, mark);
            return -1;
        }
    for (size_t i = 0; i < s->n_candidates; i++) {
        const TracedCandidate *c = &s->candidates[i];
        int bad_parent = c->parent >= 0 && (size_t)c->parent >= n_prev;
        int bad_beam = c->beam >= 0 && (size_t)c->beam >= s->n_beams;
        if (bad_parent || bad_beam) {
            size_t mark = enter_key(r, "candidates");
            enter_index(r, i);
            snprintf(want, sizeof want, "an index into the %s step's %zu beams", bad_parent ? "previous" : "same",
                     bad_parent ? n_prev : s->n_beams);
            fail_at(r, bad_parent ? "parent" : "beam", want);
            leave(r, mark);
            return -1;
        }
    }
    return 0;
}

static int read_beam_step(Reader *r, const JsonValue *o, TracedBeamStep *s, size_t n_prev) {
    const JsonValue *ext = json_get(o, "extensions_scored");
    if (get_int(r, o, "step", 0, &s->step) ||
        read_array_of(r, o, "beams", sizeof *s->beams, read_beam, (void **)&s->beams, &s->n_beams))
        return -1;
    s->extensions_scored = 0;
    if (ext && json_as_long(ext, 0, TRACE_MAX_SEED, &s->extensions_scored) != 0)
        return fail_at(r, "extensions_scored", "an integer >= 0");
    if (json_get(o, "candidates") &&
        read_array_of(r, o, "candidates", sizeof *s->candidates, read_candidate, (void **)&s->candidates,
                      &s->n_candidates))
        return -1;
    return check_beam_links(r, s, n_prev);
}

/* ---- Jacobi blocks ---- */

/* An array of n booleans into out[n] (1/0). */
static int read_bools(Reader *r, const JsonValue *o, const char *key, size_t n, int **out) {
    const JsonValue *a = get_array(r, o, key);
    char want[96];
    if (!a) return -1;
    snprintf(want, sizeof want, "an array of %zu booleans (size)", n);
    if (a->len != n) return fail_at(r, key, want);
    if (!(*out = doc_alloc(r, n, sizeof **out))) return -1;
    for (size_t i = 0; i < n; i++) {
        if (a->items[i].type != JSON_BOOL) return fail_at(r, key, want);
        (*out)[i] = a->items[i].boolean;
    }
    return 0;
}

/* A {"ids", "tokens"} member of o with exactly `want` tokens (want 0: any). */
static int read_sized_sequence(Reader *r, const JsonValue *o, const char *key, size_t want, TracedToken **out,
                               size_t *n) {
    const JsonValue *v = get_object(r, o, key);
    if (!v) return -1;
    size_t mark = enter_key(r, key);
    if (read_sequence(r, v, out, n) != 0) return -1;
    if (want && *n != want) {
        char msg[96];
        snprintf(msg, sizeof msg, "%zu ids (the block's size)", want);
        return fail_at(r, "ids", msg);
    }
    leave(r, mark);
    return 0;
}

static int read_jacobi_pass(Reader *r, const JsonValue *o, TracedJacobiPass *p, size_t size) {
    size_t n;
    if (get_int(r, o, "pass", 1, &p->pass) || read_sequence(r, o, &p->tokens, &n)) return -1;
    if (n != size) {
        char msg[96];
        snprintf(msg, sizeof msg, "%zu ids (the block's size)", size);
        return fail_at(r, "ids", msg);
    }
    return read_bools(r, o, "changed", size, &p->changed) || read_bools(r, o, "correct", size, &p->correct) ||
           get_int(r, o, "n_changed", 0, &p->n_changed) || get_int(r, o, "n_correct", 0, &p->n_correct) ? -1 : 0;
}

static int read_jacobi_iterations(Reader *r, const JsonValue *o, TracedJacobiBlock *b) {
    const JsonValue *a = get_array(r, o, "iterations");
    char want[96];
    if (!a) return -1;
    snprintf(want, sizeof want, "%d passes (passes)", b->passes);
    if (a->len != (size_t)b->passes) return fail_at(r, "iterations", want);
    if (!(b->iterations = doc_alloc(r, a->len, sizeof *b->iterations))) return -1;
    size_t mark = enter_key(r, "iterations");
    for (size_t k = 0; k < a->len; k++) {
        size_t m2 = enter_index(r, k);
        if (a->items[k].type != JSON_OBJECT) return fail_at(r, NULL, "an object");
        if (read_jacobi_pass(r, &a->items[k], &b->iterations[k], (size_t)b->size) != 0) return -1;
        leave(r, m2);
    }
    leave(r, mark);
    return 0;
}

static int read_jacobi_block(Reader *r, const JsonValue *o, TracedJacobiBlock *b) {
    static const char *const ways[] = {"fixed_point", "pass_limit", NULL};
    size_t n_initial;
    const JsonValue *lc;
    if (get_int(r, o, "block", 0, &b->block) || get_int(r, o, "start_position", 0, &b->start_position) ||
        get_int(r, o, "size", 1, &b->size) || get_int(r, o, "block_size", 1, &b->block_size) ||
        get_int(r, o, "passes", 1, &b->passes) || !(lc = get_object(r, o, "last_committed")))
        return -1;
    size_t mark = enter_key(r, "last_committed");
    if (get_pick(r, lc, &b->last_committed) != 0) return -1;
    leave(r, mark);
    return read_sized_sequence(r, o, "initial_guess", (size_t)b->size, &b->initial, &n_initial) ||
           read_jacobi_iterations(r, o, b) ||
           get_enum(r, o, "converged_by", ways, "\"fixed_point\" or \"pass_limit\"", &b->converged_by) ||
           read_sized_sequence(r, o, "accepted", 0, &b->accepted, &b->n_accepted) ||
           get_bool(r, o, "cut_by_eos", &b->cut_by_eos) ? -1 : 0;
}

/* steps[]: each a sampling step, or a beam step (it has "beams"). */
static int read_steps(Reader *r, const JsonValue *root, TraceDoc *d) {
    const JsonValue *steps = get_array(r, root, "steps");
    if (!steps) return -1;
    d->steps = doc_alloc(r, steps->len, sizeof *d->steps);
    d->beam_steps = doc_alloc(r, steps->len, sizeof *d->beam_steps);
    d->jacobi_blocks = doc_alloc(r, steps->len, sizeof *d->jacobi_blocks);
    if (!d->steps || !d->beam_steps || !d->jacobi_blocks) return -1;
    size_t mark = enter_key(r, "steps");
    for (size_t i = 0; i < steps->len; i++) {
        const JsonValue *s = &steps->items[i];
        size_t m2 = enter_index(r, i);
        if (s->type != JSON_OBJECT) return fail_at(r, NULL, "an object");
        size_t n_prev = d->n_beam_steps ? d->beam_steps[d->n_beam_steps - 1].n_beams : 0;
        int rc = json_get(s, "block") ? read_jacobi_block(r, s, &d->jacobi_blocks[d->n_jacobi_blocks++])
               : json_get(s, "beams") ? read_beam_step(r, s, &d->beam_steps[d->n_beam_steps++], n_prev)
               : read_step(r, s, &d->steps[d->n_steps++]);
        if (rc != 0) return -1;
        leave(r, m2);
    }
    leave(r, mark);
    return 0;
}

static int read_result(Reader *r, const JsonValue *o, TraceDoc *d) {
    static const char *const reasons[] = {"eos", "max_new_tokens", "context_full", "interrupted", NULL};
    return get_enum(r, o, "stop_reason", reasons, "one of eos, max_new_tokens, context_full, interrupted", &d->stop_reason) ||
           read_array_of(r, o, "sequences", sizeof *d->sequences, read_beam, (void **)&d->sequences, &d->n_sequences)
               ? -1 : 0;
}

/* Reads member key of root as an object with fn. */
static int read_doc_part(Reader *r, const JsonValue *root, const char *key,
                         int (*fn)(Reader *, const JsonValue *, TraceDoc *)) {
    const JsonValue *v = get_object(r, root, key);
    if (!v) return -1;
    size_t mark = enter_key(r, key);
    if (fn(r, v, r->doc) != 0) return -1;
    leave(r, mark);
    return 0;
}

static int read_model(Reader *r, const JsonValue *o, TraceDoc *d) {
    return get_string(r, o, "dir", &d->model_dir) || read_config(r, o, d) ? -1 : 0;
}

static int read_prompt(Reader *r, const JsonValue *o, TraceDoc *d) {
    return read_sequence(r, o, &d->prompt, &d->n_prompt);
}

static int read_rng(Reader *r, const JsonValue *o, TraceDoc *d) {
    const char *s;
    (void)d;
    long n;
    return get_string(r, o, "algorithm", &s) || get_seed(r, o, "seed", &n) || get_seed(r, o, "stream", &n) ||
           get_string(r, o, "uniform", &s) ? -1 : 0;
}

static int read_generation(Reader *r, const JsonValue *root, TraceDoc *d) {
    static const char *const levels[] = {"summary", "full", NULL};
    if (get_enum(r, root, "level", levels, "\"summary\" or \"full\"", &d->level) ||
        get_int(r, root, "top_n", 1, &d->top_n) || read_doc_part(r, root, "model", read_model) ||
        read_doc_part(r, root, "settings", read_settings) || get_seed(r, root, "seed", &d->seed) ||
        read_doc_part(r, root, "rng", read_rng) || read_doc_part(r, root, "prompt", read_prompt) ||
        read_steps(r, root, d) || read_doc_part(r, root, "result", read_result))
        return -1;
    return 0;
}

/* ---- a teacher-forced score trace ---- */

static int read_score_item(Reader *r, const JsonValue *o, void *out) {
    TracedScore *t = out;
    const JsonValue *top;
    int id;
    if (get_int(r, o, "position", 1, &t->position) || get_int(r, o, "id", 0, &id) ||
        get_token(r, o, "token", id, &t->token) || get_number(r, o, "probability", &t->probability) ||
        get_number(r, o, "logprob", &t->logprob) || get_int(r, o, "rank", 1, &t->rank) ||
        get_number(r, o, "surprisal_bits", &t->surprisal_bits) || get_number(r, o, "entropy_bits", &t->entropy_bits) ||
        !(top = get_object(r, o, "top")))
        return -1;
    size_t mark = enter_key(r, "top");
    if (get_pick(r, top, &t->top) || get_number(r, top, "probability", &t->top_probability)) return -1;
    leave(r, mark);
    return 0;
}

static int read_score_summary(Reader *r, const JsonValue *o, TraceDoc *d) {
    int n;
    return get_int(r, o, "n_scored", 1, &n) || get_number(r, o, "mean_loss_nats", &d->mean_loss_nats) ||
           get_number(r, o, "perplexity", &d->perplexity) ||
           get_number(r, o, "mean_surprisal_bits", &d->mean_surprisal_bits) ||
           get_number(r, o, "top1_fraction", &d->top1_fraction) ? -1 : 0;
}

static int read_free_row(Reader *r, const JsonValue *o, TraceDoc *d) {
    const JsonValue *p = get_array(r, o, "probability");
    char want[96];
    if (!p || get_int(r, o, "from_position", 1, &d->free_from) || read_sequence(r, o, &d->free_tokens, &d->n_free) ||
        read_bools(r, o, "matches", d->n_free, &d->free_matches) ||
        opt_index(r, o, "first_divergence", -1, &d->free_first_divergence))
        return -1;
    snprintf(want, sizeof want, "an array of %zu numbers, one per id", d->n_free);
    if (p->len != d->n_free) return fail_at(r, "probability", want);
    if (!(d->free_probability = doc_alloc(r, d->n_free, sizeof *d->free_probability))) return -1;
    for (size_t i = 0; i < d->n_free; i++) {
        if (p->items[i].type != JSON_NUMBER || !isfinite(p->items[i].number)) return fail_at(r, "probability", want);
        d->free_probability[i] = p->items[i].number;
    }
    d->has_free = 1;
    return 0;
}

/* Every scored position must name a token of the text. */
static int check_score_positions(Reader *r, const TraceDoc *d) {
    for (size_t i = 0; i < d->n_scores; i++)
        if ((size_t)d->scores[i].position >= d->n_text) {
            char want[96];
            size_t mark = enter_key(r, "scores");
            enter_index(r, i);
            snprintf(want, sizeof want, "a position in [1, %zu) (the text's tokens)", d->n_text);
            fail_at(r, "position", want);
            leave(r, mark);
            return -1;
        }
    return 0;
}

static int read_score(Reader *r, const JsonValue *root, TraceDoc *d) {
    if (read_doc_part(r, root, "model", read_model) || get_bool(r, root, "bos_prepended", &d->bos_prepended) ||
        read_sequence(r, root, &d->text, &d->n_text) ||
        read_array_of(r, root, "scores", sizeof *d->scores, read_score_item, (void **)&d->scores, &d->n_scores) ||
        read_doc_part(r, root, "summary", read_score_summary) || check_score_positions(r, d))
        return -1;
    return json_get(root, "free") ? read_doc_part(r, root, "free", read_free_row) : 0;
}

/* ---- the combined JSON of argen compare ---- */

static int read_loop(Reader *r, const JsonValue *o, ComparedChain *c) {
    const JsonValue *v = json_get(o, "loop");
    c->loop_start = -1;
    c->loop_length = 0;
    if (v && v->type == JSON_NULL) return 0;
    if (!v || v->type != JSON_OBJECT) return fail_at(r, "loop", "null or an object {start_step, length}");
    size_t mark = enter_key(r, "loop");
    if (get_int(r, v, "start_step", 0, &c->loop_start) || get_int(r, v, "length", 1, &c->loop_length)) return -1;
    leave(r, mark);
    return 0;
}

static int read_chain_steps(Reader *r, const JsonValue *o, ComparedChain *c) {
    const JsonValue *steps = get_array(r, o, "steps");
    if (!steps) return -1;
    c->n = steps->len;
    c->tokens = doc_alloc(r, steps->len, sizeof *c->tokens);
    c->probability = doc_alloc(r, steps->len, sizeof *c->probability);
    if (!c->tokens || !c->probability) return -1;
    size_t mark = enter_key(r, "steps");
    for (size_t i = 0; i < steps->len; i++) {
        size_t m2 = enter_index(r, i);
        const JsonValue *s = &steps->items[i];
        if (s->type != JSON_OBJECT) return fail_at(r, NULL, "an object");
        if (get_pick(r, s, &c->tokens[i]) || get_number(r, s, "probability", &c->probability[i])) return -1;
        leave(r, m2);
    }
    leave(r, mark);
    return 0;
}

static int read_chain(Reader *r, const JsonValue *o, void *out) {
    ComparedChain *c = out;
    const JsonValue *score = json_get(o, "score");
    if (get_string(r, o, "name", &c->name) || get_string(r, o, "strategy", &c->strategy) ||
        get_int(r, o, "top_k", 0, &c->top_k) || get_number(r, o, "top_p", &c->top_p) ||
        get_number(r, o, "min_p", &c->min_p) || get_number(r, o, "temperature", &c->temperature) ||
        get_int(r, o, "beams", 0, &c->beams) || get_string(r, o, "stop_reason", &c->stop_reason) ||
        read_loop(r, o, c) || read_chain_steps(r, o, c))
        return -1;
    if (score && get_number(r, o, "score", &c->score) != 0) return -1;
    c->has_score = score != NULL;
    return 0;
}

/* prompt_tokens (optional: files written before it have ids only), one per id. */
static int read_prompt_tokens(Reader *r, const JsonValue *root, TraceDoc *d) {
    const JsonValue *t = json_get(root, "prompt_tokens");
    char want[96];
    if (!t) return 0;
    snprintf(want, sizeof want, "an array of %zu tokens, one per prompt id", d->n_prompt);
    if (t->type != JSON_ARRAY || t->len != d->n_prompt) return fail_at(r, "prompt_tokens", want);
    size_t mark = enter_key(r, "prompt_tokens");
    for (size_t i = 0; i < t->len; i++) {
        size_t m2 = enter_index(r, i);
        if (token_value(r, &t->items[i], d->prompt[i].id, &d->prompt[i]) != 0) return -1;
        leave(r, m2);
    }
    leave(r, mark);
    return 0;
}

static int read_compare(Reader *r, const JsonValue *root, TraceDoc *d) {
    const JsonValue *ids;
    if (get_seed(r, root, "seed", &d->seed) || get_bool(r, root, "shared_draws", &d->shared_draws) ||
        !(ids = get_array(r, root, "prompt_ids")))
        return -1;
    d->n_prompt = ids->len;
    if (!(d->prompt = doc_alloc(r, ids->len, sizeof *d->prompt))) return -1;
    size_t mark = enter_key(r, "prompt_ids");
    if (read_ids(r, ids, d->prompt) != 0) return -1;
    leave(r, mark);
    if (read_prompt_tokens(r, root, d) != 0) return -1;
    return read_array_of(r, root, "strategies", sizeof *d->chains, read_chain, (void **)&d->chains, &d->n_chains);
}

/* ---- entry points ---- */

/* format and version pick the reader. */
static int read_document(Reader *r, const JsonValue *root) {
    const JsonValue *format = json_get(root, "format"), *version = json_get(root, "version");
    long v;
    if (root->type != JSON_OBJECT) return fail_at(r, NULL, "an object");
    if (!format || format->type != JSON_STRING ||
        (strcmp(format->str, "argen-trace") != 0 && strcmp(format->str, "argen-compare") != 0))
        return fail_at(r, "format", "\"argen-trace\" or \"argen-compare\"");
    if (strcmp(format->str, "argen-compare") == 0) {
        if (json_as_long(version, 1, 1, &v) != 0) return fail_at(r, "version", "1");
    } else if (json_as_long(version, TRACE_FORMAT_VERSION, TRACE_FORMAT_VERSION, &v) != 0) {
        /* Version 1 counted generate ranks from 0: read as 1-based they would be off by one. */
        return fail_at(r, "version", json_as_long(version, 1, 1, &v) == 0
                                         ? "2 (a version 1 trace counts ranks from 0; trace the run again with this argen)"
                                         : "2");
    }
    const JsonValue *kind = json_get(root, "kind");
    if (kind && (kind->type != JSON_STRING || (strcmp(kind->str, "generate") && strcmp(kind->str, "score"))))
        return fail_at(r, "kind", "\"generate\" or \"score\"");
    if (kind && strcmp(kind->str, "score") == 0) {
        r->doc->kind = TRACE_DOC_SCORE;
        return read_score(r, root, r->doc);
    }
    if (strcmp(format->str, "argen-trace") == 0) {
        r->doc->kind = TRACE_DOC_GENERATION;
        return read_generation(r, root, r->doc);
    }
    r->doc->kind = TRACE_DOC_COMPARE;
    return read_compare(r, root, r->doc);
}

int trace_doc_parse(TraceDoc *doc, const char *text, size_t len, const char *what, Error *err) {
    memset(doc, 0, sizeof *doc);
    snprintf(doc->file, sizeof doc->file, "%s", what);
    if (json_parse(text, len, what, &doc->root, err) != 0) return -1;
    Reader r;
    memset(&r, 0, sizeof r);
    r.doc = doc;
    r.err = err;
    if (read_document(&r, &doc->root) != 0) {
        trace_doc_free(doc);
        return -1;
    }
    return 0;
}

/* Reads the regular file at path, at most TRACE_MAX_BYTES, into a fresh
 * NUL-terminated buffer.  A FIFO, a device (/dev/zero) or a folder is
 * refused before a byte is read: it could block forever or never end. */
static int read_trace_file(const char *path, char **data, size_t *len, Error *err) {
    struct stat st;
    memset(&st, 0, sizeof st);
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return error_set(err, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return error_set(err, "%s: expected a regular file (a trace), got %s", path,
                         S_ISDIR(st.st_mode) ? "a folder" : S_ISFIFO(st.st_mode) ? "a pipe" : "a special file");
    }
    if ((unsigned long long)st.st_size > TRACE_MAX_BYTES) {
        close(fd);
        return error_set(err, "%s: %lld bytes: expected a trace of at most %zu MiB", path, (long long)st.st_size,
                         TRACE_MAX_BYTES >> 20);
    }
    size_t want = (size_t)st.st_size, n = 0;
    char *buf = malloc(want + 1);
    if (!buf) { close(fd); return error_set(err, "%s: out of memory", path); }
    while (n < want) {   /* a file that shrinks while read is read as it is now */
        ssize_t got = read(fd, buf + n, want - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) { int e = errno; free(buf); close(fd); return error_set(err, "%s: read error: %s", path, strerror(e)); }
        if (got == 0) break;
        n += (size_t)got;
    }
    close(fd);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int trace_doc_load(TraceDoc *doc, const char *path, Error *err) {
    char *text = NULL;
    size_t len = 0;
    memset(doc, 0, sizeof *doc);
    if (read_trace_file(path, &text, &len, err) != 0) return -1;
    int rc = trace_doc_parse(doc, text, len, path, err);
    free(text);
    return rc;
}

void trace_doc_free(TraceDoc *doc) {
    for (size_t i = 0; i < doc->n_allocs; i++) free(doc->allocs[i]);
    free(doc->allocs);
    json_free(&doc->root);
    memset(doc, 0, sizeof *doc);
}
