/*
 * kernels.c - the math of the forward pass.  See kernels.h for shapes.
 *
 * Speed comes from memory layout, not tricks: decoding streams eight weight
 * rows at a time into a contiguous row of outputs, so each output is loaded
 * and stored once per eight terms; prefill keeps a tile of outputs (8 x 32 in
 * AVX-512 registers, 6 x 16 in AVX2 ones, 12 x 32 in an L1-resident array) so
 * every weight loaded serves several tokens.  Compilers vectorise both without -ffast-math
 * because every output keeps its own sum, in order.  The dot product keeps 16
 * partial sums, combined in a fixed order, for the same reason.  OpenMP
 * (make OMP=1) only splits loops whose iterations write disjoint outputs, so
 * the thread count never changes a bit.
 */
#include "core/kernels.h"

#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void embed(float *out, const int *tokens, Matrix wte, const float *wpe, int T, int pos, int C) {
    for (int t = 0; t < T; t++) {
        size_t tok = (size_t)tokens[t] * C;   /* row tokens[t] of wte */
        const float *at = wpe + (size_t)(pos + t) * C;
        float *o = out + (size_t)t * C;
        for (int i = 0; i < C; i++) o[i] = matrix_element(wte, tok + i) + at[i];
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

/* ======================================================================== */
/* matmul: the plain reference, then the fast one                            */

void matmul_reference(float *out, const float *x, const float *w, const float *bias,
                      int T, int in, int out_dim) {
    for (int t = 0; t < T; t++)
        for (int o = 0; o < out_dim; o++) {
            float sum = bias ? bias[o] : 0.0f;
            for (int i = 0; i < in; i++) sum += x[(size_t)t * in + i] * w[(size_t)i * out_dim + o];
            out[(size_t)t * out_dim + o] = sum;
        }
}

/* The fast matmul adds the same terms in the same order as the reference;
 * only the order in which it visits memory differs.  Its three inner loops
 * (strip, tile, dot; below) are written in plain C for the machine the build
 * targets (SSE2 on any x86-64) and, where GCC or Clang build for x86, again
 * for AVX2 and for AVX-512 (the plain C recompiled where the compiler
 * vectorises it well, intrinsics where it does not), the widest the CPU has
 * chosen at run time.  No FMA on any path: a multiply then an add, each
 * rounded, exactly as the plain C says. */
#if defined(__GNUC__)
#define KERNEL_INLINE static inline __attribute__((always_inline))
#else
#define KERNEL_INLINE static inline
#endif
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(ARGEN_PORTABLE_KERNELS)
#define HAVE_AVX2_PATH 1
#include <cpuid.h>
#include <immintrin.h>
/* The AVX2 path: AVX2 and F16C (the half-precision conversions), which every
 * x86 CPU with AVX2 has; cpu_has_avx2_path() asks for both. */
#define AVX2_TARGET __attribute__((target("avx2,f16c")))
/* The AVX-512 path: the same loops sixteen lanes wide (AVX-512F, which
 * has the half-precision conversion too); asked of the CPU as AVX-512F on
 * top of the AVX2 path. */
#define AVX512_TARGET __attribute__((target("avx512f,avx2,f16c")))
#endif

#define ROWS 8     /* decode: weight rows added per pass over the outputs */
#define TILE_T 12  /* prefill, portable: tokens x outputs of one tile, a local array */
#define TILE_O 32
#define TILE_T_AVX2 6   /* prefill, AVX2: 6 x 16 sums, twelve registers */
#define TILE_O_AVX2 16
#define TILE_T_AVX512 8 /* prefill, AVX-512: 8 x 32 sums, sixteen registers */
#define TILE_O_AVX512 32

/* y[o0..o1) += x @ w[:, o0..o1) for one token (decode: memory-bound, so each
 * weight byte is read once, ROWS rows streaming side by side).  Eight rows
 * read about as fast as the machine streams; 4, 12 or 16 rows, software
 * prefetch, and moving y away from the weights modulo 4 KB measured no
 * faster on GPT-2's shapes. */
KERNEL_INLINE void matvec_strip_body(float *restrict y, const float *restrict x, const float *restrict w,
                                     int in, int out_dim, int o0, int o1) {
    int i = 0;
    for (; i + ROWS <= in; i += ROWS) {       /* rows i..i+7: y[o] is loaded and stored once for eight terms */
        const float *w0 = w + (size_t)i * out_dim;
        const float *w1 = w0 + out_dim, *w2 = w1 + out_dim, *w3 = w2 + out_dim, *w4 = w3 + out_dim;
        const float *w5 = w4 + out_dim, *w6 = w5 + out_dim, *w7 = w6 + out_dim;
        const float *xi = x + i;
        for (int o = o0; o < o1; o++) {
            float s = y[o];
            s += xi[0] * w0[o];               /* still one term at a time, i in order */
            s += xi[1] * w1[o];
            s += xi[2] * w2[o];
            s += xi[3] * w3[o];
            s += xi[4] * w4[o];
            s += xi[5] * w5[o];
            s += xi[6] * w6[o];
            s += xi[7] * w7[o];
            y[o] = s;
        }
    }
    for (; i < in; i++) {                     /* the last in % ROWS rows, one at a time */
        const float *wi = w + (size_t)i * out_dim;
        float xi = x[i];
        for (int o = o0; o < o1; o++) y[o] += xi * wi[o];
    }
}

/* A TILE_T-token x TILE_O-output tile (prefill: compute-bound, so each weight
 * loaded serves TILE_T tokens); the sums live in a local array that stays in
 * the L1 cache, and the compiler vectorises the loop over o. */
static void matmul_tile_portable(float *restrict out, const float *restrict x, const float *restrict w,
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

/* Dot product with 16 partial sums, combined pairwise in a fixed order. */
KERNEL_INLINE float dot_body(const float *restrict a, const float *restrict b, int n) {
    float part[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) part[k] += a[i + k] * b[i + k];
    for (; i < n; i++) part[i & 15] += a[i] * b[i];
    for (int width = 8; width > 0; width /= 2)  /* pairwise, always in this order */
        for (int k = 0; k < width; k++) part[k] += part[k + width];
    return part[0];
}

/* The F32 bodies compiled for each path (their weights as `const void *`, so
 * that one table, KernelLoops below, holds the loops of every weight type). */
static void matvec_strip_portable(float *restrict y, const float *restrict x, const void *restrict w,
                                  int in, int out_dim, int o0, int o1) { matvec_strip_body(y, x, w, in, out_dim, o0, o1); }
static void matmul_tile_f32_portable(float *restrict out, const float *restrict x, const void *restrict w,
                                     int in, int out_dim, int t0, int o0) { matmul_tile_portable(out, x, w, in, out_dim, t0, o0); }
static float dot_portable(const float *restrict a, const void *restrict b, int n) { return dot_body(a, b, n); }

/* Columns per thread when one token streams the weights: each thread takes
 * one contiguous block of columns, the same block of every row (all of it
 * without OpenMP), a multiple of 16 floats so that no two threads write the
 * same cache line.  Every output's sum then runs whole and in order on one
 * thread, whatever the thread count.  A block of rows per thread would read
 * one contiguous stretch of memory, but would split every sum into partial
 * sums added in another order than matmul_reference's. */
static int strip_width(int out_dim) {
#ifdef _OPENMP
    int strips = omp_get_max_threads();
#else
    int strips = 1;
#endif
    return ((out_dim + strips - 1) / strips + 15) / 16 * 16;
}

/* ======================================================================== */
/* Weights in half precision: widen a block, then the same loops             */

/* A half kernel reads each weight as 16 bits and widens it to F32 before
 * its multiply.  Widening is exact, so every sum sees the same terms in the
 * same order as in the F32 loops above: the bits of the F32 kernel on the
 * converted matrix.  What changes is what streams from memory: two bytes per
 * weight instead of four.  The portable loops widen a small block (8 rows of
 * 64 columns, or a tile's row) into an F32 buffer in the L1 cache and run the
 * F32 loop body on it; the AVX2 loops widen 8 weights in a register. */

Matrix matrix_f32(float *w) {
    Matrix m = {WEIGHTS_F32, w, NULL};
    return m;
}

Matrix matrix_half(const uint16_t *w, WeightDType dtype) {
    Matrix m = {dtype, NULL, w};
    return m;
}

const char *weight_dtype_name(WeightDType dtype) {
    return dtype == WEIGHTS_F16 ? "f16" : dtype == WEIGHTS_BF16 ? "bf16" : "f32";
}

/* F16 (1 sign, 5 exponent, 10 mantissa bits) to F32, exactly.  Written
 * with masks instead of branches so that a loop of them vectorises: every
 * case is computed and the right one kept. */
KERNEL_INLINE float f16_widen(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = h & 0x7c00u;
    uint32_t moved = (uint32_t)(h & 0x7fff) << 13;          /* exponent and mantissa at F32's places */
    uint32_t rebias = (uint32_t)(127 - 15) << 23;           /* exponent e -> e + 112 */
    uint32_t special = 0u - (uint32_t)(exp == 0x7c00u);     /* inf, NaN: 31 + 112 + 112 = 255 */
    uint32_t normal = moved + rebias + (special & rebias);
    float tiny = (float)(int)(h & 0x3ff) * 0x1p-24f;         /* exponent 0: mantissa * 2^-24, exact */
    uint32_t tiny_bits, zero_exp = 0u - (uint32_t)(exp == 0);
    memcpy(&tiny_bits, &tiny, 4);
    uint32_t bits = (tiny_bits & zero_exp) | (normal & ~zero_exp) | sign;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

KERNEL_INLINE float bf16_widen(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float f16_to_f32(uint16_t h) { return f16_widen(h); }
float bf16_to_f32(uint16_t h) { return bf16_widen(h); }

float matrix_element(Matrix w, size_t k) {
    switch (w.dtype) {
    case WEIGHTS_F16: return f16_widen(w.half[k]);
    case WEIGHTS_BF16: return bf16_widen(w.half[k]);
    default: return w.f32[k];
    }
}

/* The plain references: matmul_reference and dot with widen(w). */
void matmul_weights_reference(float *out, const float *x, Matrix w, const float *bias, int T, int in, int out_dim) {
    for (int t = 0; t < T; t++)
        for (int o = 0; o < out_dim; o++) {
            float sum = bias ? bias[o] : 0.0f;
            for (int i = 0; i < in; i++) sum += x[(size_t)t * in + i] * matrix_element(w, (size_t)i * out_dim + o);
            out[(size_t)t * out_dim + o] = sum;
        }
}

void matmul_transposed_weights_reference(float *out, const float *x, Matrix w, int T, int C, int V) {
    for (int t = 0; t < T; t++)
        for (int v = 0; v < V; v++) {
            float lane[16] = {0};   /* lane k sums the terms i = k mod 16, in order */
            for (int i = 0; i < C; i++) lane[i % 16] += x[(size_t)t * C + i] * matrix_element(w, (size_t)v * C + i);
            for (int width = 8; width > 0; width /= 2)
                for (int k = 0; k < width; k++) lane[k] += lane[k + width];
            out[(size_t)t * V + v] = lane[0];
        }
}

#define WIDEN_COLS 64   /* portable decode and dot: columns widened per row and pass (8 rows: a 2 KB buffer) */

/* dst[0..n) = widen(src[0..n)). */
typedef void (*WidenFn)(float *restrict dst, const uint16_t *restrict src, int n);

static void widen_f16_portable(float *restrict dst, const uint16_t *restrict src, int n) {
    for (int k = 0; k < n; k++) dst[k] = f16_widen(src[k]);
}
static void widen_bf16_portable(float *restrict dst, const uint16_t *restrict src, int n) {
    for (int k = 0; k < n; k++) dst[k] = bf16_widen(src[k]);
}

/* Portable decode: rows i..i+7 of columns c..c+63 widened, then matvec_strip_body on them. */
KERNEL_INLINE void matvec_strip_half_body(float *restrict y, const float *restrict x, const uint16_t *restrict w,
                                          int in, int out_dim, int o0, int o1, WidenFn widen) {
    float buf[ROWS * WIDEN_COLS];
    for (int i = 0; i < in; i += ROWS) {
        int rows = in - i < ROWS ? in - i : ROWS;
        for (int c = o0; c < o1; c += WIDEN_COLS) {
            int n = o1 - c < WIDEN_COLS ? o1 - c : WIDEN_COLS;
            for (int r = 0; r < rows; r++) widen(buf + r * n, w + (size_t)(i + r) * out_dim + c, n);
            matvec_strip_body(y + c, x + i, buf, rows, n, 0, n);   /* buf is rows x n, laid out [rows, n] */
        }
    }
}

/* Prefill, portable: matmul_tile_portable with row i's TILE_O weights widened first. */
KERNEL_INLINE void matmul_tile_half_body(float *restrict out, const float *restrict x, const uint16_t *restrict w,
                                         int in, int out_dim, int t0, int o0, WidenFn widen) {
    float acc[TILE_T][TILE_O], wi[TILE_O];
    for (int t = 0; t < TILE_T; t++)
        for (int o = 0; o < TILE_O; o++) acc[t][o] = out[(size_t)(t0 + t) * out_dim + o0 + o];
    for (int i = 0; i < in; i++) {
        widen(wi, w + (size_t)i * out_dim + o0, TILE_O);
        for (int t = 0; t < TILE_T; t++) {
            float xv = x[(size_t)(t0 + t) * in + i];
            for (int o = 0; o < TILE_O; o++) acc[t][o] += xv * wi[o];
        }
    }
    for (int t = 0; t < TILE_T; t++)
        for (int o = 0; o < TILE_O; o++) out[(size_t)(t0 + t) * out_dim + o0 + o] = acc[t][o];
}

/* Portable unembedding: dot_body over b widened 64 at a time (64 is a multiple of
 * 16, so term i still lands in lane i mod 16). */
KERNEL_INLINE float dot_half_body(const float *restrict a, const uint16_t *restrict b, int n, WidenFn widen) {
    float part[16] = {0}, bw[WIDEN_COLS];
    for (int i0 = 0; i0 < n; i0 += WIDEN_COLS) {
        int m = n - i0 < WIDEN_COLS ? n - i0 : WIDEN_COLS;
        const float *ai = a + i0;
        widen(bw, b + i0, m);
        int i = 0;
        for (; i + 16 <= m; i += 16)
            for (int k = 0; k < 16; k++) part[k] += ai[i + k] * bw[i + k];
        for (; i < m; i++) part[i & 15] += ai[i] * bw[i];
    }
    for (int width = 8; width > 0; width /= 2)
        for (int k = 0; k < width; k++) part[k] += part[k + width];
    return part[0];
}

/* The half bodies compiled for the portable path, one per type. */
static void matvec_strip_f16_portable(float *restrict y, const float *restrict x, const void *restrict w,
                                      int in, int out_dim, int o0, int o1) {
    matvec_strip_half_body(y, x, w, in, out_dim, o0, o1, widen_f16_portable);
}
static void matvec_strip_bf16_portable(float *restrict y, const float *restrict x, const void *restrict w,
                                       int in, int out_dim, int o0, int o1) {
    matvec_strip_half_body(y, x, w, in, out_dim, o0, o1, widen_bf16_portable);
}
static void matmul_tile_f16_portable(float *restrict out, const float *restrict x, const void *restrict w,
                                     int in, int out_dim, int t0, int o0) {
    matmul_tile_half_body(out, x, w, in, out_dim, t0, o0, widen_f16_portable);
}
static void matmul_tile_bf16_portable(float *restrict out, const float *restrict x, const void *restrict w,
                                      int in, int out_dim, int t0, int o0) {
    matmul_tile_half_body(out, x, w, in, out_dim, t0, o0, widen_bf16_portable);
}
static float dot_f16_portable(const float *restrict a, const void *restrict b, int n) {
    return dot_half_body(a, b, n, widen_f16_portable);
}
static float dot_bf16_portable(const float *restrict a, const void *restrict b, int n) {
    return dot_half_body(a, b, n, widen_bf16_portable);
}

#ifdef HAVE_AVX2_PATH
/* On the AVX2 path the weights are widened in registers, eight at a time,
 * right before their multiply: F16C's vcvtph2ps for F16 (exact), a 16-bit
 * shift for BF16.  Otherwise the loops are matvec_strip_body, matmul_tile_avx2
 * and dot_body, term for term. */

AVX2_TARGET KERNEL_INLINE __m256 widen8(const uint16_t *p, WeightDType dtype) {
    __m128i h = _mm_loadu_si128((const __m128i *)p);
    if (dtype == WEIGHTS_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

KERNEL_INLINE float widen1(uint16_t h, WeightDType dtype) { return dtype == WEIGHTS_F16 ? f16_widen(h) : bf16_widen(h); }

/* A hint to fetch the cache lines holding column o of ROWS rows of half weights. */
KERNEL_INLINE void prefetch_rows(const uint16_t *rows, size_t out_dim, int o) {
    for (int r = 0; r < ROWS; r++) _mm_prefetch((const char *)(rows + r * out_dim + o), _MM_HINT_T0);
}

/* matvec_strip_body: rows i..i+7 added to eight outputs per register. */
AVX2_TARGET KERNEL_INLINE void matvec_strip_half_avx2(float *restrict y, const float *restrict x,
                                                     const uint16_t *restrict w, int in, int out_dim,
                                                     int o0, int o1, WeightDType dtype) {
    int i = 0;
    for (; i + ROWS <= in; i += ROWS) {
        const uint16_t *w0 = w + (size_t)i * out_dim;
        const uint16_t *w1 = w0 + out_dim, *w2 = w1 + out_dim, *w3 = w2 + out_dim, *w4 = w3 + out_dim;
        const uint16_t *w5 = w4 + out_dim, *w6 = w5 + out_dim, *w7 = w6 + out_dim;
        const float *xi = x + i;
        __m256 x0 = _mm256_set1_ps(xi[0]), x1 = _mm256_set1_ps(xi[1]), x2 = _mm256_set1_ps(xi[2]);
        __m256 x3 = _mm256_set1_ps(xi[3]), x4 = _mm256_set1_ps(xi[4]), x5 = _mm256_set1_ps(xi[5]);
        __m256 x6 = _mm256_set1_ps(xi[6]), x7 = _mm256_set1_ps(xi[7]);
        const uint16_t *next = i + 2 * ROWS <= in ? w0 + ROWS * (size_t)out_dim : NULL;   /* see matvec_strip_avx512_body */
        int o = o0;
        for (; o + 8 <= o1; o += 8) {
            if (next && (o - o0) % 32 == 0) prefetch_rows(next, out_dim, o);
            __m256 s = _mm256_loadu_ps(y + o);
            s = _mm256_add_ps(s, _mm256_mul_ps(x0, widen8(w0 + o, dtype)));
            s = _mm256_add_ps(s, _mm256_mul_ps(x1, widen8(w1 + o, dtype)));
            s = _mm256_add_ps(s, _mm256_mul_ps(x2, widen8(w2 + o, dtype)));
            s = _mm256_add_ps(s, _mm256_mul_ps(x3, widen8(w3 + o, dtype)));
            s = _mm256_add_ps(s, _mm256_mul_ps(x4, widen8(w4 + o, dtype)));
            s = _mm256_add_ps(s, _mm256_mul_ps(x5, widen8(w5 + o, dtype)));
            s = _mm256_add_ps(s, _mm256_mul_ps(x6, widen8(w6 + o, dtype)));
            s = _mm256_add_ps(s, _mm256_mul_ps(x7, widen8(w7 + o, dtype)));
            _mm256_storeu_ps(y + o, s);
        }
        for (; o < o1; o++) {                 /* the last o1 - o0 mod 8 outputs, one at a time */
            float s = y[o];
            s += xi[0] * widen1(w0[o], dtype);
            s += xi[1] * widen1(w1[o], dtype);
            s += xi[2] * widen1(w2[o], dtype);
            s += xi[3] * widen1(w3[o], dtype);
            s += xi[4] * widen1(w4[o], dtype);
            s += xi[5] * widen1(w5[o], dtype);
            s += xi[6] * widen1(w6[o], dtype);
            s += xi[7] * widen1(w7[o], dtype);
            y[o] = s;
        }
    }
    for (; i < in; i++) {                     /* the last in % ROWS rows, one at a time */
        const uint16_t *wi = w + (size_t)i * out_dim;
        __m256 xv = _mm256_set1_ps(x[i]);
        int o = o0;
        for (; o + 8 <= o1; o += 8)
            _mm256_storeu_ps(y + o, _mm256_add_ps(_mm256_loadu_ps(y + o), _mm256_mul_ps(xv, widen8(wi + o, dtype))));
        for (; o < o1; o++) y[o] += x[i] * widen1(wi[o], dtype);
    }
}

/* Eight weights of row-major w from element k, as F32. */
AVX2_TARGET KERNEL_INLINE __m256 load8(const void *w, size_t k, WeightDType dtype) {
    if (dtype == WEIGHTS_F32) return _mm256_loadu_ps((const float *)w + k);
    return widen8((const uint16_t *)w + k, dtype);
}

/* A 6 x 16 tile spelled out in AVX2 intrinsics, because compilers do not
 * keep an array of 96 sums in registers: two registers of 8 sums per token,
 * held while i runs over all the inputs, the same multiply then add per term
 * as matmul_tile_portable.  Row i's 16 weights are loaded (F32) or widened
 * (F16, BF16) as they are read. */
AVX2_TARGET KERNEL_INLINE void matmul_tile_avx2_body(float *restrict out, const float *restrict x,
                                                    const void *restrict w, int in, int out_dim,
                                                    int t0, int o0, WeightDType dtype) {
    float *o = out + (size_t)t0 * out_dim + o0;
    const float *xt = x + (size_t)t0 * in;
    __m256 a00 = _mm256_loadu_ps(o + 0 * (size_t)out_dim), a01 = _mm256_loadu_ps(o + 0 * (size_t)out_dim + 8);
    __m256 a10 = _mm256_loadu_ps(o + 1 * (size_t)out_dim), a11 = _mm256_loadu_ps(o + 1 * (size_t)out_dim + 8);
    __m256 a20 = _mm256_loadu_ps(o + 2 * (size_t)out_dim), a21 = _mm256_loadu_ps(o + 2 * (size_t)out_dim + 8);
    __m256 a30 = _mm256_loadu_ps(o + 3 * (size_t)out_dim), a31 = _mm256_loadu_ps(o + 3 * (size_t)out_dim + 8);
    __m256 a40 = _mm256_loadu_ps(o + 4 * (size_t)out_dim), a41 = _mm256_loadu_ps(o + 4 * (size_t)out_dim + 8);
    __m256 a50 = _mm256_loadu_ps(o + 5 * (size_t)out_dim), a51 = _mm256_loadu_ps(o + 5 * (size_t)out_dim + 8);
    for (int i = 0; i < in; i++) {            /* row i's term of all 96 sums, i in order */
        size_t wi = (size_t)i * out_dim + o0;
        __m256 w0 = load8(w, wi, dtype), w1 = load8(w, wi + 8, dtype), xv;
        xv = _mm256_set1_ps(xt[0 * (size_t)in + i]);
        a00 = _mm256_add_ps(a00, _mm256_mul_ps(xv, w0)); a01 = _mm256_add_ps(a01, _mm256_mul_ps(xv, w1));
        xv = _mm256_set1_ps(xt[1 * (size_t)in + i]);
        a10 = _mm256_add_ps(a10, _mm256_mul_ps(xv, w0)); a11 = _mm256_add_ps(a11, _mm256_mul_ps(xv, w1));
        xv = _mm256_set1_ps(xt[2 * (size_t)in + i]);
        a20 = _mm256_add_ps(a20, _mm256_mul_ps(xv, w0)); a21 = _mm256_add_ps(a21, _mm256_mul_ps(xv, w1));
        xv = _mm256_set1_ps(xt[3 * (size_t)in + i]);
        a30 = _mm256_add_ps(a30, _mm256_mul_ps(xv, w0)); a31 = _mm256_add_ps(a31, _mm256_mul_ps(xv, w1));
        xv = _mm256_set1_ps(xt[4 * (size_t)in + i]);
        a40 = _mm256_add_ps(a40, _mm256_mul_ps(xv, w0)); a41 = _mm256_add_ps(a41, _mm256_mul_ps(xv, w1));
        xv = _mm256_set1_ps(xt[5 * (size_t)in + i]);
        a50 = _mm256_add_ps(a50, _mm256_mul_ps(xv, w0)); a51 = _mm256_add_ps(a51, _mm256_mul_ps(xv, w1));
    }
    _mm256_storeu_ps(o + 0 * (size_t)out_dim, a00); _mm256_storeu_ps(o + 0 * (size_t)out_dim + 8, a01);
    _mm256_storeu_ps(o + 1 * (size_t)out_dim, a10); _mm256_storeu_ps(o + 1 * (size_t)out_dim + 8, a11);
    _mm256_storeu_ps(o + 2 * (size_t)out_dim, a20); _mm256_storeu_ps(o + 2 * (size_t)out_dim + 8, a21);
    _mm256_storeu_ps(o + 3 * (size_t)out_dim, a30); _mm256_storeu_ps(o + 3 * (size_t)out_dim + 8, a31);
    _mm256_storeu_ps(o + 4 * (size_t)out_dim, a40); _mm256_storeu_ps(o + 4 * (size_t)out_dim + 8, a41);
    _mm256_storeu_ps(o + 5 * (size_t)out_dim, a50); _mm256_storeu_ps(o + 5 * (size_t)out_dim + 8, a51);
}

/* dot_body: lanes 0..7 and 8..15 of the 16 partial sums in two registers. */
AVX2_TARGET KERNEL_INLINE float dot_half_avx2(const float *restrict a, const uint16_t *restrict b, int n,
                                             WeightDType dtype) {
    __m256 p0 = _mm256_setzero_ps(), p1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        p0 = _mm256_add_ps(p0, _mm256_mul_ps(_mm256_loadu_ps(a + i), widen8(b + i, dtype)));
        p1 = _mm256_add_ps(p1, _mm256_mul_ps(_mm256_loadu_ps(a + i + 8), widen8(b + i + 8, dtype)));
    }
    float part[16];
    _mm256_storeu_ps(part, p0);
    _mm256_storeu_ps(part + 8, p1);
    for (; i < n; i++) part[i & 15] += a[i] * widen1(b[i], dtype);
    for (int width = 8; width > 0; width /= 2)
        for (int k = 0; k < width; k++) part[k] += part[k + width];
    return part[0];
}

/* The bodies compiled for the AVX2 path, one per type.  The F32 strip and
 * dot are the plain C of the portable path, compiled for AVX2. */
AVX2_TARGET static void matvec_strip_avx2(float *restrict y, const float *restrict x, const void *restrict w,
                                          int in, int out_dim, int o0, int o1) { matvec_strip_body(y, x, w, in, out_dim, o0, o1); }
AVX2_TARGET static void matvec_strip_f16_avx2(float *restrict y, const float *restrict x, const void *restrict w,
                                              int in, int out_dim, int o0, int o1) {
    matvec_strip_half_avx2(y, x, w, in, out_dim, o0, o1, WEIGHTS_F16);
}
AVX2_TARGET static void matvec_strip_bf16_avx2(float *restrict y, const float *restrict x, const void *restrict w,
                                               int in, int out_dim, int o0, int o1) {
    matvec_strip_half_avx2(y, x, w, in, out_dim, o0, o1, WEIGHTS_BF16);
}
AVX2_TARGET static void matmul_tile_avx2(float *restrict out, const float *restrict x, const void *restrict w,
                                         int in, int out_dim, int t0, int o0) {
    matmul_tile_avx2_body(out, x, w, in, out_dim, t0, o0, WEIGHTS_F32);
}
AVX2_TARGET static void matmul_tile_f16_avx2(float *restrict out, const float *restrict x, const void *restrict w,
                                             int in, int out_dim, int t0, int o0) {
    matmul_tile_avx2_body(out, x, w, in, out_dim, t0, o0, WEIGHTS_F16);
}
AVX2_TARGET static void matmul_tile_bf16_avx2(float *restrict out, const float *restrict x, const void *restrict w,
                                              int in, int out_dim, int t0, int o0) {
    matmul_tile_avx2_body(out, x, w, in, out_dim, t0, o0, WEIGHTS_BF16);
}
AVX2_TARGET static float dot_avx2(const float *restrict a, const void *restrict b, int n) { return dot_body(a, b, n); }
AVX2_TARGET static float dot_f16_avx2(const float *restrict a, const void *restrict b, int n) {
    return dot_half_avx2(a, b, n, WEIGHTS_F16);
}
AVX2_TARGET static float dot_bf16_avx2(const float *restrict a, const void *restrict b, int n) {
    return dot_half_avx2(a, b, n, WEIGHTS_BF16);
}

/* The AVX-512 path: matvec_strip_body and dot_body again, sixteen outputs
 * (or dot's sixteen partial sums, lane for lane) in one register, each
 * weight loaded or widened sixteen at a time.  Multiply, then add: AVX-512
 * could fuse them, but a fused multiply-add rounds once, not twice. */

/* Element k of row-major w as F32. */
KERNEL_INLINE float element(const void *w, size_t k, WeightDType dtype) {
    if (dtype == WEIGHTS_F32) return ((const float *)w)[k];
    return widen1(((const uint16_t *)w)[k], dtype);
}

/* Sixteen weights of row-major w from element k, as F32. */
AVX512_TARGET KERNEL_INLINE __m512 load16(const void *w, size_t k, WeightDType dtype) {
    if (dtype == WEIGHTS_F32) return _mm512_loadu_ps((const float *)w + k);
    __m256i h = _mm256_loadu_si256((const __m256i *)((const uint16_t *)w + k));
    if (dtype == WEIGHTS_F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

AVX512_TARGET KERNEL_INLINE void matvec_strip_avx512_body(float *restrict y, const float *restrict x,
                                                         const void *restrict w, int in, int out_dim,
                                                         int o0, int o1, WeightDType dtype) {
    int i = 0;
    for (; i + ROWS <= in; i += ROWS) {       /* rows i..i+7 into sixteen outputs per register */
        size_t r0 = (size_t)i * out_dim, r1 = r0 + out_dim, r2 = r1 + out_dim, r3 = r2 + out_dim;
        size_t r4 = r3 + out_dim, r5 = r4 + out_dim, r6 = r5 + out_dim, r7 = r6 + out_dim;
        const float *xi = x + i;
        __m512 x0 = _mm512_set1_ps(xi[0]), x1 = _mm512_set1_ps(xi[1]), x2 = _mm512_set1_ps(xi[2]);
        __m512 x3 = _mm512_set1_ps(xi[3]), x4 = _mm512_set1_ps(xi[4]), x5 = _mm512_set1_ps(xi[5]);
        __m512 x6 = _mm512_set1_ps(xi[6]), x7 = _mm512_set1_ps(xi[7]);
        /* Half rows are half as many bytes, and the CPU's prefetcher learns
         * every row anew, so it runs ahead over less of each: name the next
         * pass's cache lines (the same columns of rows i+8..i+15) as this
         * pass reads its own (F16 decode on GPT-2's shape: 15-35 % faster;
         * F32 rows, twice as long, ran slower with it). */
        const uint16_t *next = dtype != WEIGHTS_F32 && i + 2 * ROWS <= in ? (const uint16_t *)w + r0 + ROWS * (size_t)out_dim : NULL;
        int o = o0;
        for (; o + 16 <= o1; o += 16) {
            if (next && (o - o0) % 32 == 0) prefetch_rows(next, out_dim, o);   /* 32 halves: a 64-byte line */
            __m512 s = _mm512_loadu_ps(y + o);
            s = _mm512_add_ps(s, _mm512_mul_ps(x0, load16(w, r0 + o, dtype)));
            s = _mm512_add_ps(s, _mm512_mul_ps(x1, load16(w, r1 + o, dtype)));
            s = _mm512_add_ps(s, _mm512_mul_ps(x2, load16(w, r2 + o, dtype)));
            s = _mm512_add_ps(s, _mm512_mul_ps(x3, load16(w, r3 + o, dtype)));
            s = _mm512_add_ps(s, _mm512_mul_ps(x4, load16(w, r4 + o, dtype)));
            s = _mm512_add_ps(s, _mm512_mul_ps(x5, load16(w, r5 + o, dtype)));
            s = _mm512_add_ps(s, _mm512_mul_ps(x6, load16(w, r6 + o, dtype)));
            s = _mm512_add_ps(s, _mm512_mul_ps(x7, load16(w, r7 + o, dtype)));
            _mm512_storeu_ps(y + o, s);
        }
        for (; o < o1; o++) {                 /* the last o1 - o0 mod 16 outputs, one at a time */
            float s = y[o];
            s += xi[0] * element(w, r0 + o, dtype);
            s += xi[1] * element(w, r1 + o, dtype);
            s += xi[2] * element(w, r2 + o, dtype);
            s += xi[3] * element(w, r3 + o, dtype);
            s += xi[4] * element(w, r4 + o, dtype);
            s += xi[5] * element(w, r5 + o, dtype);
            s += xi[6] * element(w, r6 + o, dtype);
            s += xi[7] * element(w, r7 + o, dtype);
            y[o] = s;
        }
    }
    for (; i < in; i++) {                     /* the last in % ROWS rows, one at a time */
        size_t ri = (size_t)i * out_dim;
        __m512 xv = _mm512_set1_ps(x[i]);
        int o = o0;
        for (; o + 16 <= o1; o += 16)
            _mm512_storeu_ps(y + o, _mm512_add_ps(_mm512_loadu_ps(y + o), _mm512_mul_ps(xv, load16(w, ri + o, dtype))));
        for (; o < o1; o++) y[o] += x[i] * element(w, ri + o, dtype);
    }
}

/* Prefill: an 8-token x 32-output tile, sixteen sums per register, two
 * registers per token, held while i runs over all the inputs; the same
 * multiply then add per term as matmul_tile_portable.  Written with small
 * arrays of registers, every loop over them of fixed length, which the
 * compiler unrolls and keeps in the 32 registers AVX-512 has. */
AVX512_TARGET KERNEL_INLINE void matmul_tile_avx512_body(float *restrict out, const float *restrict x,
                                                        const void *restrict w, int in, int out_dim,
                                                        int t0, int o0, WeightDType dtype) {
    float *o = out + (size_t)t0 * out_dim + o0;
    const float *xt = x + (size_t)t0 * in;
    __m512 acc[TILE_T_AVX512][2];
#pragma GCC unroll 8
    for (int t = 0; t < TILE_T_AVX512; t++) {
        acc[t][0] = _mm512_loadu_ps(o + (size_t)t * out_dim);
        acc[t][1] = _mm512_loadu_ps(o + (size_t)t * out_dim + 16);
    }
    for (int i = 0; i < in; i++) {            /* row i's term of all 256 sums, i in order */
        size_t wi = (size_t)i * out_dim + o0;
        __m512 w0 = load16(w, wi, dtype), w1 = load16(w, wi + 16, dtype);
#pragma GCC unroll 8
        for (int t = 0; t < TILE_T_AVX512; t++) {
            __m512 xv = _mm512_set1_ps(xt[(size_t)t * in + i]);
            acc[t][0] = _mm512_add_ps(acc[t][0], _mm512_mul_ps(xv, w0));
            acc[t][1] = _mm512_add_ps(acc[t][1], _mm512_mul_ps(xv, w1));
        }
    }
#pragma GCC unroll 8
    for (int t = 0; t < TILE_T_AVX512; t++) {
        _mm512_storeu_ps(o + (size_t)t * out_dim, acc[t][0]);
        _mm512_storeu_ps(o + (size_t)t * out_dim + 16, acc[t][1]);
    }
}

/* dot_body's sixteen partial sums are the sixteen lanes of one register. */
AVX512_TARGET KERNEL_INLINE float dot_avx512_body(const float *restrict a, const void *restrict b, int n,
                                                 WeightDType dtype) {
    __m512 p = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) p = _mm512_add_ps(p, _mm512_mul_ps(_mm512_loadu_ps(a + i), load16(b, i, dtype)));
    if (i == n) {                             /* no remainder: combine the lanes in registers, in the same order */
        __m256 h = _mm256_add_ps(_mm512_castps512_ps256(p),               /* lanes k + (k + 8) */
                                 _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(p), 1)));
        __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));   /* k + (k + 4) */
        q = _mm_add_ps(q, _mm_movehl_ps(q, q));                          /* k + (k + 2) */
        q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));                      /* 0 + 1 */
        return _mm_cvtss_f32(q);
    }
    float part[16];
    _mm512_storeu_ps(part, p);
    for (; i < n; i++) part[i & 15] += a[i] * element(b, i, dtype);
    for (int width = 8; width > 0; width /= 2)
        for (int k = 0; k < width; k++) part[k] += part[k + width];
    return part[0];
}

