/*
 * kernels.h - the math of the forward pass as pure functions.
 *
 * Outputs first, then inputs, then weights, then sizes.  No I/O, no
 * allocation, no tracing.  Every sum runs in a fixed order, so the same
 * inputs give the same bits in every build and at every thread count.
 *
 * Shapes: T tokens in a call, C = n_embd, H = n_head, hs = C / H,
 * V = vocab_size, in / out_dim a matmul's widths, n_ctx the KV cache's positions.
 */
#ifndef ARGEN_KERNELS_H
#define ARGEN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* How a weight matrix's elements are held in memory: F32, or 16-bit halves
 * (IEEE F16, or BF16: the top half of an F32).  Every F16 and BF16 value is
 * exactly an F32, so the kernels widen each element as they read it and
 * compute the same bits as if the matrix had been converted to F32 first. */
typedef enum { WEIGHTS_F32, WEIGHTS_F16, WEIGHTS_BF16 } WeightDType;

/* A weight matrix: a pointer and how to read it.  Exactly one pointer is set. */
typedef struct {
    WeightDType dtype;
    float *f32;             /* the elements when dtype is WEIGHTS_F32, else NULL */
    const uint16_t *half;   /* their 16-bit patterns when WEIGHTS_F16 or WEIGHTS_BF16, else NULL */
} Matrix;

Matrix matrix_f32(float *w);                        /* an F32 matrix */
Matrix matrix_half(const uint16_t *w, WeightDType dtype);
const char *weight_dtype_name(WeightDType dtype);   /* "f32", "f16", "bf16" */
float f16_to_f32(uint16_t h);                       /* exact: sign, 5-bit exponent, 10-bit mantissa */
float bf16_to_f32(uint16_t h);                      /* exact: the 16 bits shifted into the top of an F32 */
float matrix_element(Matrix w, size_t k);           /* element k (row-major), widened to F32 */

/* out[t] = wte[tokens[t]] + wpe[pos + t]             [T] -> [T, C] */
void embed(float *out, const int *tokens, Matrix wte, const float *wpe, int T, int pos, int C);

/* out[t] = (x[t] - mean) * rstd * weight + bias;  mean, rstd may be NULL.   [T, C] -> [T, C] */
void layernorm(float *out, float *mean, float *rstd, const float *x,
               const float *weight, const float *bias, int T, int C, float eps);

/* What matmul computes, in the order it computes it (the plain reference):
 *   out[t][o] = bias[o]  (0 when bias is NULL)
 *   out[t][o] += x[t][i] * w[i][o]   for i = 0, 1, ..., in-1, one rounding each
 * w laid out [in, out] (Conv1D).   [T, in] -> [T, out] */
void matmul_reference(float *out, const float *x, const float *w, const float *bias,
                      int T, int in, int out_dim);

/* The same sums in the same order as matmul_reference, so the same bits, but
 * read at memory speed (see kernels.c).  Decoding one token and prefilling many
 * give the same bits. bias may be NULL. */
void matmul(float *restrict out, const float *restrict x, const float *restrict w, const float *restrict bias,
            int T, int in, int out_dim);

/* out[t][v] = x[t] . w[v], w laid out [V, C] (the unembedding, tied to wte).   [T, C] -> [T, V] */
void matmul_transposed(float *out, const float *x, const float *w, int T, int C, int V);

/* Which compiled copy of the hot loops runs: the portable C the build
 * targets, the same loops for AVX2 (no FMA), or for AVX-512 (sixteen lanes,
 * no FMA), each when the CPU has it.  All give
 * the same bits; kernel_path() is the widest this CPU and build allow, asked
 * of the CPU once (a build with -DARGEN_PORTABLE_KERNELS only has the
 * portable path).  A path the CPU lacks runs the widest one below it. */
typedef enum { KERNEL_PORTABLE, KERNEL_AVX2, KERNEL_AVX512, KERNEL_PATHS } KernelPath;
KernelPath kernel_path(void);
const char *kernel_path_name(KernelPath path);   /* "portable", "avx2", "avx512" */
/* matmul and matmul_transposed on a chosen path (tests compare the paths). */
void matmul_on(KernelPath path, float *restrict out, const float *restrict x, const float *restrict w,
               const float *restrict bias, int T, int in, int out_dim);
void matmul_transposed_on(KernelPath path, float *out, const float *x, const float *w, int T, int C, int V);

/* matmul and matmul_transposed with a weight Matrix of any dtype: F32 runs
 * matmul itself; F16 and BF16 widen each weight to F32 just before its
 * multiply (sixteen or eight at a time in a register on the AVX-512 and
 * AVX2 paths, a small block through an L1-resident buffer on the portable
 * one) and add the terms in matmul's order, so the bits equal those of
 * matmul on the widened matrix.
 * The plain references say what they compute:
 *   matmul_weights_reference:  out[t][o] = bias[o], then += x[t][i] * widen(w[i][o]), i in order
 *   matmul_transposed_weights_reference: the 16-lane dot of `dot` with widen(w[v][i]) */
void matmul_weights_reference(float *out, const float *x, Matrix w, const float *bias, int T, int in, int out_dim);
void matmul_weights(float *out, const float *x, Matrix w, const float *bias, int T, int in, int out_dim);
void matmul_weights_on(KernelPath path, float *out, const float *x, Matrix w, const float *bias,
                       int T, int in, int out_dim);
void matmul_transposed_weights_reference(float *out, const float *x, Matrix w, int T, int C, int V);
void matmul_transposed_weights(float *out, const float *x, Matrix w, int T, int C, int V);
void matmul_transposed_weights_on(KernelPath path, float *out, const float *x, Matrix w, int T, int C, int V);

/* Dot product with 16 fixed partial sums combined in a fixed order. */
float dot(const float *restrict a, const float *restrict b, int n);

/* GELU, tanh approximation ("gelu_new"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
void gelu(float *out, const float *x, size_t n);

/* out = a + b */
void residual_add(float *out, const float *a, const float *b, size_t n);

/* The one softmax of argen (attention, the sampler, beam search, scoring,
 * the trace and training all call it):
 *   m = max x  (subtracted so that no exp overflows)
 *   log_sum = log sum_j exp(x_j - m)    summed in double, in index order
 *   log p_i = (x_i - m) - log_sum,  probs_i = exp(log p_i)
 * Returns the log-partition log Z = m + log_sum, so callers that want
 * log-probabilities take x_i - log Z.  When entropy is not NULL it receives
 * -sum p_i log p_i in nats.  probs may alias x, or be NULL (log Z and the
 * entropy only).  [n] -> [n] */
double softmax(float *probs, const float *x, int n, double *entropy);

/* The same softmax, its log-partition in two parts: returns log_sum and
 * writes m to *max (softmax returns m + log_sum). */
double softmax_shifted(float *probs, const float *x, int n, double *entropy, float *max);

/* Causal self-attention of T queries at positions pos..pos+T-1.
 *   qkv        [T, 3C]          q | k | v, heads contiguous within each
 *   key_cache  [H, n_ctx, hs]   this layer's; keys of positions pos..pos+T-1 are written here
 *   value_cache[H, n_ctx, hs]
 *   probs      [H, T, n_ctx]    softmax(q.k / sqrt(hs)) over keys 0..pos+t, zeros after (the mask)
 *   out        [T, C]           probs @ v, heads side by side
 */
void attention(float *out, float *probs, float *key_cache, float *value_cache,
               const float *qkv, int T, int pos, int C, int H, int n_ctx);

#endif
