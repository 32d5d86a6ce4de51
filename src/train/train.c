/*
 * train.c - see train.h.  Sections in data-flow order: the backward kernels,
 * parameter buffers, the trainer (forward + backward of one sequence), the
 * optimizer and schedule, checkpoints, and the training loop.
 */
#define _POSIX_C_SOURCE 200809L
#include "train/train.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "formats/json.h"
#include "core/kernels.h"
#include "formats/safetensors.h"

/* ====================================================================== */
/* Backward kernels                                                        */
/* ====================================================================== */

double crossentropy_forward_backward(float *d_logits, const float *logits, const int *targets,
                                     int T, int V, double scale) {
    double total = 0;
    for (int t = 0; t < T; t++) {
        const float *row = logits + (size_t)t * V;
        int y = targets[t];
        if (d_logits) {
            /* d loss_t / d logits = softmax - onehot; the 1/T is the mean's */
            float *d = d_logits + (size_t)t * V;
            double log_z = softmax(d, row, V, NULL);
            total += log_z - row[y];
            float k = (float)(scale / T);
            for (int v = 0; v < V; v++) d[v] *= k;
            d[y] -= k;
        } else {
            /* the loss alone: log Z without the probabilities, no scratch needed */
            total += softmax(NULL, row, V, NULL) - row[y];
        }
    }
    return total / T;
}

void matmul_transposed_backward(float *dx, float *dw, const float *d_out, const float *x,
                                const float *w, int T, int C, int V) {
    /* dx[t] = sum_v d[t,v] w[v]: rows of w are contiguous, accumulate them */
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const float *d = d_out + (size_t)t * V;
        float *dxt = dx + (size_t)t * C;
        for (int v = 0; v < V; v++) {
            float g = d[v];
            const float *wv = w + (size_t)v * C;
            for (int c = 0; c < C; c++) dxt[c] += g * wv[c];
        }
    }
    /* dw[v] = sum_t d[t,v] x[t]: one dw row stays in cache while x streams */
#pragma omp parallel for schedule(static)
    for (int v = 0; v < V; v++) {
        float *dwv = dw + (size_t)v * C;
        for (int t = 0; t < T; t++) {
            float g = d_out[(size_t)t * V + v];
            const float *xt = x + (size_t)t * C;
            for (int c = 0; c < C; c++) dwv[c] += g * xt[c];
        }
    }
}

/* dw[i0..i0+4)[o0..o0+16) += sum_t x[t, i] d_out[t, o]: one tile of the
 * weight gradient kept in registers while t runs. */
#define DW_TILE_I 4
#define DW_TILE_O 16
static void dw_tile(float *restrict dw, const float *restrict d_out, const float *restrict x, int T, int in,
                    int out_dim, int i0, int o0) {
    float a0[DW_TILE_O], a1[DW_TILE_O], a2[DW_TILE_O], a3[DW_TILE_O];
    float *w0 = dw + (size_t)i0 * out_dim + o0, *w1 = w0 + out_dim, *w2 = w1 + out_dim, *w3 = w2 + out_dim;
    for (int o = 0; o < DW_TILE_O; o++) { a0[o] = w0[o]; a1[o] = w1[o]; a2[o] = w2[o]; a3[o] = w3[o]; }
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * in + i0;
        const float *d = d_out + (size_t)t * out_dim + o0;
        float x0 = xt[0], x1 = xt[1], x2 = xt[2], x3 = xt[3];
        for (int o = 0; o < DW_TILE_O; o++) {
            a0[o] += x0 * d[o];
            a1[o] += x1 * d[o];
            a2[o] += x2 * d[o];
            a3[o] += x3 * d[o];
        }
    }
    for (int o = 0; o < DW_TILE_O; o++) { w0[o] = a0[o]; w1[o] = a1[o]; w2[o] = a2[o]; w3[o] = a3[o]; }
}

void matmul_backward(float *dx, float *dw, float *dbias, const float *d_out, const float *x,
                     const float *w, int T, int in, int out_dim) {
    /* dx[t,i] = d_out[t] . w[i]  (w[i] is row i of [in, out]: contiguous) */
    if (dx) {
#pragma omp parallel for schedule(static)
        for (int t = 0; t < T; t++) {
            const float *d = d_out + (size_t)t * out_dim;
            float *dxt = dx + (size_t)t * in;
            for (int i = 0; i < in; i++) dxt[i] += dot(d, w + (size_t)i * out_dim, out_dim);
        }
    }
    /* dw[i] += x[t,i] * d_out[t]: in 4 x 16 tiles of dw held in registers
     * while t runs; each element still sums over t in order (same bits). */
#pragma omp parallel for schedule(static)
    for (int i0 = 0; i0 < in; i0 += DW_TILE_I) {
        if (in - i0 >= DW_TILE_I && out_dim % DW_TILE_O == 0)
            for (int o0 = 0; o0 < out_dim; o0 += DW_TILE_O) dw_tile(dw, d_out, x, T, in, out_dim, i0, o0);
        else
            for (int i = i0; i < in && i < i0 + DW_TILE_I; i++) {
                float *dwi = dw + (size_t)i * out_dim;
                for (int t = 0; t < T; t++) {
                    float xi = x[(size_t)t * in + i];
                    const float *d = d_out + (size_t)t * out_dim;
                    for (int o = 0; o < out_dim; o++) dwi[o] += xi * d[o];
                }
            }
    }
    if (dbias)
        for (int t = 0; t < T; t++) {
            const float *d = d_out + (size_t)t * out_dim;
            for (int o = 0; o < out_dim; o++) dbias[o] += d[o];
        }
}

void layernorm_backward(float *dx, float *dweight, float *dbias, const float *d_out,
                        const float *x, const float *mean, const float *rstd,
                        const float *weight, int T, int C) {
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * C;
        const float *d = d_out + (size_t)t * C;
        float *dxt = dx + (size_t)t * C;
        float mu = mean[t], rs = rstd[t];
        /* the two means of the formula, over the channels of this row */
        double mean_g = 0, mean_gn = 0;
        for (int c = 0; c < C; c++) {
            float n = (xt[c] - mu) * rs;
            float g = d[c] * weight[c];
            mean_g += g;
            mean_gn += (double)g * n;
        }
        mean_g /= C;
        mean_gn /= C;
        for (int c = 0; c < C; c++) {
            float n = (xt[c] - mu) * rs;
            float g = d[c] * weight[c];
            dbias[c] += d[c];
            dweight[c] += d[c] * n;
            dxt[c] += rs * (float)(g - mean_g - n * mean_gn);
        }
    }
}

void gelu_backward(float *dx, const float *x, const float *d_out, size_t n) {
    const float k = 0.7978845608028654f; /* sqrt(2/pi) */
    for (size_t i = 0; i < n; i++) {
        float u = x[i];
        float th = tanhf(k * (u + 0.044715f * u * u * u));
        float du = k * (1.0f + 3.0f * 0.044715f * u * u);
        float grad = 0.5f * (1.0f + th) + 0.5f * u * (1.0f - th * th) * du;
        dx[i] += grad * d_out[i];
    }
}

