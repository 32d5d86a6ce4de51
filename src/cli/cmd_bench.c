/*
 * cmd_bench.c - `argen bench`: where the time goes, measured.
 *
 * Decoding one token with the KV cache reads every weight once, so its speed
 * limit is memory bandwidth: bound = bandwidth / bytes of weights.  Prefill
 * multiplies every weight by many tokens, so its limit is the vector unit's
 * multiply-add rate.  This command measures both ceilings on this machine in
 * the same run (a streaming read, a register-resident multiply-add loop),
 * then the model's load time, per-kernel read rates, prefill and decode
 * rates, and reports each against its ceiling.  A benchmark, not a test.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli.h"
#include "core/generate.h"
#include "cli/prompted_model.h"
#include "decode/beam.h"
#include "trace/trace.h"

#include "core/kernels.h"
#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"

static const char *usage =
    "usage: argen bench --model DIR [--decode N] [--no-cache-decode N] [--prefill 64,256,1024]\n"
    "                   [--trace-decode N] [--trace-file PATH] [--repeat R] [--markdown]\n"
    "                   [--weights f32|f16|bf16]\n"
    "Measures the machine's read bandwidth and multiply-add peak, each decode\n"
    "kernel's read rate, load time, prefill tokens/s and GFLOP/s, decode tokens/s\n"
    "with the KV cache (N new tokens, default 256) against the bandwidth bound and\n"
    "without it (default 32), the whole generation loop with the trace off, at\n"
    "summary and at full (--trace-decode N tokens, default 32, written to\n"
    "--trace-file, default /tmp/argen-bench-trace.json), and peak RSS.  With\n"
    "OpenMP and several threads (OMP_NUM_THREADS), bandwidth, peak, prefill and\n"
    "decode are also measured on one thread, run for run, and given as ratios.\n"
    "Each figure is the best of R runs (default 3); cached decode adds up the\n"
    "fastest time of each step over the R runs.  --markdown prints a table row set.\n"
    CLI_WEIGHTS_HELP;

/* ======================================================================== */
/* The machine's ceilings, measured in the same run                          */

/* Bytes read per second by the simplest streaming loop: a sum with four
 * independent vector accumulators over a 64-byte-aligned buffer far larger
 * than the caches (best of 5), in the widest vector unit the CPU has
 * (AVX-512 where it has it, else AVX2, else the build's baseline), each of
 * `threads` threads streaming its own contiguous part.  It is the read rate
 * any kernel can hope for, so decode's bound is this over the bytes of
 * weights. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(ARGEN_PORTABLE_KERNELS)
#define HAVE_X86_UNITS 1
#include <immintrin.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

typedef enum { UNIT_BASELINE, UNIT_AVX2, UNIT_AVX512 } VectorUnit;

static VectorUnit widest_unit(void) {
#ifdef HAVE_X86_UNITS
    if (__builtin_cpu_supports("avx512f")) return UNIT_AVX512;
    if (__builtin_cpu_supports("avx2")) return UNIT_AVX2;
#endif
    return UNIT_BASELINE;
}

static const char *unit_name(VectorUnit u) { return u == UNIT_AVX512 ? "avx512" : u == UNIT_AVX2 ? "avx2" : "baseline"; }

static int max_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* n floats, n a multiple of 64 */
static float sum_baseline(const float *b, size_t n) {
    float part[16] = {0};
    for (size_t i = 0; i < n; i += 16)
        for (int k = 0; k < 16; k++) part[k] += b[i + k];
    float s = 0;
    for (int k = 0; k < 16; k++) s += part[k];
    return s;
}
#ifdef HAVE_X86_UNITS
__attribute__((target("avx2"))) static float sum_avx2(const float *b, size_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < n; i += 32) {
        a0 = _mm256_add_ps(a0, _mm256_load_ps(b + i));      a1 = _mm256_add_ps(a1, _mm256_load_ps(b + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_load_ps(b + i + 16)); a3 = _mm256_add_ps(a3, _mm256_load_ps(b + i + 24));
    }
    float s[8];
    _mm256_storeu_ps(s, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}
__attribute__((target("avx512f"))) static float sum_avx512(const float *b, size_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < n; i += 64) {
        a0 = _mm512_add_ps(a0, _mm512_load_ps(b + i));      a1 = _mm512_add_ps(a1, _mm512_load_ps(b + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_load_ps(b + i + 32)); a3 = _mm512_add_ps(a3, _mm512_load_ps(b + i + 48));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}
#endif

static float sum_on(VectorUnit u, const float *b, size_t n) {
#ifdef HAVE_X86_UNITS
    if (u == UNIT_AVX512) return sum_avx512(b, n);
    if (u == UNIT_AVX2) return sum_avx2(b, n);
#endif
    (void)u;
    return sum_baseline(b, n);
}

/* The buffer is written once by the caller (so its pages exist); bytes read
 * per second, best of 5. */
static double read_bandwidth(const float *buf, size_t n, int threads) {
    VectorUnit u = widest_unit();
    double best = 0, total = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_seconds(), sum = 0;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+:sum)
        for (int k = 0; k < threads; k++) {       /* thread k: the k-th contiguous part */
            size_t per = n / (size_t)threads / 64 * 64;
            sum += sum_on(u, buf + (size_t)k * per, per);
        }
        double dt = now_seconds() - t0;
        total += sum;                             /* keeps the loop alive */
        if ((double)n * sizeof(float) / dt > best) best = (double)n * sizeof(float) / dt;
    }
    return total > 0 ? best : 0;
}