AVX512_TARGET static void matvec_strip_avx512(float *restrict y, const float *restrict x, const void *restrict w,
                                              int in, int out_dim, int o0, int o1) {
    matvec_strip_avx512_body(y, x, w, in, out_dim, o0, o1, WEIGHTS_F32);
}
AVX512_TARGET static void matvec_strip_f16_avx512(float *restrict y, const float *restrict x, const void *restrict w,
                                                  int in, int out_dim, int o0, int o1) {
    matvec_strip_avx512_body(y, x, w, in, out_dim, o0, o1, WEIGHTS_F16);
}
AVX512_TARGET static void matvec_strip_bf16_avx512(float *restrict y, const float *restrict x, const void *restrict w,
                                                   int in, int out_dim, int o0, int o1) {
    matvec_strip_avx512_body(y, x, w, in, out_dim, o0, o1, WEIGHTS_BF16);
}
AVX512_TARGET static void matmul_tile_avx512(float *restrict out, const float *restrict x, const void *restrict w,
                                             int in, int out_dim, int t0, int o0) {
    matmul_tile_avx512_body(out, x, w, in, out_dim, t0, o0, WEIGHTS_F32);
}
AVX512_TARGET static void matmul_tile_f16_avx512(float *restrict out, const float *restrict x, const void *restrict w,
                                                 int in, int out_dim, int t0, int o0) {
    matmul_tile_avx512_body(out, x, w, in, out_dim, t0, o0, WEIGHTS_F16);
}
AVX512_TARGET static void matmul_tile_bf16_avx512(float *restrict out, const float *restrict x, const void *restrict w,
                                                  int in, int out_dim, int t0, int o0) {
    matmul_tile_avx512_body(out, x, w, in, out_dim, t0, o0, WEIGHTS_BF16);
}
AVX512_TARGET static float dot_avx512(const float *restrict a, const void *restrict b, int n) {
    return dot_avx512_body(a, b, n, WEIGHTS_F32);
}
AVX512_TARGET static float dot_f16_avx512(const float *restrict a, const void *restrict b, int n) {
    return dot_avx512_body(a, b, n, WEIGHTS_F16);
}
AVX512_TARGET static float dot_bf16_avx512(const float *restrict a, const void *restrict b, int n) {
    return dot_avx512_body(a, b, n, WEIGHTS_BF16);
}

