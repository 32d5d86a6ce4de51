/*
 * check_util.c - atomic files and the output-over-input check (src/formats/files.h),
 * and the JSON writer's floats (src/formats/json.h) against the C library's
 * printf and strtod.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testdir.h"
#include "testutil.h"
#include "core/rng.h"
#include "formats/files.h"
#include "formats/json.h"

/* Writes text to path (plain stdio, not the code under test). */
static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* The first line of path into buf, "" when it cannot be read. */
static const char *read_text(const char *path, char *buf, size_t n) {
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return buf;
    if (!fgets(buf, (int)n, f)) buf[0] = '\0';
    fclose(f);
    return buf;
}

/* Two atomic files on one path at once: two temporaries, and whichever
 * commits last is the whole file (never a mix of the two). */
START_TEST(test_two_atomic_files_on_one_path) {
    char dir[256], path[512], buf[64];
    temp_dir_make(dir, sizeof dir, "util");
    snprintf(path, sizeof path, "%s/out.txt", dir);
    AtomicFile a, b;
    Error err;
    ck_assert_int_eq(atomic_open(&a, path, &err), 0);
    ck_assert_int_eq(atomic_open(&b, path, &err), 0);
    ck_assert_str_ne(a.tmp_path, b.tmp_path);
    fputs("first\n", a.f);
    fputs("second\n", b.f);
    ck_assert_int_eq(atomic_commit(&a, &err), 0);
    ck_assert_int_eq(atomic_commit(&b, &err), 0);
    ck_assert_str_eq(read_text(path, buf, sizeof buf), "second\n");
    ck_assert_int_ne(access(a.tmp_path, F_OK), 0);
    ck_assert_int_ne(access(b.tmp_path, F_OK), 0);
    remove(path);
    rmdir(dir);
}
END_TEST

/* A file already at the first temporary name (another program's, or a
 * stale one of an earlier process with this PID) is neither opened nor
 * removed. */
START_TEST(test_existing_temporary_left_alone) {
    char dir[256], path[512], stale[600], buf[64];
    temp_dir_make(dir, sizeof dir, "util");
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(stale, sizeof stale, "%s.tmp.%ld.0", path, (long)getpid());
    write_text(stale, "not argen's\n");
    AtomicFile af;
    Error err;
    ck_assert_int_eq(atomic_open(&af, path, &err), 0);
    ck_assert_str_ne(af.tmp_path, stale);
    fputs("mine\n", af.f);
    atomic_abort(&af);
    ck_assert_str_eq(read_text(stale, buf, sizeof buf), "not argen's\n");
    ck_assert_int_ne(access(path, F_OK), 0);
    remove(stale);
    rmdir(dir);
}
END_TEST

/* An output is refused when it is an input, a file of an input folder
 * (also through a symlink or a hard link), or another output. */
START_TEST(test_output_over_input_refused) {
    char dir[256], model[512], weights[600], symlink_path[600], hard[600], fresh[600], other[600];
    temp_dir_make(dir, sizeof dir, "util");
    snprintf(model, sizeof model, "%s/m", dir);
    ck_assert_int_eq(mkdir(model, 0777), 0);
    snprintf(weights, sizeof weights, "%s/model.safetensors", model);
    snprintf(symlink_path, sizeof symlink_path, "%s/link", dir);
    snprintf(hard, sizeof hard, "%s/hard", dir);
    snprintf(fresh, sizeof fresh, "%s/new.json", dir);
    snprintf(other, sizeof other, "%s/m/../new.json", dir);
    write_text(weights, "weights\n");
    ck_assert_int_eq(symlink(weights, symlink_path), 0);
    ck_assert_int_eq(link(weights, hard), 0);
    NamedPath in[] = {{"--model", model}};
    Error err;
    NamedPath o1[] = {{"--trace", weights}};
    ck_assert_int_eq(check_output_paths(in, 1, o1, 1, &err), -1);
    ck_assert_msg(strstr(err.msg, "--trace: ") == err.msg && strstr(err.msg, "--model"), "%s", err.msg);
    NamedPath o2[] = {{"--trace", symlink_path}};
    ck_assert_int_eq(check_output_paths(in, 1, o2, 1, &err), -1);
    NamedPath o3[] = {{"--trace", hard}};
    ck_assert_int_eq(check_output_paths(in, 1, o3, 1, &err), -1);
    NamedPath o4[] = {{"--trace", fresh}, {"--timing", other}};   /* neither exists yet */
    ck_assert_int_eq(check_output_paths(in, 1, o4, 2, &err), -1);
    ck_assert_msg(strstr(err.msg, "--timing: ") == err.msg, "%s", err.msg);
    NamedPath o5[] = {{"--trace", fresh}, {"--timing", NULL}};
    ck_assert_int_eq(check_output_paths(in, 1, o5, 2, &err), 0);
    NamedPath o6[] = {{"--trace", "/dev/null"}, {"--timing", "/dev/null"}};   /* devices replace nothing */
    ck_assert_int_eq(check_output_paths(in, 1, o6, 2, &err), 0);
    remove(symlink_path);
    remove(hard);
    remove(weights);
    rmdir(model);
    rmdir(dir);
}
END_TEST