void residual_backward(float *da, float *db, const float *d_out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        da[i] += d_out[i];
        db[i] += d_out[i];
    }
}

void attention_backward(float *d_qkv, float *d_row, const float *d_out, const float *qkv,
                        const float *probs, int T, int C, int H, int n_ctx) {
    int hs = C / H;
    size_t row3 = (size_t)3 * C;   /* stride of qkv and d_qkv */
    float scale = 1.0f / sqrtf((float)hs);
    for (int h = 0; h < H; h++) {
        for (int t = 0; t < T; t++) {
            const float *p = probs + ((size_t)h * T + t) * n_ctx;
            const float *dout = d_out + (size_t)t * C + (size_t)h * hs;
            const float *q = qkv + t * row3 + (size_t)h * hs;
            float *dq = d_qkv + t * row3 + (size_t)h * hs;
            /* out[t] = sum_s p[s] v[s]: gradients of p and of v */
            double p_dot_dp = 0;
            for (int s = 0; s <= t; s++) {
                const float *v = qkv + s * row3 + 2 * (size_t)C + (size_t)h * hs;
                float *dv = d_qkv + s * row3 + 2 * (size_t)C + (size_t)h * hs;
                d_row[s] = dot(dout, v, hs);
                p_dot_dp += (double)p[s] * d_row[s];
                for (int i = 0; i < hs; i++) dv[i] += p[s] * dout[i];
            }
            /* softmax backward, then scores = q.k * scale */
            for (int s = 0; s <= t; s++) {
                float ds = p[s] * (d_row[s] - (float)p_dot_dp) * scale;
                const float *k = qkv + s * row3 + (size_t)C + (size_t)h * hs;
                float *dk = d_qkv + s * row3 + (size_t)C + (size_t)h * hs;
                for (int i = 0; i < hs; i++) {
                    dq[i] += ds * k[i];
                    dk[i] += ds * q[i];
                }
            }
        }
    }
}

void embed_backward(float *d_wte, float *d_wpe, const float *d_out, const int *tokens,
                    int T, int pos, int C) {
    for (int t = 0; t < T; t++) {
        const float *d = d_out + (size_t)t * C;
        float *dt = d_wte + (size_t)tokens[t] * C;
        float *dp = d_wpe + (size_t)(pos + t) * C;
        for (int c = 0; c < C; c++) {
            dt[c] += d[c];
            dp[c] += d[c];
        }
    }
}

/* ====================================================================== */
/* Parameter buffers                                                       */
/* ====================================================================== */

int param_buffer_init(ParamBuffer *b, const GPT2 *m, Error *err) {
    memset(b, 0, sizeof *b);
    b->w.h = calloc((size_t)m->config.n_layer, sizeof *b->w.h);
    b->data = calloc(m->n_floats, sizeof *b->data);
    if (!b->w.h || !b->data) {
        param_buffer_free(b);
        return error_set(err, "out of memory for %zu parameter floats", m->n_floats);
    }
    b->n_floats = gpt2_param_layout(&m->config, m->tied, b->data, &b->w, NULL);
    if (m->tied) b->w.lm_head = b->w.wte;  /* the tied unembedding's gradient lands in wte's */
    return 0;
}

void param_buffer_zero(ParamBuffer *b) {
    memset(b->data, 0, b->n_floats * sizeof *b->data);
}

void param_buffer_free(ParamBuffer *b) {
    free(b->data);
    free(b->w.h);
    memset(b, 0, sizeof *b);
}

/* ====================================================================== */
/* The trainer: one sequence forward and backward                          */
/* ====================================================================== */

/* The optimizer and the gradient view index the weights as one array, so they
 * must be m->owned in gpt2_param_layout's order. */
static int check_contiguous(const GPT2 *m, Error *err) {
    const float *next = m->owned;
    if (!m->owned || m->n_params <= 0)
        return error_set(err, "training needs writable weights (load the model with copy=1)");
    for (int i = 0; i < m->n_params; i++) {
        if (m->params[i].data != next)
            return error_set(err, "%s: weights are not one buffer in canonical order (load with copy=1)",
                             m->params[i].name);
        next += m->params[i].numel;
    }
    if ((size_t)(next - m->owned) != m->n_floats)
        return error_set(err, "parameter table covers %zu floats, model has %zu",
                         (size_t)(next - m->owned), m->n_floats);
    return 0;
}

static int act_grads_init(ActGrads *a, const GPT2Config *c, int T, Error *err) {
    size_t t = (size_t)T, C = (size_t)c->n_embd, V = (size_t)c->vocab_size;
    float **slot[] = {&a->d_logits, &a->d_lnf, &a->d_stream, &a->d_block_in, &a->d_res1, &a->d_branch,
                      &a->d_ln, &a->d_att_out, &a->d_qkv, &a->d_fc_gelu, &a->d_fc, &a->d_row};
    size_t size[] = {t * V, t * C, t * C, t * C, t * C, t * C, t * C, t * C, t * 3 * C, t * 4 * C, t * 4 * C, t};
    size_t n = sizeof size / sizeof size[0], total = 0;
    for (size_t i = 0; i < n; i++) total += size[i];
    a->block = calloc(total, sizeof(float));
    if (!a->block) return error_set(err, "out of memory for %zu activation-gradient floats", total);
    float *p = a->block;
    for (size_t i = 0; i < n; i++) { *slot[i] = p; p += size[i]; }
    return 0;
}

int trainer_init(Trainer *tr, GPT2 *m, int T, Error *err) {
    memset(tr, 0, sizeof *tr);
    if (check_contiguous(m, err) != 0) return -1;
    if (T < 1 || T > m->config.n_positions)
        return error_set(err, "sequence length %d out of range [1, %d] (n_positions)", T, m->config.n_positions);
    tr->model = m;
    tr->T = T;
    RunOptions opt = {.max_tokens = T, .n_ctx = T, .keep_layers = 1, .all_logits = 1};
    if (run_state_init(&tr->state, m, &opt, err) != 0) return -1;
    if (param_buffer_init(&tr->grad, m, err) != 0 || act_grads_init(&tr->act, &m->config, T, err) != 0) {
        trainer_free(tr);
        return -1;
    }
    return 0;
}

void trainer_free(Trainer *tr) {
    if (tr->model) run_state_free(&tr->state);
    param_buffer_free(&tr->grad);
    free(tr->act.block);
    memset(tr, 0, sizeof *tr);
}

static void zero(float *x, size_t n) { memset(x, 0, n * sizeof *x); }

