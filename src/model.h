/*
 * model.h - a GPT-2 model: its config, its weights, its run state, and the
 * forward pass as one function per stage of the math.
 *
 *   tokens ──embed──▶ x ──[ block × n_layer ]──▶ ln_f ──▶ (logits_final | logits_all)
 *   block:  x ─ln_1─▶ c_attn ─▶ attention ─▶ c_proj ─(+x)─▶ r ─ln_2─▶ c_fc ─▶ gelu ─▶ c_proj ─(+r)─▶ x'
 *
 * Shapes use C = n_embd, H = n_head, hs = C/H, V = vocab_size, T = tokens in
 * this forward call, P = n_positions.  Names follow the Hugging Face
 * checkpoint, so `h.3.attn.c_attn.weight` is m->w.h[3].attn_c_attn_weight.
 */
#ifndef ARGEN_MODEL_H
#define ARGEN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef struct {
    int n_embd;               /* C: width of the residual stream */
    int n_head;               /* H: attention heads per layer (C % H == 0) */
    int n_layer;              /* transformer blocks */
    int n_positions;          /* P: context window (1024 for GPT-2) */
    int vocab_size;           /* V: 50257 for GPT-2 */
    float layer_norm_epsilon; /* 1e-5 for GPT-2 */
    int bos_token_id;         /* 50256 for GPT-2 */
    int eos_token_id;         /* 50256 for GPT-2: generation stops here */
} GPT2Config;

/* One transformer block. Conv1D weights are stored [in, out] as in the
 * checkpoint, so y = x @ W + b reads W row by row. */
typedef struct {
    float *ln_1_weight;        /* [C] */
    float *ln_1_bias;          /* [C] */
    float *attn_c_attn_weight; /* [C, 3C]: columns are q | k | v, each split into H heads of hs */
    float *attn_c_attn_bias;   /* [3C] */
    float *attn_c_proj_weight; /* [C, C] */
    float *attn_c_proj_bias;   /* [C] */
    float *ln_2_weight;        /* [C] */
    float *ln_2_bias;          /* [C] */
    float *mlp_c_fc_weight;    /* [C, 4C] */
    float *mlp_c_fc_bias;      /* [4C] */
    float *mlp_c_proj_weight;  /* [4C, C] */
    float *mlp_c_proj_bias;    /* [C] */
} LayerWeights;

typedef struct {
    float *wte;          /* [V, C] token embedding */
    float *wpe;          /* [P, C] position embedding */
    LayerWeights *h;     /* [n_layer] */
    float *ln_f_weight;  /* [C] */
    float *ln_f_bias;    /* [C] */
    float *lm_head;      /* [V, C] unembedding; == wte when tied */
} GPT2Weights;

/* One named tensor of the checkpoint: drives saving, `argen info`, the
 * optimizer, gradient views and the gdb pretty-printers. */
typedef struct {
    char name[64];       /* checkpoint name without "transformer.", e.g. "h.0.ln_1.weight" */
    float *data;         /* points into the model's weights */
    size_t numel;
    int ndim;            /* 1 or 2 */
    size_t shape[2];
} Param;

typedef struct {
    GPT2Config config;
    GPT2Weights w;
    int tied;            /* 1: lm_head is wte (no lm_head.weight in the checkpoint) */
    Param *params;       /* [n_params], in canonical order (see gpt2_param_layout) */
    int n_params;
    size_t n_floats;     /* total parameter count */
    float *owned;        /* weights we allocated (random init, copies, F16/BF16 conversions) */
    void *map;           /* the mmapped model.safetensors, or NULL */
    size_t map_len;
    char dir[2048];      /* folder loaded from, "" for a model made in memory */
} GPT2;

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

/* Seconds spent in each stage, summed over calls (argen generate --profile). */
typedef struct {
    double embed;        /* token + position embedding */
    double attention;    /* ln_1, c_attn, attention, c_proj, residual: every layer */
    double mlp;          /* ln_2, c_fc, gelu, c_proj, residual: every layer */
    double final_norm;   /* ln_f */
    double unembed;      /* logits = h @ wte^T */
    double selection;    /* penalties, temperature, softmax, truncation, the draw (the loop fills it) */
} StageTimes;

