/*
 * kernels.c - the math of the forward pass.  See kernels.h for shapes.
 *
 * Speed comes from memory layout, not tricks: decoding streams each weight
 * row once into a contiguous row of outputs; prefill keeps a 12 x 32 tile of
 * outputs close at hand so every weight loaded serves 12 tokens.  Compilers
 * vectorise both without -ffast-math because every output keeps its own sum,
 * in order.  The dot product keeps 16 partial sums, combined in a fixed
 * order, for the same reason.  OpenMP (make OMP=1) only splits loops whose
 * iterations write disjoint outputs, so the thread count never changes a bit.
 */
#include "core/kernels.h"

#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void embed(float *out, const int *tokens, const float *wte, const float *wpe, int T, int pos, int C) {
    for (int t = 0; t < T; t++) {
        const float *tok = wte + (size_t)tokens[t] * C;
        const float *at = wpe + (size_t)(pos + t) * C;
        float *o = out + (size_t)t * C;
        for (int i = 0; i < C; i++) o[i] = tok[i] + at[i];
    }
}

void layernorm(float *out, float *mean, float *rstd, const float *x,
               const float *weight, const float *bias, int T, int C, float eps) {
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * C;
        double sum = 0.0;  /* double: the mean of 1600 floats must not drift */
        for (int i = 0; i < C; i++) sum += xt[i];
        float m = (float)(sum / C);
        double var = 0.0;  /* biased variance, as GPT-2 */
        for (int i = 0; i < C; i++) {
            double d = (double)xt[i] - m;
            var += d * d;
        }
        float s = (float)(1.0 / sqrt(var / C + eps));
        float *o = out + (size_t)t * C;
        for (int i = 0; i < C; i++) o[i] = (xt[i] - m) * s * weight[i] + bias[i];
        if (mean) mean[t] = m;
        if (rstd) rstd[t] = s;
    }
}

/* out[t][o0..o1) += x[t] @ w[:, o0..o1) for one token: streams the weight
 * rows in order (the decode case: memory-bound, so read each byte once). */
static void matvec_accumulate(float *restrict y, const float *restrict x, const float *restrict w,
                              int in, int out_dim, int o0, int o1) {
    for (int i = 0; i < in; i++) {            /* weight row i, in order */
        const float *wi = w + (size_t)i * out_dim;
        float xi = x[i];
        for (int o = o0; o < o1; o++) y[o] += xi * wi[o];   /* this row's term of every output */
    }
}

/* A TILE_T-token x TILE_O-output tile of sums kept in a local array while i
 * runs over the inputs (the prefill case: compute-bound, so each weight
 * loaded serves TILE_T tokens).  Each output still adds its terms in the
 * order i = 0, 1, ..., in-1, exactly as matvec_accumulate does. */
#define TILE_T 12
#define TILE_O 32
static void matmul_tile(float *restrict out, const float *restrict x, const float *restrict w,
                        int in, int out_dim, int t0, int o0) {
    float acc[TILE_T][TILE_O];
    /* Load the tile's running sums (the biases). */
    for (int t = 0; t < TILE_T; t++)
        for (int o = 0; o < TILE_O; o++) acc[t][o] = out[(size_t)(t0 + t) * out_dim + o0 + o];
    /* Add row i's term to every sum of the tile, i in order. */
    for (int i = 0; i < in; i++) {
        const float *wi = w + (size_t)i * out_dim + o0;
        for (int t = 0; t < TILE_T; t++) {
            float xv = x[(size_t)(t0 + t) * in + i];
            for (int o = 0; o < TILE_O; o++) acc[t][o] += xv * wi[o];
        }
    }
    /* Store the finished sums. */
    for (int t = 0; t < TILE_T; t++)
        for (int o = 0; o < TILE_O; o++) out[(size_t)(t0 + t) * out_dim + o0 + o] = acc[t][o];
}

/* Columns per thread when one token streams the weights: each thread reads a
 * contiguous part of every row (all of it without OpenMP), a multiple of 16
 * floats so that no two threads write the same cache line. */
static int strip_width(int out_dim) {
#ifdef _OPENMP
    int strips = omp_get_max_threads();
#else
    int strips = 1;
#endif
    return ((out_dim + strips - 1) / strips + 15) / 16 * 16;
}

void matmul_reference(float *out, const float *x, const float *w, const float *bias,
                      int T, int in, int out_dim) {
    for (int t = 0; t < T; t++)
        for (int o = 0; o < out_dim; o++) {
            float sum = bias ? bias[o] : 0.0f;
            for (int i = 0; i < in; i++) sum += x[(size_t)t * in + i] * w[(size_t)i * out_dim + o];
            out[(size_t)t * out_dim + o] = sum;
        }
}