static int check_sequence(const Trainer *tr, const int *tokens, int T, Error *err) {
    if (T < 1 || T > tr->T) return error_set(err, "sequence of %d tokens, trainer holds 1..%d", T, tr->T);
    for (int t = 0; t <= T; t++)
        if (tokens[t] < 0 || tokens[t] >= tr->model->config.vocab_size)
            return error_set(err, "token id %d at %d out of range [0, %d)", tokens[t], t,
                             tr->model->config.vocab_size);
    return 0;
}

/* Forward pass over the inputs tokens[0..T), logits at every position. */
static int forward_all(Trainer *tr, const int *tokens, int T, Error *err) {
    if (forward_pass(tr->model, &tr->state, tokens, T, 0, NULL, err) != 0) return -1;
    logits_all(tr->model, &tr->state);
    return 0;
}

/* Block l backwards: d_stream holds dL/d res2 [T, C]; leaves dL/d x in d_block_in. */
static void block_backward(Trainer *tr, int l, const float *x, int T) {
    const GPT2 *m = tr->model;
    const GPT2Config *c = &m->config;
    int C = c->n_embd;
    size_t TC = (size_t)T * C;
    const LayerActs *a = run_layer(&tr->state, l);
    const LayerWeights *w = &m->w.h[l];
    LayerWeights *g = &tr->grad.w.h[l];
    ActGrads *d = &tr->act;

    /* res2 = res1 + mlp_proj */
    zero(d->d_res1, TC);
    zero(d->d_branch, TC);
    residual_backward(d->d_res1, d->d_branch, d->d_stream, TC);
    /* mlp_proj = fc_gelu @ mlp.c_proj          [T, 4C] <- [T, C] */
    zero(d->d_fc_gelu, 4 * TC);
    matmul_backward(d->d_fc_gelu, g->mlp_c_proj_weight.f32, g->mlp_c_proj_bias, d->d_branch, a->fc_gelu,
                    w->mlp_c_proj_weight.f32, T, 4 * C, C);
    /* fc_gelu = gelu(fc) */
    zero(d->d_fc, 4 * TC);
    gelu_backward(d->d_fc, a->fc, d->d_fc_gelu, 4 * TC);
    /* fc = ln2_out @ mlp.c_fc                  [T, C] <- [T, 4C] */
    zero(d->d_ln, TC);
    matmul_backward(d->d_ln, g->mlp_c_fc_weight.f32, g->mlp_c_fc_bias, d->d_fc, a->ln2_out,
                    w->mlp_c_fc_weight.f32, T, C, 4 * C);
    /* ln2_out = ln_2(res1): adds to the residual path's gradient */
    layernorm_backward(d->d_res1, g->ln_2_weight, g->ln_2_bias, d->d_ln, a->res1, a->ln2_mean,
                       a->ln2_rstd, w->ln_2_weight, T, C);
    /* res1 = x + attn_proj */
    zero(d->d_block_in, TC);
    zero(d->d_branch, TC);
    residual_backward(d->d_block_in, d->d_branch, d->d_res1, TC);
    /* attn_proj = att_out @ attn.c_proj        [T, C] <- [T, C] */
    zero(d->d_att_out, TC);
    matmul_backward(d->d_att_out, g->attn_c_proj_weight.f32, g->attn_c_proj_bias, d->d_branch, a->att_out,
                    w->attn_c_proj_weight.f32, T, C, C);
    /* att_out = attention(qkv)                 [T, 3C] <- [T, C] */
    zero(d->d_qkv, 3 * TC);
    attention_backward(d->d_qkv, d->d_row, d->d_att_out, a->qkv, a->att_probs, T, C, c->n_head,
                       tr->state.opt.n_ctx);
    /* qkv = ln1_out @ attn.c_attn             [T, C] <- [T, 3C] */
    zero(d->d_ln, TC);
    matmul_backward(d->d_ln, g->attn_c_attn_weight.f32, g->attn_c_attn_bias, d->d_qkv, a->ln1_out,
                    w->attn_c_attn_weight.f32, T, C, 3 * C);
    /* ln1_out = ln_1(x) */
    layernorm_backward(d->d_block_in, g->ln_1_weight, g->ln_1_bias, d->d_ln, x, a->ln1_mean, a->ln1_rstd,
                       w->ln_1_weight, T, C);
}

/* The whole backward pass from d_logits (already filled) to the embeddings. */
static void backward_pass(Trainer *tr, const int *tokens, int T) {
    const GPT2 *m = tr->model;
    const GPT2Config *c = &m->config;
    int C = c->n_embd, L = c->n_layer;
    size_t TC = (size_t)T * C;
    const RunState *s = &tr->state;
    ActGrads *d = &tr->act;
    ParamBuffer *g = &tr->grad;

    /* logits = lnf_out @ lm_head^T             [T, C] <- [T, V] */
    zero(d->d_lnf, TC);
    matmul_transposed_backward(d->d_lnf, g->w.lm_head.f32, d->d_logits, s->lnf_out, m->w.lm_head.f32, T, C,
                               c->vocab_size);
    /* lnf_out = ln_f(last block's res2) */
    const float *x_last = L > 0 ? run_layer(s, L - 1)->res2 : s->embed;
    zero(d->d_stream, TC);
    layernorm_backward(d->d_stream, g->w.ln_f_weight, g->w.ln_f_bias, d->d_lnf, x_last, s->lnf_mean,
                       s->lnf_rstd, m->w.ln_f_weight, T, C);
    for (int l = L - 1; l >= 0; l--) {
        const float *x = l > 0 ? run_layer(s, l - 1)->res2 : s->embed;
        block_backward(tr, l, x, T);
        float *tmp = d->d_stream;   /* this block's input is the previous block's output */
        d->d_stream = d->d_block_in;
        d->d_block_in = tmp;
    }
    /* embed = wte[tokens] + wpe[0..T) */
    embed_backward(g->w.wte.f32, g->w.wpe, d->d_stream, tokens, T, 0, C);
}

int train_step(Trainer *tr, const int *tokens, int T, double grad_scale, double *loss, Error *err) {
    if (check_sequence(tr, tokens, T, err) != 0 || forward_all(tr, tokens, T, err) != 0) return -1;
    *loss = crossentropy_forward_backward(tr->act.d_logits, tr->state.logits, tokens + 1, T,
                                          tr->model->config.vocab_size, grad_scale);
    backward_pass(tr, tokens, T);
    return 0;
}

double eval_loss(Trainer *tr, const int *tokens, int T, Error *err) {
    if (check_sequence(tr, tokens, T, err) != 0 || forward_all(tr, tokens, T, err) != 0) return -1.0;
    return crossentropy_forward_backward(NULL, tr->state.logits, tokens + 1, T,
                                         tr->model->config.vocab_size, 1.0);
}

/* ====================================================================== */
/* Optimizer, schedule, clipping                                           */
/* ====================================================================== */