/* The reference for jw_float, from the C library alone: the shortest of
 * "%.6g" .. "%.9g" that strtod reads back (then rounded to float) as the
 * same float; "%.17g" past float's range; null when not finite. */
static int reads_back(char *buf, size_t n, int prec, double v) {
    snprintf(buf, n, "%.*g", prec, v);
    return (float)strtod(buf, NULL) == (float)v;
}

static void float_text_reference(char *out, size_t n, double v) {
    char buf[32];
    if (!isfinite(v)) { snprintf(out, n, "null"); return; }
    if (!isfinite((float)v)) { snprintf(out, n, "%.17g", v); return; }
    v = (float)v;
    for (int prec = 6; prec <= 9; prec++)
        if (reads_back(buf, sizeof buf, prec, v) || prec == 9) { snprintf(out, n, "%s", buf); return; }
}

/* jw_float's text of v, through a memory stream. */
static void float_text(char *out, size_t n, double v) {
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    ck_assert_ptr_nonnull(f);
    JsonWriter w;
    jw_init(&w, f, 0);
    jw_float(&w, v);
    fclose(f);
    snprintf(out, n, "%s", mem);
    free(mem);
}

static double float_of_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* jw_float computes digits and the read-back in double arithmetic where it
 * can: byte for byte the C library's text over every kind of float - raw bit
 * patterns (subnormals, NaNs, infinities), probabilities in [0, 1), logits,
 * floats next to d * 10^e for d of 1..10 digits (the near ties), powers of
 * ten and two, both zeros, and doubles (rounded to float, or past its range). */
START_TEST(test_json_float_matches_printf) {
    char got[64], want[64];
    Rng r;
    rng_seed(&r, 2024, 0);
    const double fixed[] = {0.0, -0.0, 1.0, -1.0, 0.5, 1e-5, 1e-4, 9.9999999e-5, 999999.5, 9999999.0, 1e9, 1e10,
                            123456789.0, 0.1, 3.4028234663852886e38, 1.1754943508222875e-38, 1.4e-45, 1e39, -1e300,
                            1e-50, INFINITY, -INFINITY, NAN, 16777216.0, 16777217.0, 4294967296.0, 1e22, 1e23};
    int n_fixed = (int)(sizeof fixed / sizeof fixed[0]);
    for (int i = 0; i < n_fixed + 300000; i++) {
        double v;
        uint32_t u = rng_u32(&r);
        if (i < n_fixed) v = fixed[i];
        else if (i % 6 == 0) v = float_of_bits(u);
        else if (i % 6 == 1) v = (float)((double)u / 4294967296.0);
        else if (i % 6 == 2) v = (float)(((double)u / 4294967296.0 - 0.5) * 40.0);
        else if (i % 6 == 3) {
            int digits = 1 + (int)(u % 10), e = (int)(rng_u32(&r) % 60) - 30;
            double d = floor((double)rng_u32(&r) / 4294967296.0 * pow(10, digits));
            float f = (float)(d * pow(10, e));
            for (int k = (int)(u >> 28) % 5 - 2; k != 0; k += k > 0 ? -1 : 1) f = nextafterf(f, k > 0 ? INFINITY : -INFINITY);
            v = u & 1 ? -f : f;
        } else if (i % 6 == 4) v = ldexp(1.0, (int)(u % 300) - 150) * (u & 1 ? 1 : -1) * (u & 2 ? 1 : pow(10, (int)(u >> 27) - 16));
        else v = (double)u / 4294967296.0 * pow(10, (int)(rng_u32(&r) % 90) - 45);
        float_text(got, sizeof got, v);
        float_text_reference(want, sizeof want, v);
        ck_assert_msg(strcmp(got, want) == 0, "jw_float(%.17g) wrote %s, the C library %s", v, got, want);
    }
}
END_TEST

