/*
 * forward.h - a GPT-2 forward pass: the run state and one function per stage.
 *
 *   tokens ──embed──▶ x ──[ block × n_layer ]──▶ ln_f ──▶ (logits_final | logits_all)
 *   block:  x ─ln_1─▶ c_attn ─▶ attention ─▶ c_proj ─(+x)─▶ res1            (attention_block)
 *           res1 ─ln_2─▶ c_fc ─▶ gelu ─▶ c_proj ─(+res1)─▶ res2              (mlp_block)
 *
 * Shapes: C = n_embd, H = n_head, hs = C/H, V = vocab_size, T = tokens in
 * this forward call, N = n_ctx (the KV cache's capacity in positions).
 */
#ifndef ARGEN_FORWARD_H
#define ARGEN_FORWARD_H

#include <stddef.h>

#include "core/error.h"
#include "core/model.h"

struct Observer;   /* observer.h: who watches the pass (NULL: nobody) */

/* ---- activations ---- */

/* Every activation of one forward call.  With keep_layers each layer has its
 * own copy (training's backward pass and full traces read them); otherwise
 * all layers share one copy and layer l is overwritten by layer l+1. */
typedef struct {
    float *ln1_out;     /* [T, C]  ln_1(x) */
    float *ln1_mean;    /* [T]     kept for the backward pass */
    float *ln1_rstd;    /* [T]     1/sqrt(var + eps) */
    float *qkv;         /* [T, 3C] ln1_out @ c_attn */
    float *att_probs;   /* [H, T, n_ctx] softmax(q.k/sqrt(hs)) with the causal mask; row t covers keys 0..pos+t, the rest is 0 */
    float *att_out;     /* [T, C]  probs @ v, heads side by side */
    float *attn_proj;   /* [T, C]  att_out @ attn.c_proj */
    float *res1;        /* [T, C]  x + attn_proj: the residual stream after attention */
    float *ln2_out;     /* [T, C] */
    float *ln2_mean;    /* [T] */
    float *ln2_rstd;    /* [T] */
    float *fc;          /* [T, 4C] ln2_out @ mlp.c_fc */
    float *fc_gelu;     /* [T, 4C] gelu(fc) */
    float *mlp_proj;    /* [T, C]  fc_gelu @ mlp.c_proj */
    float *res2;        /* [T, C]  res1 + mlp_proj: the block's output */
} LayerActs;

typedef struct {
    int max_tokens;      /* most tokens one forward call may process (T) */
    int n_ctx;           /* KV cache capacity in positions (<= n_positions) */
    int keep_layers;     /* 1: per-layer activations (training, full trace); 0: shared */
    int all_logits;      /* 1: logits buffer holds max_tokens rows; 0: one row */
} RunOptions;

typedef struct RunState {
    RunOptions opt;
    float *embed;        /* [T, C] wte[token] + wpe[pos]: the residual stream entering block 0 */
    LayerActs *layer;    /* [n_layer] when keep_layers, else [1] */
    float *lnf_out;      /* [T, C] final layer norm */
    float *lnf_mean;     /* [T] */
    float *lnf_rstd;     /* [T] */
    float *logits;       /* [1, V] or [max_tokens, V] */
    float *key_cache;    /* [n_layer, H, n_ctx, hs]: one head's keys are contiguous, read in order */
    float *value_cache;  /* [n_layer, H, n_ctx, hs] */
    int n_cached;        /* positions 0..n_cached-1 hold valid keys and values */
    int last_T;          /* tokens processed by the last forward call */
    int last_pos;        /* position of its first token */
    void *block;         /* the one allocation every buffer above lives in */
    size_t bytes;        /* its size */
} RunState;

/* Layer l's activations (l itself with keep_layers, else the shared set). */
LayerActs *run_layer(const RunState *s, int l);

int run_state_init(RunState *s, const GPT2 *m, const RunOptions *opt, Error *err);
void run_state_free(RunState *s);

/* ---- the forward pass ---- */

/* Runs the transformer over tokens[0..T) at positions pos..pos+T-1.  The KV
 * cache must hold at least pos positions (pos < n_cached overwrites: that is
 * how --no-kv-cache recomputes and how Jacobi decoding re-guesses); it then
 * holds pos+T.  Leaves ln_f's output in s->lnf_out.  Fails on bad ids or
 * when pos+T exceeds n_ctx or T exceeds max_tokens. */
int forward_pass(const GPT2 *m, RunState *s, const int *tokens, int T, int pos,
                 const struct Observer *obs, Error *err);

/* The stages forward_pass is made of, for gdb and for the backward pass.
 * A block is its attention half (x -> res1) then its MLP half (res1 -> res2). */
void transformer_block(const GPT2 *m, RunState *s, int l, const float *x, int T, int pos);
void attention_block(const GPT2 *m, RunState *s, int l, const float *x, int T, int pos);
void mlp_block(const GPT2 *m, RunState *s, int l, int T);

/* Logits at the last position only: s->logits[0..V) = lnf_out[T-1] @ lm_head^T. */
void logits_final(const GPT2 *m, RunState *s);
/* s->logits[0..V) = h @ lm_head^T for one hidden state h [C] (after ln_f);
 * logits_final is this on the last row. */
void logits_from_hidden(const GPT2 *m, RunState *s, const float *h);
/* Logits at every position of the last call: s->logits[t*V..], needs all_logits. */
void logits_all(const GPT2 *m, RunState *s);

/* NaN or infinite weights (or an activation that overflowed) give NaN or
 * infinite logits, which no strategy can turn into a token honestly (greedy
 * would pick id 0, sampling the last id).  One pass over a row of V logits:
 * returns -1 with "WHERE AT: the logit of vocabulary id I is nan: ..."
 * naming the first non-finite id, 0 when every logit is finite. */
int check_logits_finite(const float *logits, int V, const char *where, int at, Error *err);

/* Bytes of keys and values the KV cache holds for `positions` positions:
 * 2 (K and V) x n_layer x n_embd floats each. */
size_t kv_cache_bytes(const GPT2Config *c, int positions);

#endif
