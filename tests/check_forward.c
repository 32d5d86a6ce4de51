/*
 * check_forward.c - the forward pass against an independent float64
 * reference, and its paths against each other.
 *
 * The fixtures in tests/data/forward/ are small random GPT-2 checkpoints
 * written by tests/ref/make_checkpoint.py (numpy, not argen's writer); each
 * NAME/ has a NAME.json beside it with the logits at every position computed
 * in float64 by tests/ref/gpt2_ref.py.  Regenerate both with
 *     sh tests/ref/make_fixtures.sh
 * which also shows that every plausible slip (no causal mask, erf GELU, a
 * wrong eps, one head, no position embedding, wte for lm_head) moves those
 * logits by more than 5 x the 1e-4 tolerance used here.
 *
 * Tolerances: 1e-4 against the float64 reference (float32 arithmetic over
 * logits of magnitude ~15); 1e-5 between argen's own paths (KV cache, chunked
 * prefill, recompute), which run the same sums in the same order; 0 where
 * nothing may change at all (a copy of the weights, a save and reload in the
 * same dtype).  Run from the repository root; CK_FORK=no for gdb.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testdir.h"
#include "testutil.h"

#include "formats/json.h"
#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"
#include "formats/files.h"

#define DATA_DIR "tests/data/forward"
#define REF_TOL 1e-4
#define PATH_TOL 1e-5

typedef struct {
    const char *name;   /* folder under DATA_DIR, and NAME.json */
    SaveDType dtype;    /* the dtype it is stored in */
    int tied;           /* 1: no lm_head.weight in the file */
} Fixture;

static const Fixture FIXTURES[] = {
    {"f32_prefix_tied", SAVE_F32, 1},      /* "transformer." names, attn.bias buffers, shuffled */
    {"f16_plain_untied", SAVE_F16, 0},     /* n_ctx in config.json, head size 3 */
    {"bf16_prefix_untied", SAVE_BF16, 0},  /* buffers, shuffled, layer_norm_epsilon 1e-3 */
    {"f32_plain_onehead", SAVE_F32, 1},    /* a single head */
};
#define N_FIXTURES ((int)(sizeof FIXTURES / sizeof FIXTURES[0]))

/* ---- helpers ---- */

/* out (PATH_SIZE bytes) = dir/name */
#define PATH_SIZE 1024
static void join(char *out, const char *dir, const char *name) {
    Error err;
    ck_assert_msg(path_join(out, PATH_SIZE, dir, name, &err) == 0, "%s", err.msg);
}

/* The committed reference: ids [T] and float64 logits [T, V] as floats. */
typedef struct {
    int *ids;
    int T;
    float *logits;
    size_t V;
} Reference;

static void reference_load(Reference *r, const char *name) {
    char file[256], path[PATH_SIZE];
    snprintf(file, sizeof file, "%s.json", name);
    join(path, DATA_DIR, file);
    char *text;
    size_t len;
    Error err;
    ck_assert_msg(read_file(path, &text, &len, &err) == 0, "%s", err.msg);
    JsonValue root;
    ck_assert_msg(json_parse(text, len, path, &root, &err) == 0, "%s", err.msg);
    free(text);
    const JsonValue *ids = json_get(&root, "ids"), *rows = json_get(&root, "logits");
    ck_assert_msg(ids && ids->type == JSON_ARRAY && rows && rows->type == JSON_ARRAY && rows->len == ids->len &&
                  ids->len > 0 && rows->items[0].type == JSON_ARRAY, "%s: expected ids and one row of logits per id", path);
    r->T = (int)ids->len;
    r->V = rows->items[0].len;
    r->ids = malloc((size_t)r->T * sizeof *r->ids);
    r->logits = malloc((size_t)r->T * r->V * sizeof *r->logits);
    ck_assert(r->ids && r->logits);
    for (int t = 0; t < r->T; t++) {
        long id;
        ck_assert_msg(json_as_long(&ids->items[t], 0, 1L << 30, &id) == 0, "%s: ids[%d]", path, t);
        r->ids[t] = (int)id;
        const JsonValue *row = &rows->items[t];
        ck_assert_msg(row->type == JSON_ARRAY && row->len == r->V, "%s: logits[%d] has the wrong length", path, t);
        for (size_t v = 0; v < r->V; v++) r->logits[(size_t)t * r->V + v] = (float)row->items[v].number;
    }
    json_free(&root);
}

static void reference_free(Reference *r) {
    free(r->ids);
    free(r->logits);
}

