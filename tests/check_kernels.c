/*
 * check_kernels.c - the kernels of core/kernels.h on cases worked out on
 * paper (each expected value is derived in the comment beside it, not
 * produced by argen), and the fast matmul against the plain reference, bit
 * for bit: argen promises one fixed summation order on every path, with F32
 * weights and with weights held in F16 or BF16.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/kernels.h"
#include "core/rng.h"
#include "testutil.h"

START_TEST(test_softmax_1_2_3) {
    /* m = 3; exp(x - m) = e^-2, e^-1, 1 = 0.135335, 0.367879, 1; their sum
     * S = 1.503215, so p = 0.0900306, 0.2447285, 0.6652410;
     * log Z = 3 + log S = 3.4076060; H = -sum p log p = 0.8323956 nats. */
    const float x[3] = {1, 2, 3};
    float p[3];
    double H = 0;
    double logZ = softmax(p, x, 3, &H);
    const float want[3] = {0.0900306f, 0.2447285f, 0.6652410f};
    assert_close(p, want, 3, 1e-7);
    ck_assert_double_eq_tol(logZ, 3.4076060, 1e-7);
    ck_assert_double_eq_tol(H, 0.8323956, 1e-7);
}
END_TEST

START_TEST(test_layernorm_1_2_3_4) {
    /* mean 2.5; variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25, so with
     * eps = 0 rstd = 1/sqrt(1.25) = 2/sqrt(5) = 0.8944272 and the normalised
     * row is -3/sqrt5, -1/sqrt5, 1/sqrt5, 3/sqrt5 = -1.3416408, -0.4472136, ...
     * With weight 2 and bias 1: 2 * that + 1. */
    const float x[4] = {1, 2, 3, 4}, one[4] = {1, 1, 1, 1}, zero[4] = {0}, two[4] = {2, 2, 2, 2};
    float out[4], mean, rstd;
    layernorm(out, &mean, &rstd, x, one, zero, 1, 4, 0.0f);
    const float want[4] = {-1.3416408f, -0.4472136f, 0.4472136f, 1.3416408f};
    assert_close(out, want, 4, 1e-6);
    ck_assert_float_eq(mean, 2.5f);
    ck_assert_float_eq_tol(rstd, 0.8944272f, 1e-7);
    layernorm(out, NULL, NULL, x, two, one, 1, 4, 0.0f);
    const float want2[4] = {-1.6832816f, 0.1055728f, 1.8944272f, 3.6832816f};
    assert_close(out, want2, 4, 2e-6);
}
END_TEST

START_TEST(test_gelu_0_and_1) {
    /* gelu(0) = 0.5 * 0 * (1 + tanh 0) = 0 exactly.
     * gelu(1) = 0.5 (1 + tanh(sqrt(2/pi) * 1.044715)) = 0.5 (1 + tanh 0.8335546)
     *         = 0.5 (1 + 0.6823840) = 0.8411920.
     * gelu(-1) = -0.5 (1 - 0.6823840) = -0.1588080 (= gelu(1) - 1: tanh is odd). */
    const float x[3] = {0, 1, -1};
    float out[3];
    gelu(out, x, 3);
    ck_assert_float_eq(out[0], 0.0f);
    const float want[3] = {0.0f, 0.8411920f, -0.1588080f};
    assert_close(out, want, 3, 1e-6);
}
END_TEST