int adamw_init(AdamW *opt, const GPT2 *m, Error *err) {
    memset(opt, 0, sizeof *opt);
    if (check_contiguous(m, err) != 0) return -1;
    if (param_buffer_init(&opt->m, m, err) != 0) return -1;
    if (param_buffer_init(&opt->v, m, err) != 0) { param_buffer_free(&opt->m); return -1; }
    return 0;
}

void adamw_free(AdamW *opt) {
    param_buffer_free(&opt->m);
    param_buffer_free(&opt->v);
}

void adamw_update(AdamW *opt, GPT2 *m, const ParamBuffer *grad, const AdamWConfig *cfg, double lr) {
    long t = opt->step + 1;
    float b1 = (float)cfg->beta1, b2 = (float)cfg->beta2, eps = (float)cfg->eps;
    float bc1 = (float)(1.0 - pow(cfg->beta1, (double)t));   /* bias corrections */
    float bc2 = (float)(1.0 - pow(cfg->beta2, (double)t));
    float lrf = (float)lr;
    for (int i = 0; i < m->n_params; i++) {
        const Param *p = &m->params[i];
        size_t off = (size_t)(p->data - m->owned);
        /* decoupled weight decay on matrices only: biases and layer norms keep their scale */
        float decay = p->ndim == 2 ? (float)cfg->weight_decay : 0.0f;
        float *w = p->data, *mom = opt->m.data + off, *vel = opt->v.data + off;
        const float *g = grad->data + off;
        for (size_t j = 0; j < p->numel; j++) {
            mom[j] = b1 * mom[j] + (1.0f - b1) * g[j];
            vel[j] = b2 * vel[j] + (1.0f - b2) * g[j] * g[j];
            float m_hat = mom[j] / bc1, v_hat = vel[j] / bc2;
            w[j] -= lrf * (m_hat / (sqrtf(v_hat) + eps) + decay * w[j]);
        }
    }
    opt->step = t;
}

double lr_schedule(long step, long total, long warmup, double lr_max, double lr_min) {
    if (step < warmup) return lr_max * (double)(step + 1) / (double)warmup;
    if (step >= total || total <= warmup) return lr_min;
    double progress = (double)(step - warmup) / (double)(total - warmup);   /* 0 -> 1 */
    return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + cos(3.14159265358979323846 * progress));
}

double clip_grad_norm(ParamBuffer *g, double max_norm) {
    double sum = 0;
    for (size_t i = 0; i < g->n_floats; i++) sum += (double)g->data[i] * g->data[i];
    double norm = sqrt(sum);
    if (max_norm > 0 && norm > max_norm) {
        float k = (float)(max_norm / norm);
        for (size_t i = 0; i < g->n_floats; i++) g->data[i] *= k;
    }
    return norm;
}

/* ====================================================================== */
/* Checkpoints                                                             */
/* ====================================================================== */

/* One row of train_log.tsv. */
typedef struct {
    long step;
    double lr, loss, val_loss, tokens_per_s;   /* val_loss NaN when not evaluated */
} LogRow;

typedef struct {
    LogRow *rows;
    size_t n, cap;
} TrainLog;

static int log_append(TrainLog *log, const LogRow *row, Error *err) {
    if (log->n == log->cap) {
        size_t cap = log->cap ? 2 * log->cap : 256;
        LogRow *rows = realloc(log->rows, cap * sizeof *rows);
        if (!rows) return error_set(err, "out of memory for the training log");
        log->rows = rows;
        log->cap = cap;
    }
    log->rows[log->n++] = *row;
    return 0;
}

static int log_write(const TrainLog *log, const char *path, Error *err) {
    AtomicFile af;
    if (atomic_open(&af, path, err) != 0) return -1;
    fprintf(af.f, "step\tlr\ttrain_loss\tval_loss\ttokens_per_s\n");
    for (size_t i = 0; i < log->n; i++) {
        const LogRow *r = &log->rows[i];
        fprintf(af.f, "%ld\t%.6g\t%.6f\t", r->step, r->lr, r->loss);
        if (isnan(r->val_loss)) fprintf(af.f, "nan");
        else fprintf(af.f, "%.6f", r->val_loss);
        fprintf(af.f, "\t%.1f\n", r->tokens_per_s);
    }
    return atomic_commit(&af, err);
}

/* Reads the rows of steps 1..last_step back (a resumed run continues the file). */
static int log_read(TrainLog *log, const char *path, long last_step, Error *err) {
    char *text;
    size_t len;
    if (read_file(path, &text, &len, err) != 0) return -1;
    char *line = strchr(text, '\n');   /* skip the header */
    while (line && *++line) {
        LogRow r;
        char *end;
        r.step = strtol(line, &end, 10);
        r.lr = strtod(end, &end);
        r.loss = strtod(end, &end);
        r.val_loss = strtod(end, &end);
        r.tokens_per_s = strtod(end, &end);
        if (end == line || (*end != '\n' && *end != '\0')) {
            free(text);
            return error_set(err, "%s: malformed line at step %ld", path, r.step);
        }
        if (r.step <= last_step && log_append(log, &r, err) != 0) { free(text); return -1; }
        line = strchr(line, '\n');
    }
    free(text);
    return 0;
}

/* float32 little-endian, whatever the host's byte order */
static void put_f32_le(FILE *f, const float *x, size_t n) {
    unsigned char buf[4096] = {0};
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        for (int b = 0; b < 4; b++) buf[k++] = (unsigned char)(u >> (8 * b));
        if (k == sizeof buf) { fwrite(buf, 1, k, f); k = 0; }
    }
    fwrite(buf, 1, k, f);
}

/* ---- the training options a checkpoint records ---- */

/* The options that decide which numbers a run computes, kept as __metadata__
 * strings of optimizer.safetensors so that a resumed run can compare them
 * with its own (train_resume_changes).  The data is recorded by its length
 * and an FNV-1a hash of its ids. */
enum { N_RECORDED = 12 };
static const char *const recorded_key[N_RECORDED] = {
    "seed", "batch", "seq", "steps", "lr", "lr_min", "warmup", "weight_decay", "clip", "val_fraction",
    "data_tokens", "data_fnv1a"};
static const char *const recorded_name[N_RECORDED] = {
    "--seed", "--batch", "--seq", "--steps", "--lr", "--lr-min", "--warmup", "--weight-decay", "--clip",
    "--val-fraction", "data tokens", "data ids (FNV-1a)"};

typedef struct {
    char value[N_RECORDED][32];   /* recorded_key[i]'s value, as written */
} RecordedOptions;

/* FNV-1a over the ids as little-endian int32, the bytes of --ids-file. */
static uint64_t ids_fnv1a(const int *tokens, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 4; b++) {
            h ^= ((uint32_t)tokens[i] >> (8 * b)) & 0xffu;
            h *= 0x100000001b3ULL;
        }
    return h;
}

/* The shortest of %.15g and %.17g that reads back as x: "0.001", not "0.0010000000000000000208". */
static void format_double(char *buf, size_t n, double x) {
    snprintf(buf, n, "%.15g", x);
    if (strtod(buf, NULL) != x) snprintf(buf, n, "%.17g", x);
}