typedef struct {
    RunOptions opt;
    StageTimes *times;   /* NULL: no timing (the default); else each stage adds its seconds */
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

/* Called after each block (forward_pass's only hook): the tracer reads
 * s->layer[...] there, before a shared buffer is overwritten. */
typedef struct {
    void (*after_layer)(void *ctx, const GPT2 *m, const RunState *s, int layer);
    void *ctx;
} LayerObserver;

/* Layer l's activations (l itself with keep_layers, else the shared set). */
LayerActs *run_layer(const RunState *s, int l);

/* ---- building and freeing ---- */

/* Reads DIR/config.json and DIR/model.safetensors.  F32 tensors are used in
 * place from the mapping unless copy is set (training needs writable weights,
 * in one contiguous buffer in canonical order); F16/BF16 are converted. */
int gpt2_load(GPT2 *m, const char *dir, int copy, Error *err);

/* Reads and checks DIR/config.json alone. */
int gpt2_read_config(GPT2Config *c, const char *dir, Error *err);
int gpt2_check_config(const GPT2Config *c, const char *what, Error *err);

/* A model with fresh weights in memory: N(0, 0.02) as GPT-2 initialises them,
 * residual projections scaled by 1/sqrt(2 n_layer), layer norms 1 and 0. */
int gpt2_init_random(GPT2 *m, const GPT2Config *c, int tied, uint64_t seed, Error *err);

typedef enum { SAVE_F32, SAVE_F16, SAVE_BF16 } SaveDType;
/* Writes DIR/config.json and DIR/model.safetensors (each atomically). */
int gpt2_save(const GPT2 *m, const char *dir, SaveDType dtype, Error *err);

void gpt2_free(GPT2 *m);

/* Number of floats of every parameter, and a view: points w (and table, if
 * not NULL, with n_params_for entries) into base, laid out in canonical order:
 * wte, wpe, then per layer ln_1.weight, ln_1.bias, attn.c_attn.weight, .bias,
 * attn.c_proj.weight, .bias, ln_2.weight, .bias, mlp.c_fc.weight, .bias,
 * mlp.c_proj.weight, .bias, then ln_f.weight, ln_f.bias, then lm_head.weight
 * when untied.  w->h must have room for n_layer entries.  Gradients and the
 * optimizer's moments use the same view over their own buffers. */
size_t gpt2_param_layout(const GPT2Config *c, int tied, float *base, GPT2Weights *w, Param *table);
int gpt2_n_params(const GPT2Config *c, int tied);

int run_state_init(RunState *s, const GPT2 *m, const RunOptions *opt, Error *err);
void run_state_free(RunState *s);

/* ---- the forward pass ---- */

/* Runs the transformer over tokens[0..T) at positions pos..pos+T-1.  The KV
 * cache must hold at least pos positions (pos < n_cached overwrites: that is
 * how --no-kv-cache recomputes and how Jacobi decoding re-guesses); it then
 * holds pos+T.  Leaves ln_f's output in s->lnf_out.  Fails on bad ids or
 * when pos+T exceeds n_ctx or T exceeds max_tokens. */
int forward_pass(const GPT2 *m, RunState *s, const int *tokens, int T, int pos,
                 const LayerObserver *obs, Error *err);

/* The stages forward_pass is made of, for gdb and for the backward pass. */
void transformer_block(const GPT2 *m, RunState *s, int l, const float *x, int T, int pos);

/* Logits at the last position only: s->logits[0..V) = lnf_out[T-1] @ lm_head^T. */
void logits_final(const GPT2 *m, RunState *s);
/* s->logits[0..V) = h @ lm_head^T for one hidden state h [C] (after ln_f);
 * logits_final is this on the last row.  Adds to s->times->unembed. */
void logits_from_hidden(const GPT2 *m, RunState *s, const float *h);
/* Logits at every position of the last call: s->logits[t*V..], needs all_logits. */
void logits_all(const GPT2 *m, RunState *s);

/* NaN or infinite weights (or an activation that overflowed) give NaN or
 * infinite logits, which no strategy can turn into a token honestly (greedy
 * would pick id 0, sampling the last id).  One pass over a row of V logits:
 * returns -1 with "WHERE AT: the logit of vocabulary id I is nan: ..."
 * naming the first non-finite id, 0 when every logit is finite. */
int check_logits_finite(const float *logits, int V, const char *where, int at, Error *err);

#endif