/* Multiply-then-add operations per second in registers: 12 independent
 * chains a = a * m + c of vectors, each step one multiply and one add
 * (2 flops per lane), `threads` threads at once (best of 3).  `fma` makes
 * each step one fused multiply-add in the widest unit instead: what an FMA
 * build could reach; argen's kernels round the product and the sum
 * separately, so their ceiling is the plain multiply and add, in the unit
 * the kernels use (AVX-512, AVX2 or the baseline's SSE2). */
#define PEAK_STEPS 4000000L
#define CHAINS 12
static float muladd_baseline(long steps) {
    float a[CHAINS * 4];
    for (int k = 0; k < CHAINS * 4; k++) a[k] = (float)k;
    for (long s = 0; s < steps; s++)
        for (int k = 0; k < CHAINS * 4; k++) a[k] = a[k] * 0.999f + 0.001f;
    float t = 0;
    for (int k = 0; k < CHAINS * 4; k++) t += a[k];
    return t;
}
#ifdef HAVE_X86_UNITS
__attribute__((target("avx2"))) static float muladd_avx2(long steps) {
    __m256 a[CHAINS], m = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(0.001f);
    for (int k = 0; k < CHAINS; k++) a[k] = _mm256_set1_ps((float)k);
    for (long s = 0; s < steps; s++)
        for (int k = 0; k < CHAINS; k++) a[k] = _mm256_add_ps(_mm256_mul_ps(a[k], m), c);
    __m256 t = a[0];
    for (int k = 1; k < CHAINS; k++) t = _mm256_add_ps(t, a[k]);
    float v[8];
    _mm256_storeu_ps(v, t);
    return v[0];
}
__attribute__((target("avx512f"))) static float muladd_avx512(long steps) {
    __m512 a[CHAINS], m = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(0.001f);
    for (int k = 0; k < CHAINS; k++) a[k] = _mm512_set1_ps((float)k);
    for (long s = 0; s < steps; s++)
        for (int k = 0; k < CHAINS; k++) a[k] = _mm512_add_ps(_mm512_mul_ps(a[k], m), c);
    __m512 t = a[0];
    for (int k = 1; k < CHAINS; k++) t = _mm512_add_ps(t, a[k]);
    return _mm512_reduce_add_ps(t);
}
__attribute__((target("avx512f"))) static float fma_avx512(long steps) {
    __m512 a[CHAINS], m = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(0.001f);
    for (int k = 0; k < CHAINS; k++) a[k] = _mm512_set1_ps((float)k);
    for (long s = 0; s < steps; s++)
        for (int k = 0; k < CHAINS; k++) a[k] = _mm512_fmadd_ps(a[k], m, c);
    __m512 t = a[0];
    for (int k = 1; k < CHAINS; k++) t = _mm512_add_ps(t, a[k]);
    return _mm512_reduce_add_ps(t);
}
__attribute__((target("avx2,fma"))) static float fma_avx2(long steps) {
    __m256 a[CHAINS], m = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(0.001f);
    for (int k = 0; k < CHAINS; k++) a[k] = _mm256_set1_ps((float)k);
    for (long s = 0; s < steps; s++)
        for (int k = 0; k < CHAINS; k++) a[k] = _mm256_fmadd_ps(a[k], m, c);
    __m256 t = a[0];
    for (int k = 1; k < CHAINS; k++) t = _mm256_add_ps(t, a[k]);
    float v[8];
    _mm256_storeu_ps(v, t);
    return v[0];
}
#endif