static void recorded_options(RecordedOptions *r, const TrainConfig *cfg, const int *tokens, size_t n) {
    size_t k = sizeof r->value[0];
    snprintf(r->value[0], k, "%llu", (unsigned long long)cfg->seed);
    snprintf(r->value[1], k, "%d", cfg->batch);
    snprintf(r->value[2], k, "%d", cfg->seq);
    snprintf(r->value[3], k, "%ld", cfg->steps);
    format_double(r->value[4], k, cfg->lr);
    format_double(r->value[5], k, cfg->lr_min);
    snprintf(r->value[6], k, "%ld", cfg->warmup);
    format_double(r->value[7], k, cfg->weight_decay);
    format_double(r->value[8], k, cfg->clip);
    format_double(r->value[9], k, cfg->val_fraction);
    snprintf(r->value[10], k, "%zu", n);
    snprintf(r->value[11], k, "%016llx", (unsigned long long)ids_fnv1a(tokens, n));
}

/* optimizer.safetensors: tensors exp_avg and exp_avg_sq [n_floats] (AdamW's
 * m and v, in the weights' canonical order) and __metadata__ with the step,
 * the data sampler's PCG32 state and the recorded options, as decimal strings. */
static int optimizer_save(const char *path, const AdamW *opt, const Rng *rng, const RecordedOptions *rec,
                          Error *err) {
    size_t n = opt->m.n_floats, bytes = n * sizeof(float);
    char header[4096];
    size_t len = (size_t)snprintf(header, sizeof header,
        "{\"__metadata__\":{\"format\":\"argen-adamw\",\"step\":\"%ld\",\"rng_state\":\"%llu\",\"rng_inc\":\"%llu\"",
        opt->step, (unsigned long long)rng->state, (unsigned long long)rng->inc);
    for (int i = 0; i < N_RECORDED; i++)   /* at most ~60 bytes each: the header stays well under 4096 */
        len += (size_t)snprintf(header + len, sizeof header - len, ",\"%s\":\"%s\"", recorded_key[i], rec->value[i]);
    len += (size_t)snprintf(header + len, sizeof header - len,
        "},\"exp_avg\":{\"dtype\":\"F32\",\"shape\":[%zu],\"data_offsets\":[0,%zu]},"
        "\"exp_avg_sq\":{\"dtype\":\"F32\",\"shape\":[%zu],\"data_offsets\":[%zu,%zu]}}",
        n, bytes, n, bytes, 2 * bytes);
    while (len % 8 != 0) header[len++] = ' ';   /* the data section starts 8-aligned */
    AtomicFile af;
    if (atomic_open(&af, path, err) != 0) return -1;
    unsigned char n8[8];
    for (int b = 0; b < 8; b++) n8[b] = (unsigned char)((uint64_t)len >> (8 * b));
    fwrite(n8, 1, 8, af.f);
    fwrite(header, 1, len, af.f);
    put_f32_le(af.f, opt->m.data, n);
    put_f32_le(af.f, opt->v.data, n);
    return atomic_commit(&af, err);
}

static int meta_u64(const JsonValue *meta, const char *key, uint64_t *out, const char *path, Error *err) {
    const JsonValue *v = json_get(meta, key);
    char *end;
    if (!v || v->type != JSON_STRING || v->len == 0)
        return error_set(err, "%s: __metadata__ has no '%s'", path, key);
    errno = 0;
    unsigned long long x = strtoull(v->str, &end, 10);
    if (*end != '\0' || errno == ERANGE) return error_set(err, "%s: __metadata__ '%s' is not a number", path, key);
    *out = (uint64_t)x;
    return 0;
}

static int optimizer_load(const char *path, AdamW *opt, Rng *rng, Error *err) {
    char *file;
    size_t len;
    SafeTensors st = {0};
    JsonValue root = {0};
    int rc = -1;
    if (read_file(path, &file, &len, err) != 0) return -1;
    if (safetensors_parse(&st, (const unsigned char *)file, len, path, err) != 0) goto done;
    uint64_t hlen = 0;
    for (int b = 0; b < 8; b++) hlen |= (uint64_t)(unsigned char)file[b] << (8 * b);
    if (json_parse(file + 8, (size_t)hlen, path, &root, err) != 0) goto done;   /* bounds checked by safetensors_parse */
    const JsonValue *meta = json_get(&root, "__metadata__");
    uint64_t step, state, inc;
    if (!meta) { error_set(err, "%s: no __metadata__: not an argen optimizer state", path); goto done; }
    if (meta_u64(meta, "step", &step, path, err) || meta_u64(meta, "rng_state", &state, path, err) ||
        meta_u64(meta, "rng_inc", &inc, path, err))
        goto done;
    const char *names[2] = {"exp_avg", "exp_avg_sq"};
    ParamBuffer *bufs[2] = {&opt->m, &opt->v};
    for (int i = 0; i < 2; i++) {
        const StTensor *t = safetensors_find(&st, names[i]);
        if (!t) { error_set(err, "%s: no tensor '%s'", path, names[i]); goto done; }
        if (t->dtype != ST_F32 || t->numel != bufs[i]->n_floats) {
            error_set(err, "%s: %s: expected F32 [%zu] (the model's parameter count), got %s [%zu]", path,
                      names[i], bufs[i]->n_floats, st_dtype_name(t->dtype), t->numel);
            goto done;
        }
        if (st_to_float(bufs[i]->data, t, path, err) != 0) goto done;
    }
    opt->step = (long)step;
    rng->state = state;
    rng->inc = inc;
    rc = 0;
done:
    json_free(&root);
    safetensors_free(&st);
    free(file);
    return rc;
}

/* The JSON header of a safetensors file, read alone (not the tensors). */
static int read_header_only(const char *path, JsonValue *root, Error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return error_set(err, "%s: cannot open: %s", path, strerror(errno));
    unsigned char n8[8];
    uint64_t hlen = 0;
    if (fread(n8, 1, 8, f) != 8) { fclose(f); return error_set(err, "%s: too short for a safetensors file", path); }
    for (int b = 0; b < 8; b++) hlen |= (uint64_t)n8[b] << (8 * b);
    if (hlen == 0 || hlen > 65536) {   /* argen writes about 1 KB */
        fclose(f);
        return error_set(err, "%s: header of %llu bytes: expected an argen optimizer state (at most 65536)", path,
                         (unsigned long long)hlen);
    }
    char *text = malloc((size_t)hlen);
    if (!text) { fclose(f); return error_set(err, "%s: out of memory", path); }
    int rc = fread(text, 1, (size_t)hlen, f) == (size_t)hlen
                 ? json_parse(text, (size_t)hlen, path, root, err)
                 : error_set(err, "%s: header runs past the end of the file", path);
    free(text);
    fclose(f);
    return rc;
}