START_TEST(test_attention_two_positions) {
    /* One head of size 2 (C = H * hs = 2), two tokens at positions 0 and 1,
     * a cache of 3 positions.  Rows of qkv are q | k | v:
     *   t=0: q (1,0)  k (1,0)  v (1,2)
     *   t=1: q (1,1)  k (1,1)  v (3,4)
     * t=0 sees key 0 only: probs (1, 0, 0), out = v0 = (1, 2).
     * t=1: scores q.k / sqrt 2 = (1/sqrt2, 2/sqrt2) = (0.7071068, 1.4142136);
     * p1 = 1 / (1 + exp(-1/sqrt2)) = 0.6697615, p0 = 0.3302385, position 2 is
     * masked (0); out = p0 (1,2) + p1 (3,4) = (1 + 2 p1, 2 + 2 p1) = (2.3395231, 3.3395231). */
    const float qkv[2 * 6] = {1, 0, 1, 0, 1, 2,
                              1, 1, 1, 1, 3, 4};
    float out[4], probs[2 * 3], keys[3 * 2], values[3 * 2];
    memset(keys, 0, sizeof keys);
    memset(values, 0, sizeof values);
    attention(out, probs, keys, values, qkv, 2, 0, 2, 1, 3);
    const float want_out[4] = {1, 2, 2.3395231f, 3.3395231f};
    const float want_probs[6] = {1, 0, 0, 0.3302385f, 0.6697615f, 0};
    assert_close(out, want_out, 4, 1e-6);
    assert_close(probs, want_probs, 6, 1e-7);
    const float want_keys[6] = {1, 0, 1, 1, 0, 0}, want_values[6] = {1, 2, 3, 4, 0, 0};
    assert_close(keys, want_keys, 6, 0);
    assert_close(values, want_values, 6, 0);
}
END_TEST

START_TEST(test_matmul_by_hand) {
    /* x = (1, 2), w = [[1 2 3], [4 5 6]], bias = (0.5, 0, -1):
     * out = (1 + 8 + 0.5, 2 + 10, 3 + 12 - 1) = (9.5, 12, 14). */
    const float x[2] = {1, 2}, w[6] = {1, 2, 3, 4, 5, 6}, b[3] = {0.5f, 0, -1};
    const float want[3] = {9.5f, 12, 14}, want_nobias[3] = {9, 12, 15};
    float out[3];
    matmul_reference(out, x, w, b, 1, 2, 3);
    assert_close(out, want, 3, 0);
    matmul(out, x, w, b, 1, 2, 3);
    assert_close(out, want, 3, 0);
    matmul(out, x, w, NULL, 1, 2, 3);
    assert_close(out, want_nobias, 3, 0);
}
END_TEST

/* Values in [-1, 1) with many significant bits, so any change in the order
 * of the additions shows in the low bits. */
static void fill(float *a, size_t n, Rng *r) {
    for (size_t i = 0; i < n; i++) a[i] = 2.0f * rng_uniform(r) - 1.0f;
}

/* The fast matmul against the triple loop, bit for bit, over odd shapes:
 * T below, at and above each tile height, widths that leave every kind of
 * remainder (1, 3, 5, 7, 15, 17, 33, 100 columns) and in = 1. */
START_TEST(test_matmul_bits_equal_reference) {
    const int Ts[] = {1, 2, 3, 5, 7, 12, 13, 25};
    const int ins[] = {1, 3, 17, 64, 67};
    const int outs[] = {1, 3, 5, 7, 15, 16, 17, 33, 100};
    enum { MAX = 25 * 100 + 25 * 67 + 67 * 100 + 100 };
    static float x[MAX], w[MAX], b[MAX], got[MAX], want[MAX];
    Rng r;
    rng_seed(&r, 7, 1);
    int cases = 0;
    for (size_t a = 0; a < sizeof Ts / sizeof *Ts; a++)
        for (size_t c = 0; c < sizeof ins / sizeof *ins; c++)
            for (size_t d = 0; d < sizeof outs / sizeof *outs; d++) {
                int T = Ts[a], in = ins[c], out = outs[d];
                fill(x, (size_t)T * in, &r);
                fill(w, (size_t)in * out, &r);
                fill(b, (size_t)out, &r);
                const float *bias = (a + d) % 2 ? b : NULL;
                matmul_reference(want, x, w, bias, T, in, out);
                for (int path = KERNEL_PORTABLE; path < KERNEL_PATHS; path++) {
                    memset(got, 0xff, sizeof got);  /* NaN: an output never written fails */
                    matmul_on((KernelPath)path, got, x, w, bias, T, in, out);
                    ck_assert_msg(memcmp(got, want, (size_t)T * out * sizeof(float)) == 0,
                                  "matmul on the %s path, T=%d in=%d out=%d, differs from matmul_reference",
                                  kernel_path_name((KernelPath)path), T, in, out);
                }
                memset(got, 0xff, sizeof got);
                matmul(got, x, w, bias, T, in, out);
                ck_assert_msg(memcmp(got, want, (size_t)T * out * sizeof(float)) == 0,
                              "matmul T=%d in=%d out=%d differs from matmul_reference", T, in, out);
                cases++;
            }
    ck_assert_int_eq(cases, 8 * 5 * 9);
}
END_TEST

