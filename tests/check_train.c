/*
 * check_train.c - the backward pass, the optimizer and the training loop.
 *
 * Gradient checks compare every analytic gradient with a central finite
 * difference of the forward pass (argen's own float32 kernels):
 *
 *   numeric = (f(x + e) - f(x - e)) / ((x + e) - (x - e))
 *
 * where the denominator is the step actually taken after rounding x +- e to
 * float, and f sums the output weighted by fixed random numbers (in double).
 * Tolerance: |analytic - numeric| <= ATOL + RTOL * max(|analytic|, |numeric|)
 * with RTOL = 1e-2 and e = 1e-3 (truncation error of the central difference is
 * O(e^2) ~ 1e-6, negligible).  ATOL covers float32 rounding of f: f is a sum of
 * ~100 O(1) terms each rounded at ~6e-8 relative, so f carries ~1e-6 of noise,
 * which the division by 2e turns into ~5e-4; ATOL = 2e-3 is four times that.
 * Tensors are drawn with O(0.3-1) entries so that true gradients are well above
 * ATOL and a wrong formula (a missing term, a transposed index) fails by far.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/kernels.h"
#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"
#include "core/rng.h"
#include "testutil.h"
#include "train/train.h"

#define EPS 1e-3
#define RTOL 1e-2
#define ATOL 2e-3

typedef double (*Objective)(void *ctx);

/* Checks analytic[i] against a central difference of f in x[i], for i in idx[0..n_idx). */
static void check_grad_at(const char *what, Objective f, void *ctx, float *x, const float *analytic,
                          const size_t *idx, size_t n_idx, double atol) {
    double worst = 0;
    for (size_t k = 0; k < n_idx; k++) {
        size_t i = idx[k];
        float orig = x[i];
        float xp = (float)(orig + EPS), xm = (float)(orig - EPS);
        x[i] = xp;
        double fp = f(ctx);
        x[i] = xm;
        double fm = f(ctx);
        x[i] = orig;
        double num = (fp - fm) / ((double)xp - (double)xm);
        double a = analytic[i];
        double err = fabs(num - a) - RTOL * fmax(fabs(num), fabs(a));
        if (err > worst) worst = err;
        ck_assert_msg(err <= atol, "%s[%zu]: analytic %.6g, numeric %.6g (|diff| %.3g > %.3g + %.0e relative)",
                      what, i, a, num, fabs(num - a), atol, RTOL);
    }
}

static void check_grad(const char *what, Objective f, void *ctx, float *x, const float *analytic, size_t n) {
    size_t *idx = malloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    check_grad_at(what, f, ctx, x, analytic, idx, n, ATOL);
    free(idx);
}

static void fill(float *x, size_t n, Rng *r, float mean, float std) {
    for (size_t i = 0; i < n; i++) x[i] = mean + std * rng_normal(r);
}

/* sum_i r_i out_i in double: the scalar every kernel check differentiates */
static double weighted_sum(const float *out, const float *r, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)out[i] * r[i];
    return s;
}

/* ---- each backward kernel alone ---- */

enum { KT = 5, KC = 8, KH = 2, KV = 11, KO = 16 };   /* KO = 16: matmul_backward's tiled path (the model test covers the other) */

typedef struct {
    float x[KT * 4 * KC], w[4 * KC * 4 * KC], b[4 * KC], b2[4 * KC];
    float out[KT * KV * 4], r[KT * KV * 4], probs[KH * KT * KT], kc[KC * KT], vc[KC * KT];
    float mean[KT], rstd[KT];
    int tokens[KT], targets[KT];
} KernelCase;

static KernelCase *kernel_case(uint64_t seed) {
    KernelCase *k = calloc(1, sizeof *k);
    Rng r;
    rng_seed(&r, seed, 7);
    fill(k->x, sizeof k->x / sizeof(float), &r, 0, 1);
    fill(k->w, sizeof k->w / sizeof(float), &r, 0, 0.5f);
    fill(k->b, sizeof k->b / sizeof(float), &r, 0, 0.5f);
    fill(k->b2, sizeof k->b2 / sizeof(float), &r, 1, 0.3f);
    fill(k->r, sizeof k->r / sizeof(float), &r, 0, 1);
    for (int t = 0; t < KT; t++) { k->tokens[t] = (int)(rng_u32(&r) % KV); k->targets[t] = (int)(rng_u32(&r) % KV); }
    return k;
}

static double obj_crossentropy(void *ctx) {
    KernelCase *k = ctx;
    return crossentropy_forward_backward(NULL, k->x, k->targets, KT, KV, 1.0);
}

START_TEST(test_crossentropy_backward) {
    KernelCase *k = kernel_case(1);
    float d[KT * KV];
    crossentropy_forward_backward(d, k->x, k->targets, KT, KV, 1.0);
    check_grad("d_logits", obj_crossentropy, k, k->x, d, KT * KV);
    /* the loss itself, by hand for row 0 */
    double z = 0;
    for (int v = 0; v < KV; v++) z += exp(k->x[v]);
    double want0 = log(z) - k->x[k->targets[0]];
    double got0 = crossentropy_forward_backward(NULL, k->x, k->targets, 1, KV, 1.0);
    ck_assert_msg(fabs(got0 - want0) < 1e-6, "loss %.9g, want %.9g", got0, want0);
    free(k);
}
END_TEST