void matmul(float *restrict out, const float *restrict x, const float *restrict w, const float *restrict bias,
            int T, int in, int out_dim) {
    /* Every sum starts at its bias. */
    for (int t = 0; t < T; t++)
        for (int o = 0; o < out_dim; o++) out[(size_t)t * out_dim + o] = bias ? bias[o] : 0.0f;
    int t_tiled = T - T % TILE_T, o_tiled = out_dim - out_dim % TILE_O;
    /* Full tiles; then the rows and columns left over, one token at a time.
     * Every path sums in the same order, so prefill and decode agree bit for bit. */
#pragma omp parallel for schedule(static)
    for (int o0 = 0; o0 < o_tiled; o0 += TILE_O)
        for (int t0 = 0; t0 < t_tiled; t0 += TILE_T) matmul_tile(out, x, w, in, out_dim, t0, o0);
    for (int t = 0; t < t_tiled; t++)
        matvec_accumulate(out + (size_t)t * out_dim, x + (size_t)t * in, w, in, out_dim, o_tiled, out_dim);
    int width = strip_width(out_dim);
    for (int t = t_tiled; t < T; t++) {
        float *y = out + (size_t)t * out_dim;
        const float *xt = x + (size_t)t * in;
#pragma omp parallel for schedule(static)
        for (int o0 = 0; o0 < out_dim; o0 += width)  /* disjoint column strips, one per thread */
            matvec_accumulate(y, xt, w, in, out_dim, o0, o0 + width < out_dim ? o0 + width : out_dim);
    }
}

float dot(const float *restrict a, const float *restrict b, int n) {
    float part[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) part[k] += a[i + k] * b[i + k];
    for (; i < n; i++) part[i & 15] += a[i] * b[i];
    for (int width = 8; width > 0; width /= 2)  /* pairwise, always in this order */
        for (int k = 0; k < width; k++) part[k] += part[k + width];
    return part[0];
}

void matmul_transposed(float *out, const float *x, const float *w, int T, int C, int V) {
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * C;
        float *y = out + (size_t)t * V;
#pragma omp parallel for schedule(static)
        for (int v = 0; v < V; v++) y[v] = dot(xt, w + (size_t)v * C, C);
    }
}

void gelu(float *out, const float *x, size_t n) {
    const float s = 0.7978845608028654f;  /* sqrt(2/pi) */
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        out[i] = 0.5f * v * (1.0f + tanhf(s * (v + 0.044715f * v * v * v)));
    }
}

void residual_add(float *out, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

double softmax(float *probs, const float *x, int n, double *entropy) {
    float max = x[0];
    for (int i = 1; i < n; i++) if (x[i] > max) max = x[i];
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += exp((double)x[i] - max);
    double log_sum = log(sum), H = 0.0;
    for (int i = 0; i < n; i++) {
        double logp = (double)x[i] - max - log_sum, p = exp(logp);
        if (probs) probs[i] = (float)p;   /* after x[i] is read: probs may alias x */
        if (entropy && p > 0) H -= p * logp;
    }
    if (entropy) *entropy = H;
    return max + log_sum;
}

void attention(float *out, float *probs, float *key_cache, float *value_cache,
               const float *qkv, int T, int pos, int C, int H, int n_ctx) {
    int hs = C / H;
    float scale = 1.0f / sqrtf((float)hs);
    /* First store this call's keys and values: query t may attend to key t. */
    for (int t = 0; t < T; t++)
        for (int h = 0; h < H; h++) {
            const float *k = qkv + (size_t)t * 3 * C + C + h * hs;
            const float *v = qkv + (size_t)t * 3 * C + 2 * C + h * hs;
            memcpy(key_cache + ((size_t)h * n_ctx + pos + t) * hs, k, (size_t)hs * sizeof(float));
            memcpy(value_cache + ((size_t)h * n_ctx + pos + t) * hs, v, (size_t)hs * sizeof(float));
        }
#pragma omp parallel for collapse(2) schedule(static)
    for (int h = 0; h < H; h++)
        for (int t = 0; t < T; t++) {
            const float *q = qkv + (size_t)t * 3 * C + h * hs;
            const float *keys = key_cache + (size_t)h * n_ctx * hs;
            const float *values = value_cache + (size_t)h * n_ctx * hs;
            float *p = probs + ((size_t)h * T + t) * n_ctx;
            int n_keys = pos + t + 1;  /* the causal mask: keys 0..pos+t only */
            for (int j = 0; j < n_keys; j++) p[j] = dot(q, keys + (size_t)j * hs, hs) * scale;
            softmax(p, p, n_keys, NULL);
            for (int j = n_keys; j < n_ctx; j++) p[j] = 0.0f;
            float *o = out + (size_t)t * C + h * hs;
            for (int d = 0; d < hs; d++) o[d] = 0.0f;
            for (int j = 0; j < n_keys; j++) {
                const float *v = values + (size_t)j * hs;
                for (int d = 0; d < hs; d++) o[d] += p[j] * v[d];
            }
        }
}