int train_resume_changes(const char *resume_dir, const TrainConfig *cfg, const int *tokens, size_t n,
                         char *changes, size_t changes_n, Error *err) {
    char path[4096];
    JsonValue root = {0};
    if (path_join(path, sizeof path, resume_dir, "optimizer.safetensors", err) != 0 ||
        read_header_only(path, &root, err) != 0)
        return -1;
    const JsonValue *meta = json_get(&root, "__metadata__");
    if (!meta) { json_free(&root); return error_set(err, "%s: no __metadata__: not an argen optimizer state", path); }
    RecordedOptions now;
    recorded_options(&now, cfg, tokens, n);
    size_t used = 0;
    changes[0] = '\0';
    for (int i = 0; i < N_RECORDED && used + 1 < changes_n; i++) {
        const JsonValue *v = json_get(meta, recorded_key[i]);
        if (!v || v->type != JSON_STRING) continue;   /* older checkpoints record fewer options */
        if (strlen(v->str) == v->len && strcmp(v->str, now.value[i]) == 0) continue;
        char was[64];
        printable(v->str, v->len, was, sizeof was);
        int k = snprintf(changes + used, changes_n - used, "%s%s %s (now %s)", used ? ", " : "", recorded_name[i],
                         was, now.value[i]);
        used = k < 0 ? changes_n : used + (size_t)k;
    }
    json_free(&root);
    return 0;
}

/* ---- where checkpoints go: DIR, and scratch folders next to it ---- */

/* Splits path (no trailing slash) into its parent folder and its last name. */
static void split_path(const char *path, char *parent, char *base, size_t n) {
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(parent, n, ".");
        snprintf(base, n, "%s", path);
    } else {
        size_t plen = slash == path ? 1 : (size_t)(slash - path);   /* "/x": the parent is "/" */
        snprintf(parent, n, "%.*s", (int)plen, path);
        snprintf(base, n, "%s", slash + 1);
    }
}

/* path with its trailing slashes removed ("ck/" -> "ck"; "/" stays). */
static int strip_slashes(char *out, size_t n, const char *path, Error *err) {
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    if (len >= n) return error_set(err, "%s: path too long", path);
    memcpy(out, path, len);
    out[len] = '\0';
    return 0;
}

/* Makes a new, empty folder DIR.KIND.PID.N next to DIR with the first free N
 * and writes its name into out.  mkdir fails on any existing name, so the
 * folder is always one this process made: the only kind argen removes. */
static int scratch_dir(char *out, size_t n, const char *dir, const char *kind, Error *err) {
    for (int k = 0; k < 1000; k++) {
        if ((size_t)snprintf(out, n, "%s.%s.%ld.%d", dir, kind, (long)getpid(), k) >= n)
            return error_set(err, "%s: path too long", dir);
        if (mkdir(out, 0777) == 0) return 0;
        if (errno != EEXIST) return error_set(err, "%s: cannot create %s next to it: %s", dir, out, strerror(errno));
    }
    return error_set(err, "%s: cannot create a folder next to it: 1000 names %s.%s.%ld.* already exist", dir, dir,
                     kind, (long)getpid());
}

/* name is one of the scratch names of a folder called base ("base.tmp.*", "base.old.*"). */
static int is_scratch_name(const char *name, const char *base) {
    size_t b = strlen(base);
    return strncmp(name, base, b) == 0 && (strncmp(name + b, ".tmp.", 5) == 0 || strncmp(name + b, ".old.", 5) == 0);
}