/* AVX2 and F16C (bit 29 of ECX for CPUID leaf 1; every x86 CPU with AVX2
 * has it), asked once: CPUID traps to the hypervisor on a virtual machine,
 * tens of microseconds a call.  F16C is asked directly, as not every
 * compiler's __builtin_cpu_supports knows its name. */
static int cpu_has_avx2_path(void) {
    static int known = -1;   /* -1: not asked yet; every thread would write the same answer */
    if (known < 0) {
        unsigned a, b, c, d;
        known = __builtin_cpu_supports("avx2") && __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
    }
    return known;
}

static int cpu_has_avx512_path(void) {
    static int known = -1;
    if (known < 0) known = cpu_has_avx2_path() && __builtin_cpu_supports("avx512f");
    return known;
}
#endif

/* ======================================================================== */
/* One table of loops per path and weight type, and the matmuls over them    */

typedef struct {
    void (*matvec_strip)(float *restrict y, const float *restrict x, const void *restrict w,
                         int in, int out_dim, int o0, int o1);
    void (*matmul_tile)(float *restrict out, const float *restrict x, const void *restrict w,
                        int in, int out_dim, int t0, int o0);
    float (*dot)(const float *restrict a, const void *restrict b, int n);
    int tile_t, tile_o;   /* matmul_tile's tokens x outputs */
} KernelLoops;

