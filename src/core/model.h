/*
 * model.h - a GPT-2 model: its hyperparameters and its weights.
 *
 * Shapes use C = n_embd, H = n_head, hs = C/H, V = vocab_size,
 * P = n_positions.  Names follow the Hugging Face checkpoint, so
 * `h.3.attn.c_attn.weight` is m->w.h[3].attn_c_attn_weight.  How a model is
 * read from a folder is formats/checkpoint.h; how it runs is forward.h.
 */
#ifndef ARGEN_MODEL_H
#define ARGEN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/kernels.h"   /* Matrix: a weight matrix held as F32, F16 or BF16 */

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
 * checkpoint, so y = x @ W + b reads W row by row.  The four matrices (and
 * wte, lm_head) are Matrix: F32, or F16/BF16 as the checkpoint holds them,
 * widened by the kernels; the small vectors are always F32. */
typedef struct {
    float *ln_1_weight;        /* [C] */
    float *ln_1_bias;          /* [C] */
    Matrix attn_c_attn_weight; /* [C, 3C]: columns are q | k | v, each split into H heads of hs */
    float *attn_c_attn_bias;   /* [3C] */
    Matrix attn_c_proj_weight; /* [C, C] */
    float *attn_c_proj_bias;   /* [C] */
    float *ln_2_weight;        /* [C] */
    float *ln_2_bias;          /* [C] */
    Matrix mlp_c_fc_weight;    /* [C, 4C] */
    float *mlp_c_fc_bias;      /* [4C] */
    Matrix mlp_c_proj_weight;  /* [4C, C] */
    float *mlp_c_proj_bias;    /* [C] */
} LayerWeights;

typedef struct {
    Matrix wte;          /* [V, C] token embedding */
    float *wpe;          /* [P, C] position embedding */
    LayerWeights *h;     /* [n_layer] */
    float *ln_f_weight;       /* [C] */
    float *ln_f_bias;         /* [C] */
    Matrix lm_head;      /* [V, C] unembedding; the same as wte when tied */
} GPT2Weights;

/* One named tensor of the checkpoint: drives saving, `argen info`, the
 * optimizer, gradient views and the gdb pretty-printers. */
typedef struct {
    char name[64];       /* checkpoint name without "transformer.", e.g. "h.0.ln_1.weight" */
    WeightDType dtype;   /* how it is held in memory: F32 for all but the matrices of a half model */
    float *data;         /* points into the model's weights when F32, else NULL */
    const uint16_t *half; /* its 16-bit patterns when F16 or BF16, else NULL */
    size_t numel;
    int ndim;            /* 1 or 2 */
    size_t shape[2];
} Param;

typedef struct GPT2 {
    GPT2Config config;
    GPT2Weights w;
    int tied;            /* 1: lm_head is wte (no lm_head.weight in the checkpoint) */
    Param *params;       /* [n_params], in canonical order (see gpt2_param_layout) */
    int n_params;
    size_t n_floats;     /* total parameter count */
    float *owned;        /* F32 weights we allocated (random init, copies, conversions to F32) */
    uint16_t *owned_half; /* F16/BF16 weights we allocated (conversions from F32, unaligned tensors) */
    size_t weight_bytes; /* bytes the weights take in memory, as held */
    void *map;           /* the mmapped model.safetensors, or NULL */
    size_t map_len;
    char dir[2048];      /* folder loaded from, "" for a model made in memory */
} GPT2;

#endif