static int same_file(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int checkpoint_check_out(char *norm, size_t n, const char *out, Error *err) {
    char parent[4096], base[4096], probe[4200];
    struct stat sb;
    if (out[0] == '\0') return error_set(err, "'': expected a folder name, got an empty path");
    if (strip_slashes(norm, n, out, err) != 0) return -1;
    split_path(norm, parent, base, sizeof parent);
    if (strcmp(norm, "/") == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return error_set(err, "%s: expected the name of a checkpoint folder (it is replaced by renaming)", out);
    if (stat(parent, &sb) != 0) return error_set(err, "%s: parent folder %s: %s", out, parent, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return error_set(err, "%s: parent %s is not a folder", out, parent);
    if (lstat(norm, &sb) == 0) {
        if (S_ISLNK(sb.st_mode))
            return error_set(err, "%s: is a symbolic link: give the checkpoint folder itself (it is replaced by renaming)",
                             out);
        if (!S_ISDIR(sb.st_mode)) return error_set(err, "%s: exists and is not a folder", out);
    } else if (errno != ENOENT) {
        return error_set(err, "%s: %s", out, strerror(errno));
    }
    /* What every checkpoint does first: make a scratch folder next to DIR. */
    if (scratch_dir(probe, sizeof probe, norm, "tmp", err) != 0) return -1;
    rmdir(probe);
    return 0;
}

int checkpoint_check_model(const char *out_norm, const char *model, int *in_place, Error *err) {
    char path[4096], parent[4096], base[4096], out_parent[4096], out_base[4096];
    struct stat model_sb, out_sb, sb;
    int have_model = stat(model, &model_sb) == 0;
    *in_place = have_model && stat(out_norm, &out_sb) == 0 && same_file(&model_sb, &out_sb);
    if (*in_place) return 0;
    split_path(out_norm, out_parent, out_base, sizeof out_parent);
    if (stat(out_parent, &out_sb) != 0) return 0;   /* checkpoint_check_out reports it */
    /* The name as given ... */
    int hit = 0;
    if (strip_slashes(path, sizeof path, model, err) != 0) return -1;
    split_path(path, parent, base, sizeof parent);
    hit = stat(parent, &sb) == 0 && same_file(&sb, &out_sb) && is_scratch_name(base, out_base);
    /* ... and the folder it leads to through symlinks: the same inode as an
     * entry with a scratch name next to out. */
    DIR *d = have_model && !hit ? opendir(out_parent) : NULL;
    struct dirent *e;
    while (d && !hit && (e = readdir(d)) != NULL)
        hit = is_scratch_name(e->d_name, out_base) && path_join(path, sizeof path, out_parent, e->d_name, err) == 0 &&
              stat(path, &sb) == 0 && same_file(&sb, &model_sb);
    if (d) closedir(d);
    if (hit)
        return error_set(err, "--model %s: it is one of the scratch names of --out %s (%s.tmp.*, %s.old.*): "
                         "choose another --out or rename the model folder", model, out_norm, out_base, out_base);
    return 0;
}

/* A folder holds a checkpoint when its three model/optimizer files exist
 * (each was written atomically, and the folder was renamed into place whole). */
static int is_checkpoint(const char *dir) {
    const char *files[] = {"config.json", "model.safetensors", "optimizer.safetensors"};
    char path[4096];
    Error ignored;
    for (int i = 0; i < 3; i++)
        if (path_join(path, sizeof path, dir, files[i], &ignored) != 0 || access(path, F_OK) != 0) return 0;
    return 1;
}

int checkpoint_find(char *dir_out, size_t n, const char *dir, Error *err) {
    char norm[4096], parent[4096], base[4096], found[8192] = "", path[8192];
    if (strip_slashes(norm, sizeof norm, dir, err) != 0) return -1;
    if (is_checkpoint(norm)) {
        snprintf(found, sizeof found, "%s", norm);
    } else {
        /* A crash between the two renames of a save leaves DIR absent and
         * the previous checkpoint in DIR.old.PID.N. */
        split_path(norm, parent, base, sizeof parent);
        DIR *d = opendir(parent);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            size_t b = strlen(base);
            if (strncmp(e->d_name, base, b) != 0 || strncmp(e->d_name + b, ".old.", 5) != 0) continue;
            if (path_join(path, sizeof path, parent, e->d_name, err) != 0 || !is_checkpoint(path)) continue;
            if (found[0]) {
                closedir(d);
                return error_set(err, "%s: no checkpoint, and two backups %s and %s: move the one to resume to %s",
                                 norm, found, path, norm);
            }
            snprintf(found, sizeof found, "%s", path);
        }
        if (d) closedir(d);
    }
    if (!found[0])
        return error_set(err, "%s: no checkpoint to resume (config.json, model.safetensors, optimizer.safetensors)",
                         dir);
    if (strlen(found) >= n) return error_set(err, "%s: path too long", found);
    strcpy(dir_out, found);
    return 0;
}

static int copy_file(const char *from_dir, const char *to_dir, const char *name, Error *err) {
    char from[4096], to[4096];
    char *data;
    size_t len;
    if (path_join(from, sizeof from, from_dir, name, err) || path_join(to, sizeof to, to_dir, name, err)) return -1;
    if (read_file(from, &data, &len, err) != 0) return -1;
    AtomicFile af;
    if (atomic_open(&af, to, err) != 0) { free(data); return -1; }
    fwrite(data, 1, len, af.f);
    free(data);
    return atomic_commit(&af, err);
}

static const char *const checkpoint_files[] = {"config.json", "model.safetensors", "optimizer.safetensors",
                                               "train_log.tsv", "vocab.json", "merges.txt"};

/* Removes the checkpoint files a save wrote into its own scratch folder, then
 * the folder (left in place if anything else is in it). */
static void remove_scratch(const char *dir) {
    char path[4096];
    Error ignored;
    for (size_t i = 0; i < sizeof checkpoint_files / sizeof checkpoint_files[0]; i++)
        if (path_join(path, sizeof path, dir, checkpoint_files[i], &ignored) == 0) remove(path);
    rmdir(dir);
}

/* After the swap: every entry of the previous DIR (now old) that the new
 * checkpoint did not write (a README, a plot, a folder) moves into the new
 * DIR; the previous checkpoint's files, each replaced by a new file of the
 * same name, are removed, then the folder.  Nothing is deleted that was not
 * replaced. */
static int retire_old(const char *old, const char *dir, Error *err) {
    DIR *d = opendir(old);
    if (!d) return error_set(err, "%s: cannot open: %s", old, strerror(errno));
    struct dirent *e;
    char from[4096], to[4096];
    struct stat sb;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (path_join(from, sizeof from, old, e->d_name, err) || path_join(to, sizeof to, dir, e->d_name, err)) rc = -1;
        else if (lstat(to, &sb) != 0) {
            if (rename(from, to) != 0) rc = error_set(err, "%s: cannot move into %s: %s", from, dir, strerror(errno));
        }
    }
    closedir(d);
    if (rc != 0) return -1;
    for (size_t i = 0; i < sizeof checkpoint_files / sizeof checkpoint_files[0]; i++)
        if (path_join(from, sizeof from, old, checkpoint_files[i], err) == 0) remove(from);
    if (rmdir(old) != 0)
        return error_set(err, "%s: the previous checkpoint, kept: %s (the new one is in %s)", old, strerror(errno), dir);
    return 0;
}

/* Writes every file into a new scratch folder DIR.tmp.PID.N, then swaps: DIR
 * is renamed onto a new empty DIR.old.PID.N, the scratch folder to DIR, and
 * retire_old() empties and removes DIR.old.PID.N.  Both scratch folders are
 * made by this call with exclusive creation; nothing argen did not make or
 * replace is removed.  A failure before the swap leaves DIR untouched; a
 * crash between the renames leaves the previous checkpoint in DIR.old.PID.N,
 * where checkpoint_find() looks. */
static int checkpoint_save(const char *dir, const GPT2 *m, const AdamW *opt, const Rng *rng, const TrainLog *log,
                           const RecordedOptions *rec, const char *tokenizer_dir, Error *err) {
    char tmp[4200], old[4200], path[4300];
    struct stat sb;
    if (scratch_dir(tmp, sizeof tmp, dir, "tmp", err) != 0) return -1;
    int rc = gpt2_save(m, tmp, SAVE_F32, err) ||
             path_join(path, sizeof path, tmp, "optimizer.safetensors", err) ||
             optimizer_save(path, opt, rng, rec, err) ||
             path_join(path, sizeof path, tmp, "train_log.tsv", err) ||
             log_write(log, path, err);
    if (rc == 0 && tokenizer_dir)
        rc = copy_file(tokenizer_dir, tmp, "vocab.json", err) || copy_file(tokenizer_dir, tmp, "merges.txt", err);
    int have_old = rc == 0 && lstat(dir, &sb) == 0;
    if (rc == 0 && have_old && !S_ISDIR(sb.st_mode)) rc = error_set(err, "%s: exists and is not a folder", dir);
    if (rc == 0 && have_old && scratch_dir(old, sizeof old, dir, "old", err) != 0) rc = -1;
    if (rc == 0 && have_old && rename(dir, old) != 0) {   /* onto the empty folder just made */
        rc = error_set(err, "%s: cannot rename to %s: %s", dir, old, strerror(errno));
        rmdir(old);
    }
    if (rc != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        remove_scratch(tmp);
        return error_set(err, "checkpoint not written (%s kept as it was): %s", dir, msg);
    }
    if (rename(tmp, dir) != 0) {
        int saved = errno;
        if (have_old && rename(old, dir) == 0) {   /* the previous checkpoint back in place */
            remove_scratch(tmp);
            return error_set(err, "checkpoint not written (%s kept as it was): %s: cannot rename to %s: %s", dir, tmp,
                             dir, strerror(saved));
        }
        return error_set(err, "%s: cannot rename to %s: %s (the new checkpoint is in %s)", tmp, dir, strerror(saved),
                         tmp);
    }
    return have_old ? retire_old(old, dir, err) : 0;
}

/* ====================================================================== */
/* The training loop                                                       */
/* ====================================================================== */

void train_config_default(TrainConfig *cfg) {
    *cfg = (TrainConfig){.steps = 1000, .batch = 8, .seq = 64, .lr = 1e-3, .lr_min = 1e-4, .warmup = 50,
                         .weight_decay = 0.1, .clip = 1.0, .val_fraction = 0.05, .eval_every = 100,
                         .checkpoint_every = 500, .eval_windows = 32, .seed = 1};
}

/* Uniform in [0, n) without modulo bias (rejection of the short last range). */
static uint32_t rng_below(Rng *r, uint32_t n) {
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t x = rng_u32(r);
        if (x >= threshold) return x % n;
    }
}