static KernelLoops kernel_loops(KernelPath path, WeightDType dtype) {
#ifdef HAVE_AVX2_PATH
    if (path == KERNEL_AVX512 && cpu_has_avx512_path()) {
        if (dtype == WEIGHTS_F16)
            return (KernelLoops){matvec_strip_f16_avx512, matmul_tile_f16_avx512, dot_f16_avx512, TILE_T_AVX512, TILE_O_AVX512};
        if (dtype == WEIGHTS_BF16)
            return (KernelLoops){matvec_strip_bf16_avx512, matmul_tile_bf16_avx512, dot_bf16_avx512, TILE_T_AVX512, TILE_O_AVX512};
        return (KernelLoops){matvec_strip_avx512, matmul_tile_avx512, dot_avx512, TILE_T_AVX512, TILE_O_AVX512};
    }
    if (path >= KERNEL_AVX2 && cpu_has_avx2_path()) {
        if (dtype == WEIGHTS_F16)
            return (KernelLoops){matvec_strip_f16_avx2, matmul_tile_f16_avx2, dot_f16_avx2, TILE_T_AVX2, TILE_O_AVX2};
        if (dtype == WEIGHTS_BF16)
            return (KernelLoops){matvec_strip_bf16_avx2, matmul_tile_bf16_avx2, dot_bf16_avx2, TILE_T_AVX2, TILE_O_AVX2};
        return (KernelLoops){matvec_strip_avx2, matmul_tile_avx2, dot_avx2, TILE_T_AVX2, TILE_O_AVX2};
    }
#endif
    (void)path;
    if (dtype == WEIGHTS_F16)
        return (KernelLoops){matvec_strip_f16_portable, matmul_tile_f16_portable, dot_f16_portable, TILE_T, TILE_O};
    if (dtype == WEIGHTS_BF16)
        return (KernelLoops){matvec_strip_bf16_portable, matmul_tile_bf16_portable, dot_bf16_portable, TILE_T, TILE_O};
    return (KernelLoops){matvec_strip_portable, matmul_tile_f32_portable, dot_portable, TILE_T, TILE_O};
}

