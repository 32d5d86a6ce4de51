/*
 * cmd_bench.c - `argen bench`: where the time goes, measured.
 *
 * Decoding one token with the KV cache reads every weight once, so its speed
 * limit is memory bandwidth: bound = bandwidth / bytes of weights.  This
 * command measures the machine's read bandwidth with a plain loop, then the
 * model's load time, prefill rate, decode rate with and without the KV cache,
 * and reports decode as a fraction of that bound.  A benchmark, not a test.
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
    "Measures read bandwidth, load time, prefill tokens/s, decode tokens/s with the\n"
    "KV cache (N new tokens, default 256) and without it (default 32), the whole\n"
    "generation loop with the trace off, at summary and at full (--trace-decode N\n"
    "tokens, default 32, written to --trace-file, default /tmp/argen-bench-trace.json),\n"
    "and peak RSS.\n"
    "Each figure is the median of R runs (default 3).  --markdown prints a table row set.\n"
    CLI_WEIGHTS_HELP;

/* Bytes read per second by the simplest streaming loop: a sum with 16
 * partial sums over a buffer far larger than the caches (best of 5), in the
 * widest vector unit the kernels use (AVX2 where the CPU has it, compiled
 * here for it as core/kernels.c does).  With OpenMP each thread streams its
 * own contiguous part, so the figure is the bandwidth that the same number
 * of threads can draw. */
#define BW_CHUNKS 64
static float sum_chunk(const float *b, size_t n) {
    float part[16] = {0};
    for (size_t i = 0; i < n; i += 16)
        for (int k = 0; k < 16; k++) part[k] += b[i + k];
    float s = 0;
    for (int k = 0; k < 16; k++) s += part[k];
    return s;
}
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(ARGEN_PORTABLE_KERNELS)
__attribute__((target("avx2"))) static float sum_chunk_avx2(const float *b, size_t n) {
    float part[16] = {0};
    for (size_t i = 0; i < n; i += 16)
        for (int k = 0; k < 16; k++) part[k] += b[i + k];
    float s = 0;
    for (int k = 0; k < 16; k++) s += part[k];
    return s;
}
#else
#define sum_chunk_avx2 sum_chunk
#endif

static double read_bandwidth(size_t bytes) {
    size_t n = bytes / sizeof(float) / (16 * BW_CHUNKS) * (16 * BW_CHUNKS), per = n / BW_CHUNKS;
    float *buf = malloc(n * sizeof *buf);
    if (!buf) return 0;
    for (size_t i = 0; i < n; i++) buf[i] = (float)(i & 7);
    float (*sum)(const float *, size_t) = kernel_path() == KERNEL_AVX2 ? sum_chunk_avx2 : sum_chunk;
    double best = 0, total = 0;
    for (int rep = 0; rep < 5; rep++) {
        float sums[BW_CHUNKS];
        double t0 = now_seconds();
#pragma omp parallel for schedule(static)
        for (int c = 0; c < BW_CHUNKS; c++) sums[c] = sum(buf + (size_t)c * per, per);
        double dt = now_seconds() - t0;
        for (int c = 0; c < BW_CHUNKS; c++) total += sums[c];  /* keeps the loop alive */
        if (n * sizeof(float) / dt > best) best = n * sizeof(float) / dt;
    }
    free(buf);
    return total > 0 ? best : 0;
}

static void row(int markdown, const char *label, const char *fmt, ...);

/* GB/s of each weight-streaming kernel of decode (one token): the same
 * matmul over the matching weight of every layer in turn, so that the bytes
 * read (n_layer matrices) far exceed the caches; best of `repeat`. */
static void bench_kernels(int markdown, const GPT2 *m, int repeat) {
    const GPT2Config *c = &m->config;
    size_t C = (size_t)c->n_embd, V = (size_t)c->vocab_size;
    float *x = malloc(4 * C * sizeof *x), *y = malloc((V > 4 * C ? V : 4 * C) * sizeof *y);
    if (!x || !y) { free(x); free(y); return; }
    for (size_t i = 0; i < 4 * C; i++) x[i] = (float)((i * 37) % 11) / 11.0f - 0.5f;
    static const char *names[] = {"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj", "lm_head"};
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
        char label[64];
        snprintf(label, sizeof label, "decode kernel %s", names[k]);
        row(markdown, label, "%.1f GB/s (%.1f MB per token)", bytes / best / 1e9, bytes / 1e6);
    }
    free(x);
    free(y);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
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