static void load_fixture(GPT2 *m, const Fixture *f, int copy) {
    char dir[PATH_SIZE];
    join(dir, DATA_DIR, f->name);
    Error err;
    ck_assert_msg(gpt2_load(m, dir, copy, &err) == 0, "%s", err.msg);
}

/* Logits [T, V] of one forward call over ids (fresh buffer: free() it). */
static float *logits_one_call(const GPT2 *m, const int *ids, int T, int keep_layers) {
    RunOptions opt = {T, T, keep_layers, 1};
    RunState s;
    Error err;
    ck_assert_msg(run_state_init(&s, m, &opt, &err) == 0, "%s", err.msg);
    ck_assert_msg(forward_pass(m, &s, ids, T, 0, NULL, &err) == 0, "%s", err.msg);
    logits_all(m, &s);
    size_t n = (size_t)T * (size_t)m->config.vocab_size;
    float *out = malloc(n * sizeof *out);
    ck_assert(out);
    memcpy(out, s.logits, n * sizeof *out);
    run_state_free(&s);
    return out;
}

/* Logits [T, V] decoding one token at a time through the KV cache. */
static float *logits_kv_cache(const GPT2 *m, const int *ids, int T) {
    RunOptions opt = {1, T, 0, 0};
    RunState s;
    Error err;
    ck_assert_msg(run_state_init(&s, m, &opt, &err) == 0, "%s", err.msg);
    size_t V = (size_t)m->config.vocab_size;
    float *out = malloc((size_t)T * V * sizeof *out);
    ck_assert(out);
    for (int t = 0; t < T; t++) {
        ck_assert_msg(forward_pass(m, &s, &ids[t], 1, t, NULL, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(s.n_cached, t + 1);
        logits_final(m, &s);
        memcpy(out + (size_t)t * V, s.logits, V * sizeof *out);
    }
    run_state_free(&s);
    return out;
}

/* Logits [T, V]: row t from recomputing positions 0..t from scratch
 * (what --no-kv-cache does), reusing one run state. */
static float *logits_recompute(const GPT2 *m, const int *ids, int T) {
    RunOptions opt = {T, T, 0, 0};
    RunState s;
    Error err;
    ck_assert_msg(run_state_init(&s, m, &opt, &err) == 0, "%s", err.msg);
    size_t V = (size_t)m->config.vocab_size;
    float *out = malloc((size_t)T * V * sizeof *out);
    ck_assert(out);
    for (int t = 0; t < T; t++) {
        ck_assert_msg(forward_pass(m, &s, ids, t + 1, 0, NULL, &err) == 0, "%s", err.msg);
        logits_final(m, &s);
        memcpy(out + (size_t)t * V, s.logits, V * sizeof *out);
    }
    run_state_free(&s);
    return out;
}

/* Logits [T, V]: the first k tokens in one call, the rest in a second call
 * that attends over the cached keys of the first. */
static float *logits_two_chunks(const GPT2 *m, const int *ids, int T, int k) {
    RunOptions opt = {T, T, 0, 1};
    RunState s;
    Error err;
    ck_assert_msg(run_state_init(&s, m, &opt, &err) == 0, "%s", err.msg);
    size_t V = (size_t)m->config.vocab_size;
    float *out = malloc((size_t)T * V * sizeof *out);
    ck_assert(out);
    ck_assert_msg(forward_pass(m, &s, ids, k, 0, NULL, &err) == 0, "%s", err.msg);
    logits_all(m, &s);
    memcpy(out, s.logits, (size_t)k * V * sizeof *out);
    ck_assert_msg(forward_pass(m, &s, ids + k, T - k, k, NULL, &err) == 0, "%s", err.msg);
    logits_all(m, &s);
    memcpy(out + (size_t)k * V, s.logits, (size_t)(T - k) * V * sizeof *out);
    run_state_free(&s);
    return out;
}

/* ---- reference: argen against the float64 reference ---- */

START_TEST(test_reference_logits) {
    const Fixture *f = &FIXTURES[_i];
    Reference r;
    reference_load(&r, f->name);
    GPT2 m;
    load_fixture(&m, f, 0);
    ck_assert_int_eq((int)r.V, m.config.vocab_size);
    float *got = logits_one_call(&m, r.ids, r.T, 0);
    assert_close(got, r.logits, (size_t)r.T * r.V, REF_TOL);
    free(got);
    gpt2_free(&m);
    reference_free(&r);
}
END_TEST

/* Loaded with copy (training's writable weights) or not: the same bits. */
START_TEST(test_copy_load_identical) {
    const Fixture *f = &FIXTURES[_i];
    Reference r;
    reference_load(&r, f->name);
    GPT2 a, b;
    load_fixture(&a, f, 0);
    load_fixture(&b, f, 1);
    ck_assert_ptr_null(b.map);
    float *la = logits_one_call(&a, r.ids, r.T, 0), *lb = logits_one_call(&b, r.ids, r.T, 1);
    assert_close(lb, la, (size_t)r.T * r.V, 0.0);
    free(la);
    free(lb);
    gpt2_free(&a);
    gpt2_free(&b);
    reference_free(&r);
}
END_TEST

/* ---- weights in half precision ---- */

/* 1 when p points into the mapped file [map, map + len). */
static int in_mapping(const GPT2 *m, const void *p) {
    const char *b = m->map, *q = p;
    return b && q >= b && q < b + m->map_len;
}

/* An F16 or BF16 checkpoint keeps its matrices in 16 bits, in place in the
 * mapping; the vectors are F32.  Its logits are the bits of loading it
 * converted to F32 at load (--weights f32), on one pass and
 * through the KV cache alike. */
START_TEST(test_half_checkpoint_kept_half) {
    const Fixture *f = &FIXTURES[_i];
    if (f->dtype == SAVE_F32) return;
    WeightDType want = f->dtype == SAVE_F16 ? WEIGHTS_F16 : WEIGHTS_BF16;
    Reference r;
    reference_load(&r, f->name);
    char dir[PATH_SIZE];
    join(dir, DATA_DIR, f->name);
    GPT2 half, f32;
    Error err;
    ck_assert_msg(gpt2_load_weights(&half, dir, LOAD_AS_STORED, &err) == 0, "%s", err.msg);
    ck_assert_msg(gpt2_load_weights(&f32, dir, LOAD_F32, &err) == 0, "%s", err.msg);
    size_t halves = 0;
    for (int i = 0; i < half.n_params; i++) {
        const Param *p = &half.params[i];
        int matrix = p->ndim == 2 && strcmp(p->name, "wpe.weight") != 0;
        ck_assert_msg(p->dtype == (matrix ? want : WEIGHTS_F32), "%s held as %s", p->name, weight_dtype_name(p->dtype));
        if (matrix) {
            ck_assert_msg(p->data == NULL && in_mapping(&half, p->half), "%s: not used in place from the mapping", p->name);
            halves += p->numel;
        }
        ck_assert_int_eq(f32.params[i].dtype, WEIGHTS_F32);
    }
    ck_assert_int_eq(half.w.h[0].mlp_c_fc_weight.dtype, want);
    ck_assert_ptr_null(half.owned_half);
    ck_assert_uint_eq(half.weight_bytes, half.n_floats * 4 - halves * 2);
    ck_assert_uint_eq(f32.weight_bytes, f32.n_floats * 4);
    float *lh = logits_one_call(&half, r.ids, r.T, 0), *lf = logits_one_call(&f32, r.ids, r.T, 0);
    ck_assert_msg(memcmp(lh, lf, (size_t)r.T * r.V * sizeof(float)) == 0,
                  "%s: logits with the matrices in half differ from converting them to F32 at load", f->name);
    float *kv = logits_kv_cache(&half, r.ids, r.T);
    ck_assert_msg(memcmp(kv, lf, (size_t)r.T * r.V * sizeof(float)) == 0, "%s: through the KV cache", f->name);
    free(kv);
    free(lh);
    free(lf);
    gpt2_free(&half);
    gpt2_free(&f32);
    reference_free(&r);
}
END_TEST

/* An F32 checkpoint loaded as F16 or BF16: every matrix element is the
 * nearest half to its F32 value (no neighbour of the stored pattern is
 * closer), the vectors stay F32, and the logits stay near the float64
 * reference: within 0.03 with F16 (11 significant bits) and 0.3 with BF16
 * (8 bits), about 3 x the largest difference measured on this fixture. */
START_TEST(test_f32_checkpoint_as_half) {
    const Fixture *f = &FIXTURES[0];
    LoadWeights as = _i ? LOAD_BF16 : LOAD_F16;
    WeightDType want = _i ? WEIGHTS_BF16 : WEIGHTS_F16;
    Reference r;
    reference_load(&r, f->name);
    char dir[PATH_SIZE];
    join(dir, DATA_DIR, f->name);
    GPT2 half, f32;
    Error err;
    ck_assert_msg(gpt2_load_weights(&half, dir, as, &err) == 0, "%s", err.msg);
    ck_assert_msg(gpt2_load(&f32, dir, 0, &err) == 0, "%s", err.msg);
    for (int i = 0; i < half.n_params; i++) {
        const Param *p = &half.params[i], *q = &f32.params[i];
        if (p->dtype == WEIGHTS_F32) {
            ck_assert_msg(memcmp(p->data, q->data, p->numel * sizeof(float)) == 0, "%s changed", p->name);
            continue;
        }
        ck_assert_int_eq(p->dtype, want);
        Matrix m = matrix_half(p->half, p->dtype);
        for (size_t k = 0; k < p->numel; k++) {
            double v = q->data[k], d = fabs(matrix_element(m, k) - v);
            uint16_t up = (uint16_t)(p->half[k] + 1), down = (uint16_t)(p->half[k] - 1);
            Matrix mu = matrix_half(&up, p->dtype), md = matrix_half(&down, p->dtype);
            ck_assert_msg(!(fabs(matrix_element(mu, 0) - v) < d) && !(fabs(matrix_element(md, 0) - v) < d),
                          "%s[%zu] = %g: a neighbouring %s is closer", p->name, k, v, weight_dtype_name(want));
        }
    }
    ck_assert_ptr_nonnull(half.owned_half);
    float *got = logits_one_call(&half, r.ids, r.T, 0);
    assert_close(got, r.logits, (size_t)r.T * r.V, _i ? 0.3 : 0.03);   /* measured 0.119 and 0.0106 */
    free(got);
    gpt2_free(&half);
    gpt2_free(&f32);
    reference_free(&r);
}
END_TEST

/* A weight beyond F16's range is refused as F16, naming the tensor, and
 * loads as BF16. */
START_TEST(test_f16_overflow_refused) {
    GPT2Config c = {16, 4, 2, 10, 23, 1e-5f, 22, 22};
    GPT2 m, back;
    Error err;
    ck_assert_msg(gpt2_init_random(&m, &c, 1, 7, &err) == 0, "%s", err.msg);
    m.w.h[1].mlp_c_fc_weight.f32[5] = 70000.0f;   /* F16's largest finite value is 65504 */
    char dir[64];
    temp_dir_make(dir, sizeof dir, "check_forward");
    ck_assert_msg(gpt2_save(&m, dir, SAVE_F32, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(gpt2_load_weights(&back, dir, LOAD_F16, &err), -1);
    ck_assert_msg(strstr(err.msg, "h.1.mlp.c_fc.weight") && strstr(err.msg, "F16"), "message: %s", err.msg);
    ck_assert_msg(gpt2_load_weights(&back, dir, LOAD_BF16, &err) == 0, "%s", err.msg);
    ck_assert(matrix_element(back.w.h[1].mlp_c_fc_weight, 5) == 70144.0f);   /* 70000 to 8 significant bits */
    gpt2_free(&back);
    gpt2_free(&m);
    temp_dir_remove(dir);
}
END_TEST

/* The file's variant is understood: tied exactly when lm_head.weight is absent. */
START_TEST(test_tied_flag) {
    const Fixture *f = &FIXTURES[_i];
    GPT2 m;
    load_fixture(&m, f, 0);
    ck_assert_int_eq(m.tied, f->tied);
    int same = m.w.lm_head.f32 == m.w.wte.f32 && m.w.lm_head.half == m.w.wte.half;
    ck_assert_int_eq(same, f->tied);
    ck_assert_int_eq(m.n_params, gpt2_n_params(&m.config, m.tied));
    gpt2_free(&m);
}
END_TEST

/* ---- core: argen's paths against each other ---- */

START_TEST(test_kv_cache_matches_one_call) {
    const Fixture *f = &FIXTURES[_i];
    Reference r;
    reference_load(&r, f->name);
    GPT2 m;
    load_fixture(&m, f, 0);
    size_t n = (size_t)r.T * r.V;
    float *whole = logits_one_call(&m, r.ids, r.T, 0);
    float *kv = logits_kv_cache(&m, r.ids, r.T);
    float *re = logits_recompute(&m, r.ids, r.T);
    float *two = logits_two_chunks(&m, r.ids, r.T, r.T / 2);
    for (int t = 0; t < r.T; t++) {  /* position by position, so a failure says where */
        size_t at = (size_t)t * r.V;
        assert_close(kv + at, whole + at, r.V, PATH_TOL);
        assert_close(re + at, whole + at, r.V, PATH_TOL);
        assert_close(two + at, whole + at, r.V, PATH_TOL);
    }
    assert_close(kv, r.logits, n, REF_TOL);
    free(whole);
    free(kv);
    free(re);
    free(two);
    gpt2_free(&m);
    reference_free(&r);
}
END_TEST

/* Saved in its own dtype and loaded back: identical logits (F16/BF16 values
 * survive the round trip exactly); saved as F32: identical too. */
START_TEST(test_save_reload_identical) {
    const Fixture *f = &FIXTURES[_i];
    Reference r;
    reference_load(&r, f->name);
    GPT2 m;
    load_fixture(&m, f, 0);
    float *before = logits_one_call(&m, r.ids, r.T, 0);
    SaveDType dtypes[2] = {f->dtype, SAVE_F32};
    for (int k = 0; k < 2; k++) {
        char dir[64];
        temp_dir_make(dir, sizeof dir, "check_forward");
        Error err;
        ck_assert_msg(gpt2_save(&m, dir, dtypes[k], &err) == 0, "%s", err.msg);
        GPT2 back;
        ck_assert_msg(gpt2_load(&back, dir, 0, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(back.tied, m.tied);
        ck_assert_int_eq(back.config.n_embd, m.config.n_embd);
        ck_assert_int_eq(back.config.n_head, m.config.n_head);
        ck_assert_int_eq(back.config.n_layer, m.config.n_layer);
        ck_assert_int_eq(back.config.n_positions, m.config.n_positions);
        ck_assert_int_eq(back.config.vocab_size, m.config.vocab_size);
        ck_assert(back.config.layer_norm_epsilon == m.config.layer_norm_epsilon);
        float *after = logits_one_call(&back, r.ids, r.T, 0);
        assert_close(after, before, (size_t)r.T * r.V, 0.0);
        free(after);
        gpt2_free(&back);
        temp_dir_remove(dir);
    }
    free(before);
    gpt2_free(&m);
    reference_free(&r);
}
END_TEST

/* A model made in memory, saved and reloaded: the same logits, tied and untied. */
START_TEST(test_init_save_reload) {
    GPT2Config c = {16, 4, 2, 10, 23, 1e-5f, 22, 22};
    int tied = _i == 0;
    GPT2 m;
    Error err;
    ck_assert_msg(gpt2_init_random(&m, &c, tied, 1234, &err) == 0, "%s", err.msg);
    int ids[10] = {0, 22, 5, 5, 17, 3, 9, 1, 22, 11};
    float *before = logits_one_call(&m, ids, 10, 0);
    char dir[64];
    temp_dir_make(dir, sizeof dir, "check_forward");
    ck_assert_msg(gpt2_save(&m, dir, SAVE_F32, &err) == 0, "%s", err.msg);
    GPT2 back;
    ck_assert_msg(gpt2_load(&back, dir, 0, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(back.tied, tied);
    float *after = logits_one_call(&back, ids, 10, 0);
    assert_close(after, before, 10 * 23, 0.0);
    free(before);
    free(after);
    gpt2_free(&back);
    gpt2_free(&m);
    temp_dir_remove(dir);
}
END_TEST

/* ---- edge: a checkpoint whose F32 tensors are not 4-byte aligned in the
 * mapping (header length 8k+2) is still read correctly (copied, not used in
 * place), or refused with a message that says why. ---- */

static void write_misaligned_copy(const char *src_dir, const char *dst_dir) {
    char path[PATH_SIZE];
    char *text;
    size_t len;
    Error err;
    join(path, src_dir, "config.json");
    ck_assert_msg(read_file(path, &text, &len, &err) == 0, "%s", err.msg);
    join(path, dst_dir, "config.json");
    FILE *f = fopen(path, "wb");
    ck_assert(f && fwrite(text, 1, len, f) == len && fclose(f) == 0);
    free(text);
    join(path, src_dir, "model.safetensors");
    ck_assert_msg(read_file(path, &text, &len, &err) == 0, "%s", err.msg);
    unsigned long long n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | (unsigned char)text[i];
    unsigned long long n2 = n + 2;  /* two more spaces of header: JSON allows trailing white space */
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(n2 >> (8 * i));
    join(path, dst_dir, "model.safetensors");
    f = fopen(path, "wb");
    ck_assert(f);
    ck_assert(fwrite(len8, 1, 8, f) == 8 && fwrite(text + 8, 1, (size_t)n, f) == (size_t)n);
    ck_assert(fwrite("  ", 1, 2, f) == 2 && fwrite(text + 8 + n, 1, len - 8 - (size_t)n, f) == len - 8 - (size_t)n);
    ck_assert(fclose(f) == 0);
    free(text);
}

START_TEST(test_misaligned_f32) {
    const Fixture *f = &FIXTURES[0];
    ck_assert(f->dtype == SAVE_F32);
    Reference r;
    reference_load(&r, f->name);
    char src[PATH_SIZE], dir[64];
    join(src, DATA_DIR, f->name);
    temp_dir_make(dir, sizeof dir, "check_forward");
    write_misaligned_copy(src, dir);
    GPT2 m;
    Error err;
    if (gpt2_load(&m, dir, 0, &err) == 0) {
        float *got = logits_one_call(&m, r.ids, r.T, 0);
        assert_close(got, r.logits, (size_t)r.T * r.V, REF_TOL);
        free(got);
        gpt2_free(&m);
    } else {
        ck_assert_msg(strstr(err.msg, "align") != NULL, "misaligned file refused without saying why: %s", err.msg);
    }
    temp_dir_remove(dir);
    reference_free(&r);
}
END_TEST

/* forward_pass refuses what it cannot do, with a message, and changes nothing. */
START_TEST(test_forward_errors) {
    GPT2 m;
    load_fixture(&m, &FIXTURES[3], 0);
    int V = m.config.vocab_size, P = m.config.n_positions;
    RunOptions opt = {2, P, 0, 0};
    RunState s;
    Error err;
    ck_assert_msg(run_state_init(&s, &m, &opt, &err) == 0, "%s", err.msg);
    int bad_high[2] = {0, V}, bad_low[2] = {-1, 0}, ok[2] = {1, 2};
    err.msg[0] = '\0';
    ck_assert_int_eq(forward_pass(&m, &s, bad_high, 2, 0, NULL, &err), -1);
    ck_assert_msg(strstr(err.msg, "token id") != NULL, "message: %s", err.msg);
    ck_assert_int_eq(forward_pass(&m, &s, bad_low, 2, 0, NULL, &err), -1);
    ck_assert_int_eq(s.n_cached, 0);
    ck_assert_int_eq(forward_pass(&m, &s, ok, 3, 0, NULL, &err), -1);         /* T > max_tokens */
    ck_assert_int_eq(forward_pass(&m, &s, ok, 2, 1, NULL, &err), -1);         /* a gap after the cache */
    ck_assert_int_eq(forward_pass(&m, &s, ok, 1, P, NULL, &err), -1);         /* past n_ctx */
    ck_assert_int_eq(forward_pass(&m, &s, ok, 2, 0, NULL, &err), 0);
    ck_assert_int_eq(forward_pass(&m, &s, ok, 2, P - 1, NULL, &err), -1);     /* would end past n_ctx */
    ck_assert_int_eq(s.n_cached, 2);
    RunOptions too_long = {1, P + 1, 0, 0};
    RunState s2;
    ck_assert_int_eq(run_state_init(&s2, &m, &too_long, &err), -1);
    run_state_free(&s);
    gpt2_free(&m);
}
END_TEST

static Suite *forward_suite(void) {
    Suite *s = suite_create("forward");
    TCase *ref = tcase_create("reference");
    tcase_set_timeout(ref, 60);
    tcase_add_loop_test(ref, test_reference_logits, 0, N_FIXTURES);
    tcase_add_loop_test(ref, test_copy_load_identical, 0, N_FIXTURES);
    tcase_add_loop_test(ref, test_tied_flag, 0, N_FIXTURES);
    suite_add_tcase(s, ref);
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_loop_test(core, test_kv_cache_matches_one_call, 0, N_FIXTURES);
    tcase_add_loop_test(core, test_save_reload_identical, 0, N_FIXTURES);
    tcase_add_loop_test(core, test_init_save_reload, 0, 2);
    tcase_add_loop_test(core, test_half_checkpoint_kept_half, 0, N_FIXTURES);
    tcase_add_loop_test(core, test_f32_checkpoint_as_half, 0, 2);
    tcase_add_test(core, test_f16_overflow_refused);
    suite_add_tcase(s, core);
    TCase *edge = tcase_create("edge");
    tcase_add_test(edge, test_misaligned_f32);
    tcase_add_test(edge, test_forward_errors);
    suite_add_tcase(s, edge);
    return s;
}

int main(void) { return run_suite(forward_suite()); }