KernelPath kernel_path(void) {
#ifdef HAVE_AVX2_PATH
    if (cpu_has_avx512_path()) return KERNEL_AVX512;
    if (cpu_has_avx2_path()) return KERNEL_AVX2;
#endif
    return KERNEL_PORTABLE;
}

const char *kernel_path_name(KernelPath path) {
    return path == KERNEL_AVX512 ? "avx512" : path == KERNEL_AVX2 ? "avx2" : "portable";
}

/* out = x @ w + bias with one path's loops; w's elements as the loops read them. */
static void matmul_loops(KernelLoops k, float *restrict out, const float *restrict x, const void *restrict w,
                         const float *restrict bias, int T, int in, int out_dim) {
    /* Every sum starts at its bias. */
    for (int t = 0; t < T; t++)
        for (int o = 0; o < out_dim; o++) out[(size_t)t * out_dim + o] = bias ? bias[o] : 0.0f;
    int t_tiled = T - T % k.tile_t, o_tiled = out_dim - out_dim % k.tile_o;
    /* Full tiles, a column strip per thread (no threads woken when no
     * tile is full, as in decode) ... */
#pragma omp parallel for schedule(static) if (t_tiled > 0)
    for (int o0 = 0; o0 < o_tiled; o0 += k.tile_o)
        for (int t0 = 0; t0 < t_tiled; t0 += k.tile_t) k.matmul_tile(out, x, w, in, out_dim, t0, o0);
    /* ... the columns right of the last tile for the tiled tokens ... */
    for (int t = 0; t < t_tiled && o_tiled < out_dim; t++)
        k.matvec_strip(out + (size_t)t * out_dim, x + (size_t)t * in, w, in, out_dim, o_tiled, out_dim);
    /* ... and the tokens below the last tile (all of decode), one at a time. */
    int width = strip_width(out_dim);
    for (int t = t_tiled; t < T; t++) {
        float *y = out + (size_t)t * out_dim;
        const float *xt = x + (size_t)t * in;
#pragma omp parallel for schedule(static)
        for (int o0 = 0; o0 < out_dim; o0 += width)  /* disjoint column strips, one per thread */
            k.matvec_strip(y, xt, w, in, out_dim, o0, o0 + width < out_dim ? o0 + width : out_dim);
    }
}

