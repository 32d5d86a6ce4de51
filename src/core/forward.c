/*
 * forward.c - the forward pass: run state, transformer blocks, logits.
 * See forward.h.
 */
#include "core/forward.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels.h"
#include "core/observer.h"

/* ======================================================================== */
/* Run state: every activation, allocated once per run                       */

LayerActs *run_layer(const RunState *s, int l) { return &s->layer[s->opt.keep_layers ? l : 0]; }

int run_state_init(RunState *s, const GPT2 *m, const RunOptions *opt, Error *err) {
    memset(s, 0, sizeof *s);
    const GPT2Config *c = &m->config;
    if (opt->n_ctx < 1 || opt->n_ctx > c->n_positions)
        return error_set(err, "context of %d positions: expected 1..%d (n_positions)", opt->n_ctx, c->n_positions);
    if (opt->max_tokens < 1 || opt->max_tokens > opt->n_ctx)
        return error_set(err, "%d tokens per forward call: expected 1..%d", opt->max_tokens, opt->n_ctx);
    s->opt = *opt;
    size_t T = (size_t)opt->max_tokens, C = (size_t)c->n_embd, H = (size_t)c->n_head, L = (size_t)c->n_layer;
    size_t V = (size_t)c->vocab_size, N = (size_t)opt->n_ctx;
    size_t n_sets = opt->keep_layers ? L : 1;
    s->layer = calloc(n_sets, sizeof *s->layer);
    if (!s->layer) return error_set(err, "out of memory for the run state");
    /* Sizes in floats, in the order the buffers are carved from one block. */
    size_t per_layer = T * C * 7 + T * 3 * C + T * 4 * C * 2 + H * T * N + T * 4;
    size_t total = T * C + n_sets * per_layer + T * C + 2 * T + (opt->all_logits ? T : 1) * V + 2 * L * N * C;
    s->bytes = total * sizeof(float);
    s->block = calloc(total, sizeof(float));
    if (!s->block) { free(s->layer); s->layer = NULL; return error_set(err, "out of memory: the run state needs %zu MB", s->bytes >> 20); }
    float *p = s->block;
#define CARVE(field, n) ((field) = p, p += (n))
    CARVE(s->embed, T * C);
    for (size_t l = 0; l < n_sets; l++) {
        LayerActs *a = &s->layer[l];
        CARVE(a->ln1_out, T * C);   CARVE(a->ln1_mean, T);  CARVE(a->ln1_rstd, T);
        CARVE(a->qkv, T * 3 * C);   CARVE(a->att_probs, H * T * N);
        CARVE(a->att_out, T * C);   CARVE(a->attn_proj, T * C);  CARVE(a->res1, T * C);
        CARVE(a->ln2_out, T * C);   CARVE(a->ln2_mean, T);  CARVE(a->ln2_rstd, T);
        CARVE(a->fc, T * 4 * C);    CARVE(a->fc_gelu, T * 4 * C);
        CARVE(a->mlp_proj, T * C);  CARVE(a->res2, T * C);
    }
    CARVE(s->lnf_out, T * C);
    CARVE(s->lnf_mean, T);
    CARVE(s->lnf_rstd, T);
    CARVE(s->logits, (opt->all_logits ? T : 1) * V);
    CARVE(s->key_cache, L * N * C);
    CARVE(s->value_cache, L * N * C);
#undef CARVE
    return 0;
}

void run_state_free(RunState *s) {
    free(s->block);
    free(s->layer);
    memset(s, 0, sizeof *s);
}

/* ======================================================================== */
/* The forward pass                                                          */

void attention_block(const GPT2 *m, RunState *s, int l, const float *x, int T, int pos) {
    const GPT2Config *c = &m->config;
    const LayerWeights *w = &m->w.h[l];
    LayerActs *a = run_layer(s, l);
    int C = c->n_embd, N = s->opt.n_ctx;
    size_t cache_off = (size_t)l * N * C;      /* this layer's [H, N, hs] slice of the KV cache */
    /* ln1_out = ln_1(x)                                    [T, C]  -> [T, C] */
    layernorm(a->ln1_out, a->ln1_mean, a->ln1_rstd, x, w->ln_1_weight, w->ln_1_bias, T, C, c->layer_norm_epsilon);
    /* qkv = ln1_out @ c_attn + b: q | k | v side by side   [T, C]  -> [T, 3C] */
    matmul_weights(a->qkv, a->ln1_out, w->attn_c_attn_weight, w->attn_c_attn_bias, T, C, 3 * C);
    /* att_out = softmax(q k^T / sqrt(hs), causal) v         [T, 3C] -> [T, C] */
    attention(a->att_out, a->att_probs, s->key_cache + cache_off, s->value_cache + cache_off,
              a->qkv, T, pos, C, c->n_head, N);
    /* attn_proj = att_out @ c_proj + b                      [T, C]  -> [T, C] */
    matmul_weights(a->attn_proj, a->att_out, w->attn_c_proj_weight, w->attn_c_proj_bias, T, C, C);
    /* res1 = x + attn_proj: the residual stream             [T, C] */
    residual_add(a->res1, x, a->attn_proj, (size_t)T * C);
}