static double obj_matmul(void *ctx) {
    KernelCase *k = ctx;
    matmul(k->out, k->x, k->w, k->b, KT, KC, KO);
    return weighted_sum(k->out, k->r, KT * KO);
}

START_TEST(test_matmul_backward) {
    KernelCase *k = kernel_case(2);
    float dx[KT * KC] = {0}, dw[KC * KO] = {0}, db[KO] = {0};
    matmul_backward(dx, dw, db, k->r, k->x, k->w, KT, KC, KO);
    check_grad("dx", obj_matmul, k, k->x, dx, KT * KC);
    check_grad("dw", obj_matmul, k, k->w, dw, KC * KO);
    check_grad("dbias", obj_matmul, k, k->b, db, KO);
    free(k);
}
END_TEST

static double obj_matmul_transposed(void *ctx) {
    KernelCase *k = ctx;
    matmul_transposed(k->out, k->x, k->w, KT, KC, KV);
    return weighted_sum(k->out, k->r, KT * KV);
}

START_TEST(test_matmul_transposed_backward) {
    KernelCase *k = kernel_case(3);
    float dx[KT * KC] = {0}, dw[KV * KC] = {0};
    matmul_transposed_backward(dx, dw, k->r, k->x, k->w, KT, KC, KV);
    check_grad("dx", obj_matmul_transposed, k, k->x, dx, KT * KC);
    check_grad("dw", obj_matmul_transposed, k, k->w, dw, KV * KC);
    free(k);
}
END_TEST

static double obj_layernorm(void *ctx) {
    KernelCase *k = ctx;
    layernorm(k->out, k->mean, k->rstd, k->x, k->b2, k->b, KT, KC, 1e-5f);
    return weighted_sum(k->out, k->r, KT * KC);
}

START_TEST(test_layernorm_backward) {
    KernelCase *k = kernel_case(4);
    float dx[KT * KC] = {0}, dw[KC] = {0}, db[KC] = {0};
    obj_layernorm(k);   /* fills mean and rstd */
    layernorm_backward(dx, dw, db, k->r, k->x, k->mean, k->rstd, k->b2, KT, KC);
    check_grad("dx", obj_layernorm, k, k->x, dx, KT * KC);
    check_grad("dweight", obj_layernorm, k, k->b2, dw, KC);
    check_grad("dbias", obj_layernorm, k, k->b, db, KC);
    /* a layer norm's output ignores a shift of its input: each row of dx sums to 0 */
    for (int t = 0; t < KT; t++) {
        double s = 0;
        for (int c = 0; c < KC; c++) s += dx[t * KC + c];
        ck_assert_msg(fabs(s) < 1e-5, "row %d of dx sums to %g", t, s);
    }
    free(k);
}
END_TEST

static double obj_gelu(void *ctx) {
    KernelCase *k = ctx;
    gelu(k->out, k->x, KT * KC);
    return weighted_sum(k->out, k->r, KT * KC);
}

START_TEST(test_gelu_backward) {
    KernelCase *k = kernel_case(5);
    float dx[KT * KC] = {0};
    gelu_backward(dx, k->x, k->r, KT * KC);
    check_grad("dx", obj_gelu, k, k->x, dx, KT * KC);
    /* gelu'(0) = 1/2 exactly */
    float zero = 0, one = 1, d0 = 0;
    gelu_backward(&d0, &zero, &one, 1);
    ck_assert_msg(d0 == 0.5f, "gelu'(0) = %g", d0);
    free(k);
}
END_TEST

static double obj_residual(void *ctx) {
    KernelCase *k = ctx;
    residual_add(k->out, k->x, k->b, KC);
    return weighted_sum(k->out, k->r, KC);
}

START_TEST(test_residual_backward) {
    KernelCase *k = kernel_case(6);
    float da[KC] = {0}, db[KC] = {0};
    residual_backward(da, db, k->r, KC);
    check_grad("da", obj_residual, k, k->x, da, KC);
    check_grad("db", obj_residual, k, k->b, db, KC);
    free(k);
}
END_TEST

static double obj_attention(void *ctx) {
    KernelCase *k = ctx;
    attention(k->out, k->probs, k->kc, k->vc, k->x, KT, 0, KC, KH, KT);
    return weighted_sum(k->out, k->r, KT * KC);
}

START_TEST(test_attention_backward) {
    KernelCase *k = kernel_case(7);   /* x is qkv [T, 3C] */
    float dqkv[KT * 3 * KC] = {0}, row[KT];
    obj_attention(k);   /* fills probs */
    attention_backward(dqkv, row, k->r, k->x, k->probs, KT, KC, KH, KT);
    check_grad("d_qkv", obj_attention, k, k->x, dqkv, KT * 3 * KC);
    free(k);
}
END_TEST