/* out[t][v] = x[t] . w[v] with one path's loops; a row of w is row_bytes. */
static void matmul_transposed_loops(KernelLoops k, float *out, const float *x, const void *w, size_t row_bytes,
                                    int T, int C, int V) {
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * C;
        float *y = out + (size_t)t * V;
        /* Rows in chunks of 512, each taken by whichever thread is free:
         * one thread slowed by other work then holds up less of the step,
         * and every logit is still one whole dot, whoever computes it. */
#pragma omp parallel for schedule(dynamic, 512)
        for (int v = 0; v < V; v++) y[v] = k.dot(xt, (const char *)w + (size_t)v * row_bytes, C);
    }
}

/* The matrix's elements as the loops read them, and the bytes of one. */
static const void *matrix_data(Matrix w) { return w.dtype == WEIGHTS_F32 ? (const void *)w.f32 : (const void *)w.half; }
static size_t element_bytes(WeightDType dtype) { return dtype == WEIGHTS_F32 ? sizeof(float) : sizeof(uint16_t); }

void matmul_on(KernelPath path, float *restrict out, const float *restrict x, const float *restrict w,
               const float *restrict bias, int T, int in, int out_dim) {
    matmul_loops(kernel_loops(path, WEIGHTS_F32), out, x, w, bias, T, in, out_dim);
}