void mlp_block(const GPT2 *m, RunState *s, int l, int T) {
    const GPT2Config *c = &m->config;
    const LayerWeights *w = &m->w.h[l];
    LayerActs *a = run_layer(s, l);
    int C = c->n_embd;
    /* ln2_out = ln_2(res1)                                  [T, C]  -> [T, C] */
    layernorm(a->ln2_out, a->ln2_mean, a->ln2_rstd, a->res1, w->ln_2_weight, w->ln_2_bias, T, C, c->layer_norm_epsilon);
    /* fc = ln2_out @ c_fc + b                               [T, C]  -> [T, 4C] */
    matmul_weights(a->fc, a->ln2_out, w->mlp_c_fc_weight, w->mlp_c_fc_bias, T, C, 4 * C);
    /* fc_gelu = gelu(fc)                                    [T, 4C] */
    gelu(a->fc_gelu, a->fc, (size_t)T * 4 * C);
    /* mlp_proj = fc_gelu @ c_proj + b                       [T, 4C] -> [T, C] */
    matmul_weights(a->mlp_proj, a->fc_gelu, w->mlp_c_proj_weight, w->mlp_c_proj_bias, T, 4 * C, C);
    /* res2 = res1 + mlp_proj: the block's output            [T, C] */
    residual_add(a->res2, a->res1, a->mlp_proj, (size_t)T * C);
}

void transformer_block(const GPT2 *m, RunState *s, int l, const float *x, int T, int pos) {
    attention_block(m, s, l, x, T, pos);   /* x    -> res1 */
    mlp_block(m, s, l, T);                 /* res1 -> res2 */
}

int forward_pass(const GPT2 *m, RunState *s, const int *tokens, int T, int pos,
                 const Observer *obs, Error *err) {
    const GPT2Config *c = &m->config;
    if (T < 1 || T > s->opt.max_tokens)
        return error_set(err, "forward pass over %d tokens: expected 1..%d", T, s->opt.max_tokens);
    if (pos < 0 || pos > s->n_cached || pos + T > s->opt.n_ctx)
        return error_set(err, "forward pass at positions %d..%d: the context holds %d positions with %d cached",
                         pos, pos + T - 1, s->opt.n_ctx, s->n_cached);
    for (int t = 0; t < T; t++)
        if (tokens[t] < 0 || tokens[t] >= c->vocab_size)
            return error_set(err, "token id %d at position %d: expected an id in [0, %d)", tokens[t], pos + t, c->vocab_size);
    s->last_T = T;  /* set first: an observer reads them after each layer */
    s->last_pos = pos;
    if (obs && obs->forward_begin) obs->forward_begin(obs->ctx, m, s, tokens, T, pos);
    /* x = wte[tokens] + wpe[pos..pos+T)                     [T] -> [T, C] */
    embed(s->embed, tokens, m->w.wte, m->w.wpe, T, pos, c->n_embd);
    const float *x = s->embed;
    for (int l = 0; l < c->n_layer; l++) {
        transformer_block(m, s, l, x, T, pos);                                   /* [T, C] -> [T, C] */
        x = run_layer(s, l)->res2;
        if (obs && obs->layer) obs->layer(obs->ctx, m, s, l);
    }
    /* lnf_out = ln_f(x)                                     [T, C] -> [T, C] */
    layernorm(s->lnf_out, s->lnf_mean, s->lnf_rstd, x, m->w.ln_f_weight, m->w.ln_f_bias, T, c->n_embd, c->layer_norm_epsilon);
    s->n_cached = pos + T;
    if (obs && obs->forward_end) obs->forward_end(obs->ctx, m, s);
    return 0;
}

void logits_from_hidden(const GPT2 *m, RunState *s, const float *h) {
    /* logits = h @ lm_head^T                               [C] -> [V] */
    matmul_transposed_weights(s->logits, h, m->w.lm_head, 1, m->config.n_embd, m->config.vocab_size);
}

void logits_final(const GPT2 *m, RunState *s) {
    const float *last = s->lnf_out + (size_t)(s->last_T - 1) * m->config.n_embd;   /* the last row [C] */
    logits_from_hidden(m, s, last);
}

void logits_all(const GPT2 *m, RunState *s) {
    /* logits = lnf_out @ lm_head^T, every position         [T, C] -> [T, V] */
    matmul_transposed_weights(s->logits, s->lnf_out, m->w.lm_head, s->last_T, m->config.n_embd, m->config.vocab_size);
}

int check_logits_finite(const float *logits, int V, const char *where, int at, Error *err) {
    for (int v = 0; v < V; v++)
        if (!isfinite(logits[v]))
            return error_set(err, "%s %d: the logit of vocabulary id %d is %s: expected finite logits "
                             "(the model's weights or activations are not finite)",
                             where, at, v, isnan(logits[v]) ? "nan" : logits[v] > 0 ? "inf" : "-inf");
    return 0;
}

size_t kv_cache_bytes(const GPT2Config *c, int positions) {
    return 2 * (size_t)c->n_layer * (size_t)positions * (size_t)c->n_embd * sizeof(float);
}