static double obj_embed(void *ctx) {
    KernelCase *k = ctx;
    embed(k->out, k->tokens, matrix_f32(k->w), k->x, KT, 1, KC);   /* wte [V, C] in w, wpe [20, C] in x */
    return weighted_sum(k->out, k->r, KT * KC);
}

START_TEST(test_embed_backward) {
    KernelCase *k = kernel_case(8);
    float dwte[KV * KC] = {0}, dwpe[KT * 4 * KC] = {0};
    k->tokens[3] = k->tokens[1];   /* a repeated token sums both rows' gradients */
    embed_backward(dwte, dwpe, k->r, k->tokens, KT, 1, KC);
    check_grad("d_wte", obj_embed, k, k->w, dwte, KV * KC);
    check_grad("d_wpe", obj_embed, k, k->x, dwpe, KT * 4 * KC);   /* rows 1..5 get gradient, the rest 0 */
    free(k);
}
END_TEST

/* ---- the whole model ---- */

/* 2 layers, C = 8, H = 2, V = 11, T = 5, weights O(0.3) (larger than GPT-2's
 * 0.02 so that every path carries a gradient well above ATOL). */
static void tiny_model(GPT2 *m, int tied, uint64_t seed) {
    GPT2Config c = {.n_embd = 8, .n_head = 2, .n_layer = 2, .n_positions = 8, .vocab_size = 11,
                    .layer_norm_epsilon = 1e-5f, .bos_token_id = 0, .eos_token_id = 0};
    Error err;
    ck_assert_msg(gpt2_init_random(m, &c, tied, seed, &err) == 0, "%s", err.msg);
    Rng r;
    rng_seed(&r, seed, 3);
    for (int i = 0; i < m->n_params; i++) {
        Param *p = &m->params[i];
        int is_ln = strstr(p->name, "ln_") != NULL, is_weight = strstr(p->name, ".weight") != NULL;
        if (is_ln) fill(p->data, p->numel, &r, is_weight ? 1.0f : 0.0f, 0.3f);
        else fill(p->data, p->numel, &r, 0, p->ndim == 2 ? 0.4f : 0.2f);
    }
}

typedef struct {
    Trainer *tr;
    const int *tokens;
    int T;
} ModelCase;

static double obj_model(void *ctx) {
    ModelCase *mc = ctx;
    Error err;
    double loss = eval_loss(mc->tr, mc->tokens, mc->T, &err);
    ck_assert_msg(loss >= 0, "%s", err.msg);
    return loss;
}

static void check_model_gradients(int tied) {
    GPT2 m;
    tiny_model(&m, tied, 11 + tied);
    Trainer tr;
    Error err;
    ck_assert_msg(trainer_init(&tr, &m, 5, &err) == 0, "%s", err.msg);
    int tokens[6] = {3, 7, 1, 3, 10, 0};   /* T = 5 inputs, 5 targets; token 3 repeats */
    double loss;
    param_buffer_zero(&tr.grad);
    ck_assert_msg(train_step(&tr, tokens, 5, 1.0, &loss, &err) == 0, "%s", err.msg);
    ck_assert(loss > 0);
    ModelCase mc = {&tr, tokens, 5};
    /* every tensor: its largest gradient and 8 random entries */
    Rng r;
    rng_seed(&r, 5, 5);
    Param *table = calloc((size_t)m.n_params, sizeof *table);
    GPT2Weights gw;
    gw.h = calloc((size_t)m.config.n_layer, sizeof *gw.h);
    gpt2_param_layout(&m.config, m.tied, tr.grad.data, &gw, table);
    for (int i = 0; i < m.n_params; i++) {
        Param *p = &m.params[i];
        const float *g = table[i].data;
        size_t idx[9], biggest = 0;
        for (size_t j = 0; j < p->numel; j++) if (fabsf(g[j]) > fabsf(g[biggest])) biggest = j;
        idx[0] = biggest;
        for (int k = 1; k < 9; k++) idx[k] = rng_u32(&r) % p->numel;
        ck_assert_msg(fabsf(g[biggest]) > 10 * ATOL, "%s: largest gradient %g is too small to test",
                      p->name, (double)g[biggest]);
        check_grad_at(p->name, obj_model, &mc, p->data, g, idx, 9, ATOL);
    }
    free(gw.h);
    free(table);
    trainer_free(&tr);
    gpt2_free(&m);
}

START_TEST(test_model_gradients_tied) { check_model_gradients(1); }
END_TEST

START_TEST(test_model_gradients_untied) { check_model_gradients(0); }
END_TEST