/* tokens/s generating n tokens greedily after a 1-token prompt */
static double bench_decode(const GPT2 *m, RunState *s, int *seq, int n, int use_cache, Error *err) {
    if (interrupted(err)) return -1;
    double t0 = now_seconds();
    for (int t = 0; t < n; t++) {
        int rc = use_cache ? forward_pass(m, s, &seq[t], 1, t, NULL, err) : forward_pass(m, s, seq, t + 1, 0, NULL, err);
        if (rc) return -1;
        logits_final(m, s);
        seq[t + 1] = argmax(s->logits, m->config.vocab_size);
    }
    return n / (now_seconds() - t0);
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
    fprintf(stderr, "argen bench: measuring read bandwidth...\n");
    double bw = read_bandwidth((size_t)1 << 29);
    double bound = bw / weight_bytes;

    int n_ctx = c->n_positions;
    RunOptions opt = {.max_tokens = n_ctx, .n_ctx = n_ctx, .keep_layers = 0, .all_logits = 0};
    RunState s;
    if (run_state_init(&s, &m, &opt, &err)) { fprintf(stderr, "argen bench: %s\n", err.msg); gpt2_free(&m); return EXIT_FAIL; }
    int *seq = calloc((size_t)n_ctx + 1, sizeof *seq);
    for (int t = 0; t <= n_ctx; t++) seq[t] = (int)((t * 7919L + 13) % c->vocab_size);
    double runs[100];
    int rc = EXIT_FAIL;

    printf("%s", markdown ? "| measure | value |\n|---|---|\n" : "");
    row(markdown, "model", "%s (%.1f M params, %.1f MB, matrices %s)", dir, m.n_floats / 1e6, weight_bytes / 1e6,
        weight_dtype_name(m.w.wte.dtype));
    row(markdown, "kernels", "%s", kernel_path_name(kernel_path()));
    row(markdown, "read bandwidth", "%.1f GB/s", bw / 1e9);
    row(markdown, "decode bound (bandwidth / weights)", "%.1f tok/s", bound);
    bench_kernels(markdown, &m, (int)repeat);
    row(markdown, "load time", "%.3f s", load_s);
    for (int k = 0; k < n_prefill; k++) {
        int T = prefill[k];
        if (T < 1 || T > n_ctx) continue;
        for (int r = 0; r < repeat; r++) {
            fprintf(stderr, "argen bench: prefill T=%d run %d/%ld\n", T, r + 1, repeat);
            if ((runs[r] = bench_prefill(&m, &s, seq, T, &err)) < 0) goto fail;
        }
        char label[32];
        snprintf(label, sizeof label, "prefill T=%d", T);
        row(markdown, label, "%.1f tok/s", median(runs, (int)repeat));
    }
    for (int r = 0; r < repeat; r++) {
        fprintf(stderr, "argen bench: decode %ld tokens with the KV cache, run %d/%ld\n", n_decode, r + 1, repeat);
        if ((runs[r] = bench_decode(&m, &s, seq, (int)n_decode, 1, &err)) < 0) goto fail;
    }
    double dec = median(runs, (int)repeat);
    row(markdown, "decode, KV cache", "%.1f tok/s (%.0f%% of the bound)", dec, 100 * dec / bound);
    if (n_nocache > 0) {
        for (int r = 0; r < repeat; r++) {
            fprintf(stderr, "argen bench: decode %ld tokens without the KV cache, run %d/%ld\n", n_nocache, r + 1, repeat);
            if ((runs[r] = bench_decode(&m, &s, seq, (int)n_nocache, 0, &err)) < 0) goto fail;
        }
        row(markdown, "decode, no KV cache", "%.1f tok/s over %ld tokens", median(runs, (int)repeat), n_nocache);
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
            double rate = median(runs, (int)repeat);
            if (k == 0) off = rate;
            if (k == 0) row(markdown, levels[k].label, "%.1f tok/s over %ld tokens", rate, n_traced);
            else row(markdown, levels[k].label, "%.1f tok/s (%+.0f%% time per token)", rate, 100.0 * (off / rate - 1.0));
        }
        remove(trace_file);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    row(markdown, "peak RSS", "%.1f MB (run state %.1f MB)", ru.ru_maxrss / 1024.0, s.bytes / 1e6);
    rc = 0;
fail:
    if (rc && *cli_stop_flag() != SIGPIPE) fprintf(stderr, "argen bench: %s\n", err.msg);
    free(seq);
    free(prefill);
    run_state_free(&s);
    gpt2_free(&m);
    return rc;
}
