/*
 * kernels.c - the math of the forward pass.  See kernels.h for shapes.
 *
 * Speed comes from memory layout, not tricks: matmul streams each weight row
 * once per block of tokens and updates a contiguous row of outputs, a loop
 * compilers vectorise without -ffast-math because every output keeps its own
 * sum in order.  The dot product keeps 16 partial sums, combined in a fixed
 * order, for the same reason.  OpenMP (make OMP=1) only splits loops whose
 * iterations write disjoint outputs, so the thread count never changes a bit.
 */
#include "kernels.h"

#include <math.h>
#include <string.h>

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

/* Tokens are handled in blocks of TOKEN_BLOCK rows so that each weight row,
 * once loaded into cache, serves several tokens (prefill is compute-bound);
 * with T = 1 (decoding) it is a plain streaming matrix-vector product. */
#define TOKEN_BLOCK 4

void matmul(float *out, const float *x, const float *w, const float *bias, int T, int in, int out_dim) {
    for (int t0 = 0; t0 < T; t0 += TOKEN_BLOCK) {
        int nt = T - t0 < TOKEN_BLOCK ? T - t0 : TOKEN_BLOCK;
#pragma omp parallel for schedule(static)
        for (int o0 = 0; o0 < out_dim; o0 += 256) {  /* disjoint column strips: thread-safe, same bits */
            int o1 = o0 + 256 < out_dim ? o0 + 256 : out_dim;
            for (int t = t0; t < t0 + nt; t++) {
                float *y = out + (size_t)t * out_dim;
                for (int o = o0; o < o1; o++) y[o] = bias ? bias[o] : 0.0f;
            }
            for (int i = 0; i < in; i++) {
                const float *wi = w + (size_t)i * out_dim;
                for (int t = t0; t < t0 + nt; t++) {
                    float xi = x[(size_t)t * in + i];
                    float *y = out + (size_t)t * out_dim;
                    for (int o = o0; o < o1; o++) y[o] += xi * wi[o];
                }
            }
        }
    }
}

float dot(const float *a, const float *b, int n) {
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

double softmax(float *probs, const float *x, int n) {
    float max = -INFINITY;
    for (int i = 0; i < n; i++) if (x[i] > max) max = x[i];
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        probs[i] = expf(x[i] - max);
        sum += probs[i];
    }
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++) probs[i] *= inv;
    return log(sum) + max;
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
            softmax(p, p, n_keys);
            for (int j = n_keys; j < n_ctx; j++) p[j] = 0.0f;
            float *o = out + (size_t)t * C + h * hs;
            for (int d = 0; d < hs; d++) o[d] = 0.0f;
            for (int j = 0; j < n_keys; j++) {
                const float *v = values + (size_t)j * hs;
                for (int d = 0; d < hs; d++) o[d] += p[j] * v[d];
            }
        }
}