/* jw_float_array(x) is the same text as an array of jw_float(x[i]), in blocks
 * past the writer's 4 KiB buffer, nested, and where pretty-printing puts each
 * item on its own line. */
static char *float_array_text(int pretty, int depth, const float *x, size_t n, int one_by_one) {
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    ck_assert_ptr_nonnull(f);
    JsonWriter w;
    jw_init(&w, f, pretty);
    for (int d = 0; d < depth; d++) jw_array_begin(&w);
    for (int rep = 0; rep < 2; rep++) {
        if (one_by_one) {
            jw_array_begin(&w);
            for (size_t i = 0; i < n; i++) jw_float(&w, x[i]);
            jw_array_end(&w);
        } else {
            jw_float_array(&w, x, n);
        }
    }
    for (int d = 0; d < depth; d++) jw_array_end(&w);
    fclose(f);
    return mem;
}

START_TEST(test_json_float_array_matches_items) {
    enum { N = 3000 };
    static float x[N];
    Rng r;
    rng_seed(&r, 11, 0);
    for (int i = 0; i < N; i++) x[i] = (float)float_of_bits(rng_u32(&r));
    x[0] = NAN;
    x[1] = -INFINITY;
    x[2] = -0.0f;
    size_t sizes[] = {0, 1, 2, 17, N};
    for (int pretty = 0; pretty <= 3; pretty += 3)
        for (int depth = 0; depth <= 2; depth++)
            for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
                char *want = float_array_text(pretty, depth, x, sizes[k], 1);
                char *got = float_array_text(pretty, depth, x, sizes[k], 0);
                ck_assert_msg(strcmp(got, want) == 0, "pretty %d depth %d n %zu: '%.60s' vs '%.60s'", pretty, depth,
                              sizes[k], got, want);
                free(want);
                free(got);
            }
}
END_TEST

/* jw_int writes its digits by hand: the same text as "%lld" */
START_TEST(test_json_int_matches_printf) {
    const long long fixed[] = {0, 1, -1, 9, 10, -10, 50256, 2147483647LL, -2147483648LL, 9007199254740992LL,
                               9223372036854775807LL, -9223372036854775807LL - 1};
    Rng r;
    rng_seed(&r, 7, 0);
    for (int i = 0; i < 12 + 10000; i++) {
        long long v = i < 12 ? fixed[i] : (long long)(((uint64_t)rng_u32(&r) << 32 | rng_u32(&r)) >> (1 + rng_u32(&r) % 63));
        if (i >= 12 && (i & 1)) v = -v;
        char *mem = NULL, want[32];
        size_t len = 0;
        FILE *f = open_memstream(&mem, &len);
        ck_assert_ptr_nonnull(f);
        JsonWriter w;
        jw_init(&w, f, 0);
        jw_int(&w, v);
        fclose(f);
        snprintf(want, sizeof want, "%lld", v);
        ck_assert_msg(strcmp(mem, want) == 0, "jw_int wrote %s, printf %s", mem, want);
        free(mem);
    }
}
END_TEST

static Suite *util_suite(void) {
    Suite *s = suite_create("util");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_two_atomic_files_on_one_path);
    tcase_add_test(core, test_output_over_input_refused);
    suite_add_tcase(s, core);
    TCase *edge = tcase_create("edge");
    tcase_add_test(edge, test_existing_temporary_left_alone);
    suite_add_tcase(s, edge);
    TCase *reference = tcase_create("reference");
    tcase_set_timeout(reference, 60);
    tcase_add_test(reference, test_json_float_matches_printf);
    tcase_add_test(reference, test_json_int_matches_printf);
    tcase_add_test(reference, test_json_float_array_matches_items);
    suite_add_tcase(s, reference);
    return s;
}

int main(void) { return run_suite(util_suite()); }