/* flops per second; *unit names the unit measured (0: no FMA unit) */
static double compute_peak(int fma, int threads, const char **unit) {
    int lanes = 4;                                /* SSE2: 4 floats */
    float (*loop)(long) = muladd_baseline;
    *unit = "sse2";
#ifdef HAVE_X86_UNITS
    if (fma && __builtin_cpu_supports("avx512f")) { loop = fma_avx512; lanes = 16; *unit = "avx512 fma"; }
    else if (fma && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) { loop = fma_avx2; lanes = 8; *unit = "avx2 fma"; }
    else if (fma) return 0;
    else if (kernel_path() == KERNEL_AVX512) { loop = muladd_avx512; lanes = 16; *unit = "avx512"; }
    else if (kernel_path() == KERNEL_AVX2) { loop = muladd_avx2; lanes = 8; *unit = "avx2"; }
#else
    if (fma) return 0;
#endif
    double best = 0, total = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_seconds(), sum = 0;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+:sum)
        for (int k = 0; k < threads; k++) sum += loop(PEAK_STEPS);
        double dt = now_seconds() - t0;
        total += sum;
        double rate = (double)PEAK_STEPS * CHAINS * lanes * 2 * threads / dt;
        if (rate > best) best = rate;
    }
    return total != 0 ? best : 0;
}

/* The machine's ceilings at `threads` threads and at one.  Measured before
 * and again after the timed runs, keeping the best: a burst of other work on
 * a shared machine lowers one measurement, not both. */
typedef struct {
    double bw, bw_one;             /* read bandwidth, bytes/s */
    double peak, peak_one;         /* multiply-then-add, flops/s, the kernels' unit */
    double fma;                    /* fused multiply-add, flops/s, the widest unit (0: none) */
    const char *peak_unit, *fma_unit;
} Ceilings;

static int measure_ceilings(Ceilings *c, int threads) {
    size_t n = (size_t)1 << 27;                  /* 512 MB of floats, far past any cache */
    float *buf = NULL;
    if (posix_memalign((void **)&buf, 64, n * sizeof(float)) != 0 || !buf) return -1;
    for (size_t i = 0; i < n; i++) buf[i] = (float)(i & 7);
    double bw = read_bandwidth(buf, n, threads), bw_one = threads > 1 ? read_bandwidth(buf, n, 1) : bw;
    free(buf);
    double peak = compute_peak(0, threads, &c->peak_unit);
    double peak_one = threads > 1 ? compute_peak(0, 1, &c->peak_unit) : peak;
    double fma = compute_peak(1, threads, &c->fma_unit);
    if (bw > c->bw) c->bw = bw;
    if (bw_one > c->bw_one) c->bw_one = bw_one;
    if (peak > c->peak) c->peak = peak;
    if (peak_one > c->peak_one) c->peak_one = peak_one;
    if (fma > c->fma) c->fma = fma;
    return 0;
}

/* Flops of one prefill pass over T tokens from position 0 and the last
 * position's logits: every matmul's multiply and add (12 C^2 weights per
 * token per layer), attention's q.k and p.v over the t + 1 keys each
 * query sees, and the lm_head's V x C for one row. */
static double prefill_flops(const GPT2Config *c, int T) {
    double C = c->n_embd, L = c->n_layer, V = c->vocab_size;
    return 2.0 * T * 12 * C * C * L + 2.0 * C * T * (T + 1.0) * L + 2.0 * C * V;
}

static void row(int markdown, const char *label, const char *fmt, ...);

/* GB/s of each weight-streaming kernel of decode (one token): the same
 * matmul over the matching weight of every layer in turn, so that the bytes
 * read (n_layer matrices) far exceed the caches; best of `repeat`.  Fills
 * gbs[k] and mb[k] (MB read per token) in the order of kernel_names. */
static const char *const kernel_names[5] = {"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj", "lm_head"};