/* grad_scale scales the gradient linearly and batches add up */
START_TEST(test_gradient_accumulates) {
    GPT2 m;
    tiny_model(&m, 1, 21);
    Trainer tr;
    Error err;
    ck_assert_msg(trainer_init(&tr, &m, 5, &err) == 0, "%s", err.msg);
    int tokens[6] = {1, 2, 3, 4, 5, 6};
    double loss;
    param_buffer_zero(&tr.grad);
    ck_assert(train_step(&tr, tokens, 5, 1.0, &loss, &err) == 0);
    float *once = malloc(tr.grad.n_floats * sizeof *once);
    memcpy(once, tr.grad.data, tr.grad.n_floats * sizeof *once);
    param_buffer_zero(&tr.grad);
    ck_assert(train_step(&tr, tokens, 5, 0.5, &loss, &err) == 0);
    ck_assert(train_step(&tr, tokens, 5, 0.5, &loss, &err) == 0);
    assert_close(tr.grad.data, once, tr.grad.n_floats, 1e-6);
    int bad[6] = {1, 2, 11, 4, 5, 6};
    ck_assert(train_step(&tr, bad, 5, 1.0, &loss, &err) == -1);
    ck_assert_msg(strstr(err.msg, "token id 11") != NULL, "%s", err.msg);
    free(once);
    trainer_free(&tr);
    gpt2_free(&m);
}
END_TEST

/* ---- optimizer, schedule, clipping: hand-computed ---- */

START_TEST(test_lr_schedule) {
    /* warmup 4 to 1.0, cosine to 0.1 at step 14 */
    ck_assert_msg(fabs(lr_schedule(0, 14, 4, 1.0, 0.1) - 0.25) < 1e-12, "step 0");
    ck_assert_msg(fabs(lr_schedule(3, 14, 4, 1.0, 0.1) - 1.0) < 1e-12, "step 3");
    ck_assert_msg(fabs(lr_schedule(4, 14, 4, 1.0, 0.1) - 1.0) < 1e-12, "step 4: cosine starts at the peak");
    ck_assert_msg(fabs(lr_schedule(9, 14, 4, 1.0, 0.1) - 0.55) < 1e-12, "half way: (1 + 0.1) / 2");
    ck_assert_msg(fabs(lr_schedule(14, 14, 4, 1.0, 0.1) - 0.1) < 1e-12, "the end");
    ck_assert_msg(fabs(lr_schedule(5, 10, 0, 2.0, 0.0) - 1.0) < 1e-12, "no warmup, half way");
}
END_TEST

START_TEST(test_clip_grad_norm) {
    GPT2 m;
    tiny_model(&m, 1, 1);
    ParamBuffer g;
    Error err;
    ck_assert(param_buffer_init(&g, &m, &err) == 0);
    g.data[0] = 3;
    g.data[g.n_floats - 1] = 4;   /* norm 5 */
    ck_assert(fabs(clip_grad_norm(&g, 10) - 5) < 1e-12);
    ck_assert(g.data[0] == 3.0f);
    ck_assert(fabs(clip_grad_norm(&g, 1) - 5) < 1e-12);
    ck_assert_msg(fabsf(g.data[0] - 0.6f) < 1e-7f && fabsf(g.data[g.n_floats - 1] - 0.8f) < 1e-7f, "%g %g",
                  (double)g.data[0], (double)g.data[g.n_floats - 1]);
    param_buffer_free(&g);
    gpt2_free(&m);
}
END_TEST

/* The first AdamW step moves each weight by lr * (sign(g) + decay * w):
 * m_hat = g and v_hat = g^2 after bias correction.  Layer norms and biases
 * are not decayed. */
START_TEST(test_adamw_first_step) {
    GPT2 m;
    tiny_model(&m, 1, 2);
    AdamW opt;
    ParamBuffer g;
    Error err;
    ck_assert(adamw_init(&opt, &m, &err) == 0 && param_buffer_init(&g, &m, &err) == 0);
    float *before = malloc(m.n_floats * sizeof *before);
    memcpy(before, m.owned, m.n_floats * sizeof *before);
    for (size_t i = 0; i < g.n_floats; i++) g.data[i] = (i % 3 == 0) ? 0.5f : -2.0f;
    AdamWConfig cfg = {0.9, 0.95, 1e-8, 0.1};
    adamw_update(&opt, &m, &g, &cfg, 0.01);
    ck_assert_int_eq(opt.step, 1);
    for (int i = 0; i < m.n_params; i++) {
        const Param *p = &m.params[i];
        size_t off = (size_t)(p->data - m.owned);
        for (size_t j = 0; j < p->numel; j++) {
            double w0 = before[off + j], s = g.data[off + j] > 0 ? 1 : -1;
            double want = w0 - 0.01 * (s + (p->ndim == 2 ? 0.1 * w0 : 0));
            ck_assert_msg(fabs(p->data[j] - want) < 1e-6, "%s[%zu]: %.9g, want %.9g", p->name, j,
                          (double)p->data[j], want);
        }
    }
    free(before);
    param_buffer_free(&g);
    adamw_free(&opt);
    gpt2_free(&m);
}
END_TEST

/* ---- training ---- */

static void small_model(GPT2 *m, int positions, uint64_t seed) {
    GPT2Config c = {.n_embd = 16, .n_head = 2, .n_layer = 2, .n_positions = positions, .vocab_size = 11,
                    .layer_norm_epsilon = 1e-5f, .bos_token_id = 0, .eos_token_id = 0};
    Error err;
    ck_assert_msg(gpt2_init_random(m, &c, 1, seed, &err) == 0, "%s", err.msg);
}