void matmul(float *restrict out, const float *restrict x, const float *restrict w, const float *restrict bias,
            int T, int in, int out_dim) {
    matmul_on(kernel_path(), out, x, w, bias, T, in, out_dim);
}

float dot(const float *restrict a, const float *restrict b, int n) {
    return kernel_loops(kernel_path(), WEIGHTS_F32).dot(a, b, n);
}

void matmul_transposed_on(KernelPath path, float *out, const float *x, const float *w, int T, int C, int V) {
    matmul_transposed_loops(kernel_loops(path, WEIGHTS_F32), out, x, w, (size_t)C * sizeof(float), T, C, V);
}

void matmul_transposed(float *out, const float *x, const float *w, int T, int C, int V) {
    matmul_transposed_on(kernel_path(), out, x, w, T, C, V);
}

void matmul_weights_on(KernelPath path, float *out, const float *x, Matrix w, const float *bias,
                       int T, int in, int out_dim) {
    matmul_loops(kernel_loops(path, w.dtype), out, x, matrix_data(w), bias, T, in, out_dim);
}

void matmul_weights(float *out, const float *x, Matrix w, const float *bias, int T, int in, int out_dim) {
    matmul_weights_on(kernel_path(), out, x, w, bias, T, in, out_dim);
}

void matmul_transposed_weights_on(KernelPath path, float *out, const float *x, Matrix w, int T, int C, int V) {
    matmul_transposed_loops(kernel_loops(path, w.dtype), out, x, matrix_data(w), (size_t)C * element_bytes(w.dtype),
                            T, C, V);
}