static int bench_kernels(const GPT2 *m, int repeat, double gbs[5], double mb[5]) {
    const GPT2Config *c = &m->config;
    size_t C = (size_t)c->n_embd, V = (size_t)c->vocab_size;
    float *x = malloc(4 * C * sizeof *x), *y = malloc((V > 4 * C ? V : 4 * C) * sizeof *y);
    if (!x || !y) { free(x); free(y); return -1; }
    for (size_t i = 0; i < 4 * C; i++) x[i] = (float)((i * 37) % 11) / 11.0f - 0.5f;
    for (int k = 0; k < 5; k++) {
        double best = 1e30, bytes = 0;
        for (int r = 0; r < repeat; r++) {
            double t0 = now_seconds();
            bytes = 0;
            for (int l = 0; l < (k == 4 ? 1 : c->n_layer); l++) {
                const LayerWeights *w = &m->w.h[l];
                int in = k == 3 ? 4 * (int)C : (int)C, out = k == 0 ? 3 * (int)C : k == 2 ? 4 * (int)C : (int)C;
                Matrix wt = k == 0 ? w->attn_c_attn_weight : k == 1 ? w->attn_c_proj_weight
                          : k == 2 ? w->mlp_c_fc_weight : k == 3 ? w->mlp_c_proj_weight : m->w.lm_head;
                double es = wt.dtype == WEIGHTS_F32 ? 4 : 2;   /* bytes per weight as held */
                if (k == 4) { matmul_transposed_weights(y, x, wt, 1, (int)C, (int)V); bytes += (double)V * C * es; }
                else { matmul_weights(y, x, wt, NULL, 1, in, out); bytes += (double)in * out * es; }
            }
            double dt = now_seconds() - t0;
            if (dt < best) best = dt;
        }
        gbs[k] = bytes / best / 1e9;
        mb[k] = bytes / 1e6;
    }
    free(x);
    free(y);
    return 0;
}

/* The best of n rates: on a shared machine, slower runs measure the other
 * jobs, not argen. */
static double best_of(const double *v, int n) {
    double b = v[0];
    for (int i = 1; i < n; i++) if (v[i] > b) b = v[i];
    return b;
}