/* A period-5 sequence is fully predictable after its first token: the loss
 * must fall from about ln 11 = 2.4 to a small fraction of it. */
START_TEST(test_training_lowers_loss) {
    GPT2 m;
    small_model(&m, 16, 3);
    Trainer tr;
    AdamW opt;
    Error err;
    ck_assert(trainer_init(&tr, &m, 8, &err) == 0 && adamw_init(&opt, &m, &err) == 0);
    int tokens[40];
    for (int i = 0; i < 40; i++) tokens[i] = (int[]){2, 7, 1, 8, 4}[i % 5];
    AdamWConfig cfg = {0.9, 0.95, 1e-8, 0.0};
    double first = eval_loss(&tr, tokens, 8, &err), loss = 0;
    for (int step = 0; step < 150; step++) {
        param_buffer_zero(&tr.grad);
        for (int b = 0; b < 2; b++) ck_assert(train_step(&tr, tokens + (step + 3 * b) % 30, 8, 0.5, &loss, &err) == 0);
        clip_grad_norm(&tr.grad, 1.0);
        adamw_update(&opt, &m, &tr.grad, &cfg, 1e-2);
    }
    double last = eval_loss(&tr, tokens + 1, 8, &err);
    ck_assert_msg(first > 2.0 && last < 0.1 * first, "loss %.4f -> %.4f", first, last);
    adamw_free(&opt);
    trainer_free(&tr);
    gpt2_free(&m);
}
END_TEST

static char tmp_root[256];

static void make_tmp_root(void) {
    snprintf(tmp_root, sizeof tmp_root, "/tmp/argen_check_train_XXXXXX");
    ck_assert(mkdtemp(tmp_root) != NULL);
}

static void rm_rf(const char *path) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    ck_assert(system(cmd) == 0);
}