/* The unembedding's dot products: every path gives the bits of a plain
 * 16-lane sum (lane k takes the terms i = k mod 16, in order; lanes combined
 * 0+8, 1+9, ..., then 0+4, ..., then 0+2, then 0+1), over lengths with every
 * remainder. */
START_TEST(test_matmul_transposed_paths) {
    enum { V = 5, CMAX = 50 };
    float x[CMAX], w[V * CMAX], want[V], got[V];
    Rng r;
    rng_seed(&r, 11, 1);
    for (int C = 1; C <= CMAX; C++) {
        fill(x, (size_t)C, &r);
        fill(w, (size_t)V * C, &r);
        for (int v = 0; v < V; v++) {
            float lane[16] = {0};
            for (int i = 0; i < C; i++) lane[i % 16] += x[i] * w[v * C + i];
            for (int width = 8; width > 0; width /= 2)
                for (int k = 0; k < width; k++) lane[k] += lane[k + width];
            want[v] = lane[0];
        }
        for (int path = KERNEL_PORTABLE; path < KERNEL_PATHS; path++) {
            matmul_transposed_on((KernelPath)path, got, x, w, 1, C, V);
            ck_assert_msg(memcmp(got, want, sizeof got) == 0, "matmul_transposed on the %s path, C=%d",
                          kernel_path_name((KernelPath)path), C);
        }
    }
}
END_TEST

/* ---- weights in half precision ---- */

/* Every F16 and BF16 bit pattern widens to the value its fields define:
 * (-1)^s 2^(e - bias) (1 + m / 2^mbits), or (-1)^s 2^(1 - bias - mbits) m when
 * e = 0; all ones in e is infinity (m = 0) or NaN. */
START_TEST(test_half_widening_every_pattern) {
    for (uint32_t h = 0; h < 65536; h++) {
        int s = (int)(h >> 15);
        /* F16: 5 exponent bits (bias 15), 10 mantissa bits */
        int e = (int)((h >> 10) & 31), m = (int)(h & 1023);
        double want = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
        want = s ? -want : want;
        float got = f16_to_f32((uint16_t)h);
        if (isnan(want)) ck_assert_msg(isnan(got), "f16 0x%04x: expected NaN", (unsigned)h);
        else ck_assert_msg((double)got == want && !signbit(got) == !signbit(want), "f16 0x%04x: %.9g, expected %.9g",
                           (unsigned)h, (double)got, want);
        /* BF16: 8 exponent bits (bias 127), 7 mantissa bits */
        e = (int)((h >> 7) & 255), m = (int)(h & 127);
        want = e == 0 ? ldexp(m, -133) : e == 255 ? (m ? NAN : INFINITY) : ldexp(128 + m, e - 134);
        want = s ? -want : want;
        got = bf16_to_f32((uint16_t)h);
        if (isnan(want)) ck_assert_msg(isnan(got), "bf16 0x%04x: expected NaN", (unsigned)h);
        else ck_assert_msg((double)got == want && !signbit(got) == !signbit(want), "bf16 0x%04x: %.9g, expected %.9g",
                           (unsigned)h, (double)got, want);
    }
}
END_TEST

/* Random finite half weights of magnitude below 4, with F16 subnormals (one
 * pattern in 32 has a zero exponent), and their F32 widening. */