/* Threads for the OpenMP loops from here on (1 without OpenMP). */
static void set_threads(int n) {
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

/* One line of the table: "label  value" or a Markdown row. */
static void row(int markdown, const char *label, const char *fmt, ...) {
    char value[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    printf(markdown ? "| %s | %s |\n" : "%-36s %s\n", label, value);
}

static int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
    return best;
}

/* tokens/s of one prefill pass over T tokens */
/* Ctrl-C: every measurement checks it first, so the bench stops at the next one. */
static int interrupted(Error *err) {
    return *cli_stop_flag() ? error_set(err, "interrupted") : 0;
}

static double bench_prefill(const GPT2 *m, RunState *s, const int *tokens, int T, Error *err) {
    if (interrupted(err)) return -1;
    double t0 = now_seconds();
    if (forward_pass(m, s, tokens, T, 0, NULL, err)) return -1;
    logits_final(m, s);
    return T / (now_seconds() - t0);
}

/* tokens/s generating n tokens greedily after a 1-token prompt.  When
 * step_best is not NULL, step_best[t] keeps the fastest time of step t over
 * the calls: on a shared machine a burst of other work slows some steps of
 * one run, rarely the same step of every run. */
static double bench_decode(const GPT2 *m, RunState *s, int *seq, int n, int use_cache, double *step_best, Error *err) {
    if (interrupted(err)) return -1;
    double t0 = now_seconds(), step0 = t0;
    for (int t = 0; t < n; t++) {
        int rc = use_cache ? forward_pass(m, s, &seq[t], 1, t, NULL, err) : forward_pass(m, s, seq, t + 1, 0, NULL, err);
        if (rc) return -1;
        logits_final(m, s);
        seq[t + 1] = argmax(s->logits, m->config.vocab_size);
        double step1 = now_seconds();
        if (step_best && (step_best[t] == 0 || step1 - step0 < step_best[t])) step_best[t] = step1 - step0;
        step0 = step1;
    }
    return n / (now_seconds() - t0);
}

/* tokens/s from the fastest time of each step */
static double rate_of_steps(const double *step_best, int n) {
    double total = 0;
    for (int t = 0; t < n; t++) total += step_best[t];
    return total > 0 ? n / total : 0;
}

/* tokens/s of the real loop (generate_run, greedy) over n new tokens after a
 * 1-token prompt, with the trace off (level TRACE_NONE) or written to path. */
static double bench_traced(const GPT2 *m, int n, TraceLevel level, const char *path, Error *err) {
    if (interrupted(err)) return -1;
    GenerateOptions opt;
    generate_defaults(&opt);
    opt.max_new_tokens = n;
    opt.keep_activations = level == TRACE_FULL;
    Generator g;
    int prompt = 0;
    if (generator_init(&g, m, &opt, &prompt, 1, err)) return -1;
    JsonTrace jt;
    TraceSink sink;
    TokenText text = {NULL, NULL};
    int traced = level != TRACE_NONE;
    if (traced && json_trace_open(&jt, &sink, path, level, &text, 10, err)) { generator_free(&g); return -1; }
    double t0 = now_seconds();
    int rc = generate_run(&g, traced ? &sink.run : NULL, m->dir, err);
    if (traced) rc = rc ? (json_trace_abort(&jt), -1) : json_trace_close(&jt, err);
    double dt = now_seconds() - t0;
    int made = g.step;
    generator_free(&g);
    return rc ? -1 : made / dt;
}

int cmd_bench(int argc, char **argv) {
    const char *cmd = "bench", *dir = NULL, *prefill_arg = "64,256,1024", *trace_file = "/tmp/argen-bench-trace.json";
    long n_decode = 256, n_nocache = 32, n_traced = 32, repeat = 3;
    int markdown = 0;
    LoadWeights weights = LOAD_AS_STORED;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (cli_is_help(a)) { fputs(usage, stdout); return 0; }
        if (strcmp(a, "--markdown") == 0) { markdown = 1; continue; }
        if (!(v = cli_value(cmd, argc, argv, &i))) return EXIT_USAGE;
        if (strcmp(a, "--model") == 0) dir = v;
        else if (strcmp(a, "--prefill") == 0) prefill_arg = v;
        else if (strcmp(a, "--trace-file") == 0) trace_file = v;
        else if (strcmp(a, "--weights") == 0) { if (cli_weights(cmd, v, &weights)) return EXIT_USAGE; }
        else if (strcmp(a, "--trace-decode") == 0) { if (cli_long(cmd, a, v, 0, 1 << 20, &n_traced)) return EXIT_USAGE; }
        else if (strcmp(a, "--decode") == 0) { if (cli_long(cmd, a, v, 1, 1 << 20, &n_decode)) return EXIT_USAGE; }
        else if (strcmp(a, "--no-cache-decode") == 0) { if (cli_long(cmd, a, v, 0, 1 << 20, &n_nocache)) return EXIT_USAGE; }
        else if (strcmp(a, "--repeat") == 0) { if (cli_long(cmd, a, v, 1, 100, &repeat)) return EXIT_USAGE; }
        else return cli_unknown(cmd, a);
    }
    if (!dir) { fprintf(stderr, "argen bench: --model: expected a model folder\n"); return EXIT_USAGE; }
    const NamedPath inputs[] = {{"--model", dir}};
    const NamedPath outputs[] = {{"--trace-file", trace_file}};
    if (cli_check_outputs(cmd, inputs, 1, outputs, 1) != 0) return EXIT_USAGE;
    Error err;
    GPT2 m;
    double t0 = now_seconds();
    if (gpt2_load_weights(&m, dir, weights, &err)) { fprintf(stderr, "argen bench: %s\n", err.msg); return EXIT_FAIL; }
    double load_s = now_seconds() - t0;
    const GPT2Config *c = &m.config;
    int *prefill = NULL, n_prefill = 0;
    if (cli_ids(cmd, "--prefill", prefill_arg, c->n_positions + 1, &prefill, &n_prefill)) { gpt2_free(&m); return EXIT_USAGE; }
    if (n_decode + 1 > c->n_positions) n_decode = c->n_positions - 1;
    if (n_nocache + 1 > c->n_positions) n_nocache = c->n_positions - 1;
    if (n_traced + 1 > c->n_positions) n_traced = c->n_positions - 1;

    double weight_bytes = (double)m.weight_bytes;
    int threads = max_threads();
    Ceilings ceil = {0};
    fprintf(stderr, "argen bench: measuring read bandwidth and the multiply-add peak...\n");
    if (measure_ceilings(&ceil, threads)) {
        fprintf(stderr, "argen bench: out of memory for the 512 MB read-bandwidth buffer\n");
        free(prefill); gpt2_free(&m); return EXIT_FAIL;
    }

    int n_ctx = c->n_positions;
    RunOptions opt = {.max_tokens = n_ctx, .n_ctx = n_ctx, .keep_layers = 0, .all_logits = 0};
    RunState s;
    if (run_state_init(&s, &m, &opt, &err)) { fprintf(stderr, "argen bench: %s\n", err.msg); free(prefill); gpt2_free(&m); return EXIT_FAIL; }
    int *seq = calloc((size_t)n_ctx + 1, sizeof *seq);
    double *pre = calloc((size_t)n_prefill + 1, sizeof *pre), *pre_one = calloc((size_t)n_prefill + 1, sizeof *pre_one);
    double *steps = calloc((size_t)n_decode, sizeof *steps), *steps_one = calloc((size_t)n_decode, sizeof *steps_one);
    double runs[100] = {0}, runs_one[100] = {0}, kernel_gbs[5] = {0}, kernel_mb[5] = {0}, dec = 0, dec_one = 0;
    int rc = EXIT_FAIL;
    if (!seq || !pre || !pre_one || !steps || !steps_one) { error_set(&err, "out of memory"); goto fail; }
    for (int t = 0; t <= n_ctx; t++) seq[t] = (int)((t * 7919L + 13) % c->vocab_size);

    /* One token first, untimed: every weight page is mapped in before any timing. */
    if (forward_pass(&m, &s, seq, 1, 0, NULL, &err)) goto fail;
    logits_final(&m, &s);
    if (interrupted(&err) || bench_kernels(&m, (int)repeat, kernel_gbs, kernel_mb)) goto fail;
    /* With several threads, every prefill and decode run is followed by the
     * same run on one thread, so the ratio compares runs under the same load. */
    for (int k = 0; k < n_prefill; k++) {
        int T = prefill[k];
        if (T < 1 || T > n_ctx) continue;
        for (int r = 0; r < repeat; r++) {
            fprintf(stderr, "argen bench: prefill T=%d run %d/%ld\n", T, r + 1, repeat);
            if ((runs[r] = bench_prefill(&m, &s, seq, T, &err)) < 0) goto fail;
            set_threads(1);
            if (threads > 1 && (runs_one[r] = bench_prefill(&m, &s, seq, T, &err)) < 0) goto fail;
            set_threads(threads);
        }
        pre[k] = best_of(runs, (int)repeat);
        if (threads > 1) pre_one[k] = best_of(runs_one, (int)repeat);
    }
    for (int r = 0; r < repeat; r++) {
        fprintf(stderr, "argen bench: decode %ld tokens with the KV cache, run %d/%ld\n", n_decode, r + 1, repeat);
        if (bench_decode(&m, &s, seq, (int)n_decode, 1, steps, &err) < 0) goto fail;
        set_threads(1);
        if (threads > 1 && bench_decode(&m, &s, seq, (int)n_decode, 1, steps_one, &err) < 0) goto fail;
        set_threads(threads);
    }
    dec = rate_of_steps(steps, (int)n_decode);
    if (threads > 1) dec_one = rate_of_steps(steps_one, (int)n_decode);
    struct rusage ru;                            /* before the second 512 MB buffer */
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "argen bench: measuring read bandwidth and the multiply-add peak again...\n");
    if (interrupted(&err)) goto fail;
    if (measure_ceilings(&ceil, threads)) { error_set(&err, "out of memory for the 512 MB read-bandwidth buffer"); goto fail; }
    double bound = ceil.bw / weight_bytes;

    printf("%s", markdown ? "| measure | value |\n|---|---|\n" : "");
    row(markdown, "model", "%s (%.1f M params, %.1f MB, matrices %s)", dir, m.n_floats / 1e6, weight_bytes / 1e6,
        weight_dtype_name(m.w.wte.dtype));
    row(markdown, "kernels", "%s, %d thread%s", kernel_path_name(kernel_path()), threads, threads == 1 ? "" : "s");
    if (threads > 1)
        row(markdown, "read bandwidth", "%.1f GB/s (%s; %.2fx one thread's %.1f GB/s)", ceil.bw / 1e9,
            unit_name(widest_unit()), ceil.bw / ceil.bw_one, ceil.bw_one / 1e9);
    else
        row(markdown, "read bandwidth", "%.1f GB/s (%s)", ceil.bw / 1e9, unit_name(widest_unit()));
    row(markdown, "decode bound (bandwidth / weights)", "%.1f tok/s", bound);
    if (threads > 1)
        row(markdown, "multiply-add peak", "%.0f GFLOP/s (%s mul then add; %.2fx one thread's)", ceil.peak / 1e9,
            ceil.peak_unit, ceil.peak / ceil.peak_one);
    else
        row(markdown, "multiply-add peak", "%.0f GFLOP/s (%s mul then add)", ceil.peak / 1e9, ceil.peak_unit);
    if (ceil.fma > 0)
        row(markdown, "fused multiply-add peak", "%.0f GFLOP/s (%s; not used: it rounds once)", ceil.fma / 1e9, ceil.fma_unit);
    for (int k = 0; k < 5; k++) {
        char label[64];
        snprintf(label, sizeof label, "decode kernel %s", kernel_names[k]);
        row(markdown, label, "%.1f GB/s, %.0f%% of the read bandwidth (%.1f MB per token)", kernel_gbs[k],
            100 * kernel_gbs[k] * 1e9 / ceil.bw, kernel_mb[k]);
    }
    row(markdown, "load time", "%.3f s", load_s);
    for (int k = 0; k < n_prefill; k++) {
        int T = prefill[k];
        if (T < 1 || T > n_ctx) continue;
        char label[32];
        snprintf(label, sizeof label, "prefill T=%d", T);
        double flops = pre[k] / T * prefill_flops(c, T);
        if (threads > 1)
            row(markdown, label, "%.1f tok/s (%.0f GFLOP/s, %.0f%% of the multiply-add peak; %.2fx one thread's)",
                pre[k], flops / 1e9, 100 * flops / ceil.peak, pre[k] / pre_one[k]);
        else
            row(markdown, label, "%.1f tok/s (%.0f GFLOP/s, %.0f%% of the multiply-add peak)", pre[k], flops / 1e9,
                100 * flops / ceil.peak);
    }
    if (threads > 1)
        row(markdown, "decode, KV cache", "%.1f tok/s (%.0f%% of the bound; %.2fx one thread's)", dec, 100 * dec / bound,
            dec / dec_one);
    else
        row(markdown, "decode, KV cache", "%.1f tok/s (%.0f%% of the bound)", dec, 100 * dec / bound);
    if (n_nocache > 0) {
        for (int r = 0; r < repeat; r++) {
            fprintf(stderr, "argen bench: decode %ld tokens without the KV cache, run %d/%ld\n", n_nocache, r + 1, repeat);
            if ((runs[r] = bench_decode(&m, &s, seq, (int)n_nocache, 0, NULL, &err)) < 0) goto fail;
        }
        row(markdown, "decode, no KV cache", "%.1f tok/s over %ld tokens", best_of(runs, (int)repeat), n_nocache);
    }
    if (n_traced > 0) {
        static const struct { TraceLevel level; const char *label; } levels[] = {
            {TRACE_NONE, "loop, trace off"}, {TRACE_SUMMARY, "loop, trace summary"}, {TRACE_FULL, "loop, trace full"}};
        double off = 0;
        for (int k = 0; k < 3; k++) {
            for (int r = 0; r < repeat; r++) {
                fprintf(stderr, "argen bench: %s, %ld tokens, run %d/%ld\n", levels[k].label, n_traced, r + 1, repeat);
                if ((runs[r] = bench_traced(&m, (int)n_traced, levels[k].level, trace_file, &err)) < 0) goto fail;
            }
            double rate = best_of(runs, (int)repeat);
            if (k == 0) off = rate;
            if (k == 0) row(markdown, levels[k].label, "%.1f tok/s over %ld tokens", rate, n_traced);
            else row(markdown, levels[k].label, "%.1f tok/s (%+.0f%% time per token)", rate, 100.0 * (off / rate - 1.0));
        }
        remove(trace_file);
    }
    row(markdown, "peak RSS", "%.1f MB (run state %.1f MB)", ru.ru_maxrss / 1024.0, s.bytes / 1e6);
    rc = 0;
fail:
    if (rc && *cli_stop_flag() != SIGPIPE) fprintf(stderr, "argen bench: %s\n", err.msg);
    free(seq);
    free(pre);
    free(pre_one);
    free(steps);
    free(steps_one);
    free(prefill);
    run_state_free(&s);
    gpt2_free(&m);
    return rc;
}
