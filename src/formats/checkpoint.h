/*
 * checkpoint.h - a GPT-2 model from and to a Hugging Face folder:
 * config.json (the hyperparameters) and model.safetensors (the weights).
 */
#ifndef ARGEN_CHECKPOINT_H
#define ARGEN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/model.h"


/* Reads DIR/config.json and DIR/model.safetensors.  Tensors are used in
 * place from the mapping where their type and alignment allow, unless copy is
 * set: training needs writable F32 weights, in one contiguous buffer in
 * canonical order, so copy converts everything to F32.  Without copy the
 * weight matrices (wte, lm_head, each block's attn.c_attn, attn.c_proj,
 * mlp.c_fc, mlp.c_proj) stay as the file holds them, F32, F16 or BF16; wpe
 * and the vectors (biases, layer norms) are converted to F32. */
int gpt2_load(GPT2 *m, const char *dir, int copy, Error *err);

/* How gpt2_load_weights holds the weight matrices: as the file holds them, or
 * converted to one type (F32 -> F16/BF16 rounds to nearest even; a finite
 * value beyond F16's range is refused, naming the tensor). */
typedef enum { LOAD_AS_STORED, LOAD_F32, LOAD_F16, LOAD_BF16 } LoadWeights;
/* gpt2_load for inference (no copy), with the matrices held as `as` says. */
int gpt2_load_weights(GPT2 *m, const char *dir, LoadWeights as, Error *err);

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

#endif