static void fill_half(uint16_t *h, float *f, size_t n, WeightDType dtype, Rng *r) {
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = rng_u32(r);
        if (dtype == WEIGHTS_F16) {
            uint32_t e = (bits >> 10) & 31;
            if (e > 16) bits = (bits & ~(31u << 10)) | ((e - 16) << 10);   /* exponents 0..16 */
        } else {
            bits = (bits & 0x807f) | ((110 + (bits >> 7) % 18) << 7);      /* exponents 110..127 */
        }
        h[i] = (uint16_t)bits;
        f[i] = dtype == WEIGHTS_F16 ? f16_to_f32(h[i]) : bf16_to_f32(h[i]);
    }
}

/* The fast half matmul on both paths against matmul_weights_reference, bit
 * for bit, over the odd shapes of the F32 test (in = 67 and out = 100 cross
 * the widening blocks); and both equal matmul_reference on the widened
 * matrix: keeping weights in half gives the bits of converting them at load. */
START_TEST(test_matmul_half_bits_equal_reference) {
    WeightDType dtype = _i ? WEIGHTS_BF16 : WEIGHTS_F16;
    const int Ts[] = {1, 2, 5, 6, 7, 12, 13, 25};
    const int ins[] = {1, 3, 17, 64, 67};
    const int outs[] = {1, 3, 5, 7, 15, 16, 17, 33, 100};
    enum { MAX = 25 * 100 + 25 * 67 + 67 * 100 + 100 };
    static float x[MAX], wf[MAX], b[MAX], got[MAX], want[MAX], converted[MAX];
    static uint16_t wh[MAX];
    Rng r;
    rng_seed(&r, 17, 1);
    for (size_t a = 0; a < sizeof Ts / sizeof *Ts; a++)
        for (size_t c = 0; c < sizeof ins / sizeof *ins; c++)
            for (size_t d = 0; d < sizeof outs / sizeof *outs; d++) {
                int T = Ts[a], in = ins[c], out = outs[d];
                size_t bytes = (size_t)T * out * sizeof(float);
                fill(x, (size_t)T * in, &r);
                fill_half(wh, wf, (size_t)in * out, dtype, &r);
                fill(b, (size_t)out, &r);
                const float *bias = (a + d) % 2 ? b : NULL;
                Matrix w = matrix_half(wh, dtype);
                matmul_weights_reference(want, x, w, bias, T, in, out);
                matmul_reference(converted, x, wf, bias, T, in, out);
                ck_assert_msg(memcmp(converted, want, bytes) == 0,
                              "%s T=%d in=%d out=%d: the half reference differs from matmul_reference on the widened matrix",
                              weight_dtype_name(dtype), T, in, out);
                for (int path = KERNEL_PORTABLE; path < KERNEL_PATHS; path++) {
                    memset(got, 0xff, sizeof got);
                    matmul_weights_on((KernelPath)path, got, x, w, bias, T, in, out);
                    ck_assert_msg(memcmp(got, want, bytes) == 0,
                                  "matmul_weights %s on the %s path, T=%d in=%d out=%d, differs from the reference",
                                  weight_dtype_name(dtype), kernel_path_name((KernelPath)path), T, in, out);
                }
                memset(got, 0xff, sizeof got);
                matmul_weights(got, x, w, bias, T, in, out);
                ck_assert_msg(memcmp(got, want, bytes) == 0, "matmul_weights %s T=%d in=%d out=%d differs from the reference",
                              weight_dtype_name(dtype), T, in, out);
            }
}
END_TEST

/* The unembedding on half weights: both paths, lengths across the 64-wide
 * widening blocks, against matmul_transposed_weights_reference and the F32
 * kernel on the widened matrix; two tokens, so rows of x are kept apart. */