/* Mean loss over up to eval_windows windows of T+1 tokens, evenly spaced
 * over the validation tokens (fixed: no randomness, so resuming is exact). */
static double validation_loss(Trainer *tr, const int *val, size_t n_val, int T, int max_windows, Error *err) {
    size_t available = (n_val - 1) / (size_t)T;
    size_t count = available < (size_t)max_windows ? available : (size_t)max_windows;
    double total = 0;
    for (size_t k = 0; k < count; k++) {
        size_t start = (k * available / count) * (size_t)T;
        double loss = eval_loss(tr, val + start, T, err);
        if (loss < 0) return -1.0;
        total += loss;
    }
    return total / (double)count;
}

static int check_train_config(const TrainConfig *cfg, size_t n_train, size_t n_val, Error *err) {
    if (cfg->steps < 1 || cfg->batch < 1 || cfg->seq < 1 || cfg->eval_windows < 1)
        return error_set(err, "steps, batch, seq and eval_windows must be at least 1");
    if (n_train < (size_t)cfg->seq + 1)
        return error_set(err, "%zu training tokens: need at least seq + 1 = %d", n_train, cfg->seq + 1);
    if (n_train > UINT32_MAX) return error_set(err, "%zu training tokens: at most %u", n_train, UINT32_MAX);
    if (cfg->val_fraction > 0 && n_val < (size_t)cfg->seq + 1)
        return error_set(err, "%zu validation tokens: need at least seq + 1 = %d (raise --val-fraction)", n_val,
                         cfg->seq + 1);
    return 0;
}

/* One optimizer step on B random windows: *loss gets the batch's mean loss.
 * A non-finite loss or gradient norm stops before the update, so the weights
 * (and every checkpoint) stay as they were. */
static int optimizer_step(Trainer *tr, AdamW *opt, Rng *rng, const int *train, size_t n_train,
                          const TrainConfig *cfg, double lr, double *loss, double *grad_norm, Error *err) {
    const AdamWConfig adam = {.beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .weight_decay = cfg->weight_decay};
    param_buffer_zero(&tr->grad);
    *loss = 0;
    for (int b = 0; b < cfg->batch; b++) {
        size_t start = rng_below(rng, (uint32_t)(n_train - (size_t)cfg->seq));
        double l;
        if (train_step(tr, train + start, cfg->seq, 1.0 / cfg->batch, &l, err) != 0) return -1;
        *loss += l / cfg->batch;
    }
    *grad_norm = clip_grad_norm(&tr->grad, cfg->clip);
    if (!isfinite(*loss) || !isfinite(*grad_norm))
        return error_set(err, "step %ld: non-finite training loss %g (gradient norm %g): stopped before the update, "
                         "no checkpoint written for it", opt->step + 1, *loss, *grad_norm);
    adamw_update(opt, tr->model, &tr->grad, &adam, lr);
    return 0;
}

int train_run(GPT2 *m, const int *tokens, size_t n, const TrainConfig *cfg, const char *out_dir,
              const char *tokenizer_dir, const char *resume_dir, const TrainHooks *hooks,
              long *steps_done, Error *err) {
    size_t n_val = (size_t)((double)n * cfg->val_fraction);
    size_t n_train = n - n_val;
    const int *val = tokens + n_train;   /* the last fraction is held out */
    char dir[4096];
    if (check_train_config(cfg, n_train, n_val, err) != 0) return -1;
    RecordedOptions rec;
    recorded_options(&rec, cfg, tokens, n);

    Trainer tr;
    AdamW opt;
    TrainLog log = {0};
    Rng rng;
    int rc = -1;
    if (trainer_init(&tr, m, cfg->seq, err) != 0) return -1;
    if (adamw_init(&opt, m, err) != 0) { trainer_free(&tr); return -1; }
    if (checkpoint_check_out(dir, sizeof dir, out_dir, err) != 0) goto done;
    rng_seed(&rng, cfg->seed, 0x747261696eULL);   /* stream "train" */
    if (resume_dir) {
        char path[4096];
        if (path_join(path, sizeof path, resume_dir, "optimizer.safetensors", err) ||
            optimizer_load(path, &opt, &rng, err) ||
            path_join(path, sizeof path, resume_dir, "train_log.tsv", err) ||
            log_read(&log, path, opt.step, err))
            goto done;
    }

    double t0 = now_seconds(), train_time = 0;
    long first = opt.step;
    while (opt.step < cfg->steps) {
        double lr = lr_schedule(opt.step, cfg->steps, cfg->warmup, cfg->lr, cfg->lr_min);
        double ts = now_seconds(), norm = 0, loss = 0;
        if (optimizer_step(&tr, &opt, &rng, tokens, n_train, cfg, lr, &loss, &norm, err) != 0) goto done;
        train_time += now_seconds() - ts;

        long step = opt.step;
        int last = step == cfg->steps, stop = hooks && hooks->stop && *hooks->stop;
        TrainProgress p = {.step = step, .steps = cfg->steps, .lr = lr, .loss = loss, .val_loss = NAN,
                           .grad_norm = norm};
        if (n_val > 0 && (last || (cfg->eval_every > 0 && step % cfg->eval_every == 0))) {
            p.val_loss = validation_loss(&tr, val, n_val, cfg->seq, cfg->eval_windows, err);
            if (p.val_loss < 0) goto done;
        }
        p.elapsed_s = now_seconds() - t0;
        p.tokens_per_s = (double)(step - first) * cfg->batch * cfg->seq / (train_time > 0 ? train_time : 1e-9);
        p.left_s = p.elapsed_s / (double)(step - first) * (double)(cfg->steps - step);
        LogRow row = {.step = step, .lr = lr, .loss = loss, .val_loss = p.val_loss, .tokens_per_s = p.tokens_per_s};
        if (log_append(&log, &row, err) != 0) goto done;
        if (last || stop || (cfg->checkpoint_every > 0 && step % cfg->checkpoint_every == 0)) {
            if (checkpoint_save(dir, m, &opt, &rng, &log, &rec, tokenizer_dir, err) != 0) goto done;
            p.checkpointed = 1;
        }
        if (hooks && hooks->on_step) hooks->on_step(hooks->ctx, &p);
        if (stop) break;
    }
    rc = 0;
done:
    if (steps_done) *steps_done = opt.step;
    free(log.rows);
    adamw_free(&opt);
    trainer_free(&tr);
    return rc;
}