/* Entries of dir named like base's scratch folders (base.tmp.*, base.old.*). */
static int count_scratch(const char *dir, const char *base) {
    char tmp[300], old[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.", base);
    snprintf(old, sizeof old, "%s.old.", base);
    DIR *d = opendir(dir);
    ck_assert(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, tmp, strlen(tmp)) == 0 || strncmp(e->d_name, old, strlen(old)) == 0;
    closedir(d);
    return n;
}

/* dir/name holding text (dir made first when missing). */
static void write_text(const char *dir, const char *name, const char *text) {
    char path[600];
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs(text, f);
    fclose(f);
}

static int file_is(const char *dir, const char *name, const char *text) {
    char path[600], *data;
    size_t len;
    Error err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (read_file(path, &data, &len, &err) != 0) return 0;
    int same = len == strlen(text) && memcmp(data, text, len) == 0;
    free(data);
    return same;
}

START_TEST(test_save_load_same_logits) {
    make_tmp_root();
    GPT2 m, back;
    small_model(&m, 16, 4);
    Error err;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/model", tmp_root);
    ck_assert_msg(gpt2_save(&m, dir, SAVE_F32, &err) == 0, "%s", err.msg);
    int tokens[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    for (int copy = 0; copy <= 1; copy++) {
        ck_assert_msg(gpt2_load(&back, dir, copy, &err) == 0, "%s", err.msg);
        RunOptions o = {.max_tokens = 9, .n_ctx = 9, .keep_layers = 0, .all_logits = 1};
        RunState s1, s2;
        ck_assert(run_state_init(&s1, &m, &o, &err) == 0 && run_state_init(&s2, &back, &o, &err) == 0);
        ck_assert(forward_pass(&m, &s1, tokens, 9, 0, NULL, &err) == 0);
        ck_assert(forward_pass(&back, &s2, tokens, 9, 0, NULL, &err) == 0);
        logits_all(&m, &s1);
        logits_all(&back, &s2);
        ck_assert_msg(memcmp(s1.logits, s2.logits, 9 * 11 * sizeof(float)) == 0, "logits differ (copy=%d)", copy);
        run_state_free(&s1);
        run_state_free(&s2);
        gpt2_free(&back);
    }
    gpt2_free(&m);
    rm_rf(tmp_root);
}
END_TEST

/* A noisy repetitive corpus of n tokens. */
static int *corpus(size_t n) {
    int *t = malloc(n * sizeof *t);
    Rng r;
    rng_seed(&r, 9, 9);
    for (size_t i = 0; i < n; i++) t[i] = rng_uniform(&r) < 0.1f ? (int)(rng_u32(&r) % 11) : (int)(i % 7);
    return t;
}

static TrainConfig resume_config(void) {
    TrainConfig c;
    train_config_default(&c);
    c.steps = 12;
    c.batch = 2;
    c.seq = 6;
    c.lr = 5e-3;
    c.lr_min = 5e-4;
    c.warmup = 3;
    c.val_fraction = 0.2;
    c.eval_every = 3;
    c.checkpoint_every = 4;
    c.eval_windows = 4;
    c.seed = 77;
    return c;
}

typedef struct {
    long stop_at;
    volatile sig_atomic_t flag;
} StopAt;

/* Raises the stop flag the way SIGINT does, from inside the loop. */
static void stop_at(void *ctx, const TrainProgress *p) {
    StopAt *s = ctx;
    if (p->step == s->stop_at) s->flag = 1;
}

/* The log without its tokens/s column, which depends on the clock. */
static char *log_without_speed(const char *dir) {
    char path[600], *text;
    size_t len;
    Error err;
    snprintf(path, sizeof path, "%s/train_log.tsv", dir);
    ck_assert_msg(read_file(path, &text, &len, &err) == 0, "%s", err.msg);
    char *out = malloc(len + 1), *o = out;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n'), *tab = line;
        for (int k = 0; k < 4 && tab; k++) tab = strchr(tab + 1, '\t');
        size_t keep = tab && tab < nl ? (size_t)(tab - line) : (size_t)(nl - line);
        memcpy(o, line, keep);
        o += keep;
        *o++ = '\n';
        line = nl + 1;
    }
    *o = '\0';
    free(text);
    return out;
}

START_TEST(test_resume_bit_identical) {
    make_tmp_root();
    TrainConfig cfg = resume_config();
    size_t n = 400;
    int *tokens = corpus(n);
    Error err;
    char a_dir[512], b_dir[512], from[600];
    snprintf(a_dir, sizeof a_dir, "%s/a", tmp_root);
    snprintf(b_dir, sizeof b_dir, "%s/b", tmp_root);

    /* A: 12 steps in one go */
    GPT2 a;
    small_model(&a, 8, 5);
    long done;
    ck_assert_msg(train_run(&a, tokens, n, &cfg, a_dir, NULL, NULL, NULL, &done, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(done, 12);

    /* B: stopped after step 5 (checkpoint at 4 and at the stop), then resumed from disk */
    GPT2 b;
    small_model(&b, 8, 5);
    StopAt s = {5, 0};
    TrainHooks hooks = {stop_at, &s, &s.flag};
    ck_assert_msg(train_run(&b, tokens, n, &cfg, b_dir, NULL, NULL, &hooks, &done, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(done, 6);   /* the flag raised after step 5 is seen after step 6 */
    gpt2_free(&b);
    ck_assert_msg(checkpoint_find(from, sizeof from, b_dir, &err) == 0, "%s", err.msg);
    ck_assert_msg(gpt2_load(&b, from, 1, &err) == 0, "%s", err.msg);
    ck_assert_msg(train_run(&b, tokens, n, &cfg, b_dir, NULL, from, NULL, &done, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(done, 12);

    ck_assert_msg(memcmp(a.owned, b.owned, a.n_floats * sizeof(float)) == 0, "weights differ after resuming");
    GPT2 a_disk;
    ck_assert(gpt2_load(&a_disk, a_dir, 1, &err) == 0);
    ck_assert_msg(memcmp(a.owned, a_disk.owned, a.n_floats * sizeof(float)) == 0, "checkpoint differs from memory");
    char *log_a = log_without_speed(a_dir), *log_b = log_without_speed(b_dir);
    ck_assert_msg(strcmp(log_a, log_b) == 0, "logs differ:\n%s\n---\n%s", log_a, log_b);
    ck_assert_msg(strstr(log_a, "\n12\t") != NULL, "log has no step 12:\n%s", log_a);

    free(log_a);
    free(log_b);
    gpt2_free(&a);
    gpt2_free(&a_disk);
    gpt2_free(&b);
    free(tokens);
    rm_rf(tmp_root);
}
END_TEST

/* A checkpoint that fails half way (here: the tokenizer folder has no
 * merges.txt) leaves the previous checkpoint exactly as it was. */
START_TEST(test_failed_checkpoint_keeps_old) {
    make_tmp_root();
    TrainConfig cfg = resume_config();
    cfg.steps = 2;
    size_t n = 400;
    int *tokens = corpus(n);
    Error err;
    char out[512], tok[512], path[600];
    snprintf(out, sizeof out, "%s/out", tmp_root);
    snprintf(tok, sizeof tok, "%s/tok", tmp_root);
    ck_assert(mkdir(tok, 0777) == 0);
    snprintf(path, sizeof path, "%s/vocab.json", tok);
    FILE *f = fopen(path, "w");
    fputs("{}", f);
    fclose(f);
    GPT2 m;
    small_model(&m, 8, 5);
    ck_assert(train_run(&m, tokens, n, &cfg, out, NULL, NULL, NULL, NULL, &err) == 0);
    char *before, *after;
    size_t len_before, len_after;
    snprintf(path, sizeof path, "%s/model.safetensors", out);
    ck_assert(read_file(path, &before, &len_before, &err) == 0);
    cfg.steps = 4;
    ck_assert(train_run(&m, tokens, n, &cfg, out, tok, NULL, NULL, NULL, &err) == -1);
    ck_assert_msg(strstr(err.msg, "merges.txt") && strstr(err.msg, "checkpoint not written"), "%s", err.msg);
    ck_assert(read_file(path, &after, &len_after, &err) == 0);
    ck_assert_msg(len_before == len_after && memcmp(before, after, len_after) == 0, "old checkpoint changed");
    ck_assert_msg(count_scratch(tmp_root, "out") == 0, "a scratch folder out.tmp.* or out.old.* left behind");
    free(before);
    free(after);
    gpt2_free(&m);
    free(tokens);
    rm_rf(tmp_root);
}
END_TEST

/* Folders next to --out called out.tmp and out.old (and one inside out
 * called .tmp, what a trailing slash made) belong to the user: checkpointing
 * twice leaves them and their files alone, leaves no scratch folder, and
 * keeps a file of out that a checkpoint does not write. */
START_TEST(test_checkpoint_touches_only_its_own) {
    make_tmp_root();
    TrainConfig cfg = resume_config();
    cfg.steps = 2;
    cfg.checkpoint_every = 1;
    size_t n = 400;
    int *tokens = corpus(n);
    Error err;
    char out[512], out_slash[520], tmp[520], old[520];
    snprintf(out, sizeof out, "%s/out", tmp_root);
    snprintf(out_slash, sizeof out_slash, "%s/", out);
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    snprintf(old, sizeof old, "%s.old", out);
    write_text(tmp, "notes.txt", "mine");
    write_text(old, "notes.txt", "mine too");
    write_text(out, "README", "about this run");
    GPT2 m;
    small_model(&m, 8, 5);
    ck_assert_msg(train_run(&m, tokens, n, &cfg, out_slash, NULL, NULL, NULL, NULL, &err) == 0, "%s", err.msg);
    cfg.steps = 4;
    ck_assert_msg(train_run(&m, tokens, n, &cfg, out, NULL, out, NULL, NULL, &err) == 0, "%s", err.msg);
    ck_assert_msg(file_is(tmp, "notes.txt", "mine") && file_is(old, "notes.txt", "mine too"),
                  "a folder next to --out was changed");
    ck_assert_msg(file_is(out, "README", "about this run"), "out/README lost");
    ck_assert_int_eq(count_scratch(tmp_root, "out"), 0);
    GPT2 back;
    ck_assert_msg(gpt2_load(&back, out, 1, &err) == 0, "%s", err.msg);
    ck_assert(memcmp(back.owned, m.owned, m.n_floats * sizeof(float)) == 0);
    gpt2_free(&back);
    gpt2_free(&m);
    free(tokens);
    rm_rf(tmp_root);
}
END_TEST

/* A crash between a save's two renames leaves DIR absent and the previous
 * checkpoint in DIR.old.PID.N: checkpoint_find resumes from it; with two such
 * backups it names both instead of choosing. */
START_TEST(test_checkpoint_find_backup) {
    make_tmp_root();
    TrainConfig cfg = resume_config();
    cfg.steps = 1;
    size_t n = 400;
    int *tokens = corpus(n);
    Error err;
    char out[512], b1[530], b2[530], found[600];
    snprintf(out, sizeof out, "%s/ck", tmp_root);
    snprintf(b1, sizeof b1, "%s.old.123.0", out);
    snprintf(b2, sizeof b2, "%s.old.456.0", out);
    GPT2 m;
    small_model(&m, 8, 5);
    ck_assert_msg(train_run(&m, tokens, n, &cfg, out, NULL, NULL, NULL, NULL, &err) == 0, "%s", err.msg);
    ck_assert(rename(out, b1) == 0);
    ck_assert_msg(checkpoint_find(found, sizeof found, out, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(found, b1);
    ck_assert_msg(train_run(&m, tokens, n, &cfg, out, NULL, NULL, NULL, NULL, &err) == 0, "%s", err.msg);
    ck_assert(rename(out, b2) == 0);
    ck_assert(checkpoint_find(found, sizeof found, out, &err) == -1);
    ck_assert_msg(strstr(err.msg, "ck.old.123.0") && strstr(err.msg, "ck.old.456.0"), "%s", err.msg);
    gpt2_free(&m);
    free(tokens);
    rm_rf(tmp_root);
}
END_TEST

/* The options a checkpoint records, compared on resume: each change named. */
START_TEST(test_resume_changes) {
    make_tmp_root();
    TrainConfig cfg = resume_config();
    cfg.steps = 1;
    size_t n = 400;
    int *tokens = corpus(n);
    Error err;
    char out[512], changes[512];
    snprintf(out, sizeof out, "%s/ck", tmp_root);
    GPT2 m;
    small_model(&m, 8, 5);
    ck_assert_msg(train_run(&m, tokens, n, &cfg, out, NULL, NULL, NULL, NULL, &err) == 0, "%s", err.msg);
    ck_assert_msg(train_resume_changes(out, &cfg, tokens, n, changes, sizeof changes, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(changes, "");
    TrainConfig other = cfg;
    other.batch = 3;
    other.lr = 2e-3;
    ck_assert(train_resume_changes(out, &other, tokens, n, changes, sizeof changes, &err) == 0);
    ck_assert_str_eq(changes, "--batch 2 (now 3), --lr 0.005 (now 0.002)");
    tokens[7] = (tokens[7] + 1) % 11;   /* the same length, one id different */
    ck_assert(train_resume_changes(out, &cfg, tokens, n, changes, sizeof changes, &err) == 0);
    ck_assert_msg(strncmp(changes, "data ids (FNV-1a) ", 18) == 0, "%s", changes);
    ck_assert(train_resume_changes(out, &cfg, tokens, n - 1, changes, sizeof changes, &err) == 0);
    ck_assert_msg(strncmp(changes, "data tokens 400 (now 399)", 25) == 0, "%s", changes);
    gpt2_free(&m);
    free(tokens);
    rm_rf(tmp_root);
}
END_TEST

/* A NaN weight makes the loss NaN: training stops at step 1 with an error
 * naming it, before the update, and writes no checkpoint. */
START_TEST(test_nonfinite_loss_stops) {
    make_tmp_root();
    TrainConfig cfg = resume_config();
    size_t n = 400;
    int *tokens = corpus(n);
    Error err;
    char out[512];
    snprintf(out, sizeof out, "%s/ck", tmp_root);
    GPT2 m;
    small_model(&m, 8, 5);
    m.w.ln_f_bias[0] = NAN;
    float *before = malloc(m.n_floats * sizeof(float));
    memcpy(before, m.owned, m.n_floats * sizeof(float));
    long done = -1;
    ck_assert(train_run(&m, tokens, n, &cfg, out, NULL, NULL, NULL, &done, &err) == -1);
    ck_assert_msg(strstr(err.msg, "step 1: non-finite training loss nan") != NULL, "%s", err.msg);
    ck_assert_int_eq(done, 0);
    ck_assert_msg(memcmp(before, m.owned, m.n_floats * sizeof(float)) == 0, "weights updated");
    ck_assert_msg(access(out, F_OK) != 0, "a checkpoint was written");
    ck_assert_int_eq(count_scratch(tmp_root, "ck"), 0);
    free(before);
    gpt2_free(&m);
    free(tokens);
    rm_rf(tmp_root);
}
END_TEST

START_TEST(test_bad_training_input) {
    GPT2 m;
    small_model(&m, 8, 5);
    TrainConfig cfg = resume_config();
    Error err;
    int tokens[6] = {0};   /* 5 for training, 1 held out */
    ck_assert(train_run(&m, tokens, 6, &cfg, "/nonexistent/x", NULL, NULL, NULL, NULL, &err) == -1);
    ck_assert_msg(strstr(err.msg, "training tokens: need at least seq + 1 = 7") != NULL, "%s", err.msg);
    cfg.seq = 9;   /* > n_positions */
    int many[100] = {0};
    ck_assert(train_run(&m, many, 100, &cfg, "/nonexistent/x", NULL, NULL, NULL, NULL, &err) == -1);
    ck_assert_msg(strstr(err.msg, "out of range [1, 8]") != NULL, "%s", err.msg);
    ck_assert(checkpoint_find(err.msg, 10, "/nonexistent/x", &err) == -1);
    ck_assert_msg(strstr(err.msg, "no checkpoint") != NULL, "%s", err.msg);
    gpt2_free(&m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("train");
    TCase *kernels = tcase_create("backward_kernels");
    tcase_add_test(kernels, test_crossentropy_backward);
    tcase_add_test(kernels, test_matmul_backward);
    tcase_add_test(kernels, test_matmul_transposed_backward);
    tcase_add_test(kernels, test_layernorm_backward);
    tcase_add_test(kernels, test_gelu_backward);
    tcase_add_test(kernels, test_residual_backward);
    tcase_add_test(kernels, test_attention_backward);
    tcase_add_test(kernels, test_embed_backward);
    suite_add_tcase(s, kernels);
    TCase *model = tcase_create("model_gradients");
    tcase_add_test(model, test_model_gradients_tied);
    tcase_add_test(model, test_model_gradients_untied);
    tcase_add_test(model, test_gradient_accumulates);
    suite_add_tcase(s, model);
    TCase *opt = tcase_create("optimizer");
    tcase_add_test(opt, test_lr_schedule);
    tcase_add_test(opt, test_clip_grad_norm);
    tcase_add_test(opt, test_adamw_first_step);
    suite_add_tcase(s, opt);
    TCase *loop = tcase_create("training");
    tcase_set_timeout(loop, 30);
    tcase_add_test(loop, test_training_lowers_loss);
    tcase_add_test(loop, test_save_load_same_logits);
    tcase_add_test(loop, test_resume_bit_identical);
    tcase_add_test(loop, test_failed_checkpoint_keeps_old);
    tcase_add_test(loop, test_checkpoint_touches_only_its_own);
    tcase_add_test(loop, test_checkpoint_find_backup);
    tcase_add_test(loop, test_resume_changes);
    tcase_add_test(loop, test_nonfinite_loss_stops);
    tcase_add_test(loop, test_bad_training_input);
    suite_add_tcase(s, loop);
    return run_suite(s);
}