START_TEST(test_matmul_transposed_half_paths) {
    WeightDType dtype = _i ? WEIGHTS_BF16 : WEIGHTS_F16;
    enum { V = 5, T = 2, CMAX = 140 };
    float x[T * CMAX], wf[V * CMAX], want[T * V], got[T * V], converted[T * V];
    uint16_t wh[V * CMAX];
    Rng r;
    rng_seed(&r, 19, 1);
    for (int C = 1; C <= CMAX; C++) {
        fill(x, (size_t)T * C, &r);
        fill_half(wh, wf, (size_t)V * C, dtype, &r);
        Matrix w = matrix_half(wh, dtype);
        matmul_transposed_weights_reference(want, x, w, T, C, V);
        matmul_transposed_on(KERNEL_PORTABLE, converted, x, wf, T, C, V);
        ck_assert_msg(memcmp(converted, want, sizeof want) == 0, "%s C=%d: the reference differs from the F32 kernel",
                      weight_dtype_name(dtype), C);
        for (int path = KERNEL_PORTABLE; path < KERNEL_PATHS; path++) {
            memset(got, 0xff, sizeof got);
            matmul_transposed_weights_on((KernelPath)path, got, x, w, T, C, V);
            ck_assert_msg(memcmp(got, want, sizeof got) == 0, "matmul_transposed_weights %s on the %s path, C=%d",
                          weight_dtype_name(dtype), kernel_path_name((KernelPath)path), C);
        }
    }
}
END_TEST

/* The half check can fail: a weight rounded one step differently changes
 * the output. */
START_TEST(test_half_one_ulp_shows) {
    float x[8], y0[3], y1[3];
    uint16_t wh[8 * 3];
    float wf[8 * 3];
    Rng r;
    rng_seed(&r, 23, 1);
    fill(x, 8, &r);
    fill_half(wh, wf, 8 * 3, WEIGHTS_F16, &r);
    matmul_weights(y0, x, matrix_half(wh, WEIGHTS_F16), NULL, 1, 8, 3);
    wh[5] ^= 1;   /* the last mantissa bit of one weight */
    matmul_weights(y1, x, matrix_half(wh, WEIGHTS_F16), NULL, 1, 8, 3);
    ck_assert_msg(memcmp(y0, y1, sizeof y0) != 0, "one weight's last bit changed no output");
}
END_TEST

/* The check can fail: summing the same terms in another order changes bits. */
START_TEST(test_order_matters) {
    float x[64], w[64 * 3], a[3], b[3];
    Rng r;
    rng_seed(&r, 9, 1);
    fill(x, 64, &r);
    fill(w, 64 * 3, &r);
    matmul_reference(a, x, w, NULL, 1, 64, 3);
    for (int o = 0; o < 3; o++) {   /* i = in-1 down to 0 */
        float s = 0;
        for (int i = 63; i >= 0; i--) s += x[i] * w[i * 3 + o];
        b[o] = s;
    }
    ck_assert_msg(memcmp(a, b, sizeof a) != 0, "reversed order gave the same bits for all three outputs");
}
END_TEST

static Suite *kernels_suite(void) {
    Suite *s = suite_create("kernels");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_softmax_1_2_3);
    tcase_add_test(core, test_layernorm_1_2_3_4);
    tcase_add_test(core, test_gelu_0_and_1);
    tcase_add_test(core, test_attention_two_positions);
    tcase_add_test(core, test_matmul_by_hand);
    suite_add_tcase(s, core);
    TCase *reference = tcase_create("reference");
    tcase_add_test(reference, test_matmul_bits_equal_reference);
    tcase_add_test(reference, test_matmul_transposed_paths);
    tcase_add_test(reference, test_order_matters);
    tcase_add_test(reference, test_half_widening_every_pattern);
    tcase_add_loop_test(reference, test_matmul_half_bits_equal_reference, 0, 2);
    tcase_add_loop_test(reference, test_matmul_transposed_half_paths, 0, 2);
    tcase_add_test(reference, test_half_one_ulp_shows);
    suite_add_tcase(s, reference);
    return s;
}

int main(void) { return run_suite(kernels_suite()); }