void matmul_transposed_weights(float *out, const float *x, Matrix w, int T, int C, int V) {
    matmul_transposed_weights_on(kernel_path(), out, x, w, T, C, V);
}

void gelu(float *out, const float *x, size_t n) {
    const float s = 0.7978845608028654f;  /* sqrt(2/pi) */
#pragma omp parallel for schedule(static) if (n >= 1024)   /* one tanh per element: worth a second thread */
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        out[i] = 0.5f * v * (1.0f + tanhf(s * (v + 0.044715f * v * v * v)));
    }
}

void residual_add(float *out, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

double softmax(float *probs, const float *x, int n, double *entropy) {
    float max;
    double log_sum = softmax_shifted(probs, x, n, entropy, &max);
    return max + log_sum;
}

double softmax_shifted(float *probs, const float *x, int n, double *entropy, float *max_out) {
    float max = x[0];
    for (int i = 1; i < n; i++) if (x[i] > max) max = x[i];
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += exp((double)x[i] - max);
    /* sum >= 1: the max's own term is exp(0) (n >= 1) */
    // cppcheck-suppress invalidFunctionArg
    double log_sum = log(sum), H = 0.0;
    for (int i = 0; i < n; i++) {
        double logp = (double)x[i] - max - log_sum, p = exp(logp);
        if (probs) probs[i] = (float)p;   /* after x[i] is read: probs may alias x */
        if (entropy && p > 0) H -= p * logp;
    }
    if (entropy) *entropy = H;
    *max_out = max;
    return log_sum;
}

void attention(float *out, float *probs, float *key_cache, float *value_cache,
               const float *qkv, int T, int pos, int C, int H, int n_ctx) {
    int hs = C / H;
    float scale = 1.0f / sqrtf((float)hs);
    KernelLoops loops = kernel_loops(kernel_path(), WEIGHTS_F32);   /* asked once, not once per key */
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
            for (int j = 0; j < n_keys; j++) p[j] = loops.dot(q, keys + (size_t)j * hs, hs) * scale;
            softmax(p, p, n_keys, NULL);
            for (int j = n_keys; j < n_ctx; j++) p[j] = 0.0f;
            /* o = p @ values: o[d] = sum_j p[j] v[j][d], j in order, the
             * decode matvec over the n_keys rows of the [n_ctx, hs] cache */
            float *o = out + (size_t)t * C + h * hs;
            for (int d = 0; d < hs; d++) o[d] = 0.0f;
            loops.matvec_strip(o, p, values, n_keys, hs, 0, hs);
        }
}
