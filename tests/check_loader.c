/*
 * check_loader.c - every malformed checkpoint is refused with a one-line
 * message naming the file and the tensor or field at fault, and no byte
 * pattern makes gpt2_load crash or read outside the file.
 *
 * The malformed folders in tests/data/bad/ and the table of expected message
 * substrings, tests/data/bad_checkpoints.tsv, are written by
 *     /usr/bin/python3 tests/ref/make_bad_checkpoints.py
 * (`--list` says what is wrong with each).  Each test runs in its own
 * process (Check's fork mode), so a crash fails that test instead of the
 * suite.  Run from the repository root.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testdir.h"
#include "testutil.h"

#include "formats/json.h"
#include "core/forward.h"
#include "core/model.h"
#include "formats/checkpoint.h"
#include "formats/files.h"

#define BAD_DIR "tests/data/bad"
#define TABLE "tests/data/bad_checkpoints.tsv"
#define PATH_SIZE 1024
#define MAX_EXPECT 8

/* ---- helpers ---- */

static void join(char *out, const char *dir, const char *name) {
    Error err;
    ck_assert_msg(path_join(out, PATH_SIZE, dir, name, &err) == 0, "%s", err.msg);
}

/* One line of the table: a folder name and the substrings its error needs. */
typedef struct {
    char line[1024];          /* the line, cut into the strings below */
    const char *name;
    const char *expect[MAX_EXPECT];
    int n_expect;
} Row;

/* Reads row `want` (0-based, comments and blank lines skipped) of the table;
 * returns the number of rows when want < 0. */
static int table_row(int want, Row *row) {
    FILE *f = fopen(TABLE, "r");
    if (!f) return -1;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') continue;
        if (n++ != want) continue;
        memcpy(row->line, line, sizeof line);
        row->n_expect = 0;
        char *save = row->line, *field = save;
        row->name = field;
        for (char *p = save; *p; p++) {
            if (*p != '\t') continue;
            *p = '\0';
            if (row->n_expect < MAX_EXPECT) row->expect[row->n_expect++] = p + 1;
        }
        fclose(f);
        return 0;
    }
    fclose(f);
    return want < 0 ? n : -1;
}

/* Case-insensitive strstr. */
static int contains(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i])) i++;
        if (i == n) return 1;
    }
    return n == 0;
}

/* A refusal must be one non-empty line. */
static void assert_one_line(const Error *err, const char *what) {
    ck_assert_msg(err->msg[0] != '\0', "%s: refused with an empty message", what);
    ck_assert_msg(strchr(err->msg, '\n') == NULL, "%s: message is not one line: %s", what, err->msg);
}

static void write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert(fwrite(data, 1, len, f) == len);
    ck_assert(fclose(f) == 0);
}

static void read_whole(const char *path, char **data, size_t *len) {
    Error err;
    ck_assert_msg(read_file(path, data, len, &err) == 0, "%s", err.msg);
}

/* A temporary model folder with the valid config.json, for mutated files. */
static void make_temp_model(char *dir, size_t n) {
    temp_dir_make(dir, n, "check_loader");
    char src[PATH_SIZE], dst[PATH_SIZE], *text;
    size_t len;
    join(src, BAD_DIR "/valid", "config.json");
    read_whole(src, &text, &len);
    join(dst, dir, "config.json");
    write_file(dst, text, len);
    free(text);
}

/* Loads dir both ways (in place and copied); returns how many loads
 * succeeded, checking that every refusal is one line naming the file. */
static int try_load(const char *dir, const char *what) {
    int ok = 0;
    for (int copy = 0; copy < 2; copy++) {
        GPT2 m;
        Error err;
        err.msg[0] = '\0';
        if (gpt2_load(&m, dir, copy, &err) == 0) {
            ok++;
            gpt2_free(&m);
            continue;
        }
        assert_one_line(&err, what);
        ck_assert_msg(contains(err.msg, "model.safetensors"), "%s: message does not name the file: %s", what, err.msg);
    }
    return ok;
}

/* ---- edge: the table of malformed checkpoints ---- */

START_TEST(test_bad_checkpoint) {
    Row row;
    ck_assert_msg(table_row(_i, &row) == 0, "%s: no row %d", TABLE, _i);
    char dir[PATH_SIZE];
    join(dir, BAD_DIR, row.name);
    for (int copy = 0; copy < 2; copy++) {
        GPT2 m;
        Error err;
        err.msg[0] = '\0';
        int rc = gpt2_load(&m, dir, copy, &err);
        if (row.n_expect == 0) {
            ck_assert_msg(rc == 0, "%s must load: %s", row.name, err.msg);
            gpt2_free(&m);
            continue;
        }
        ck_assert_msg(rc == -1, "%s (copy=%d): loaded, expected an error", row.name, copy);
        assert_one_line(&err, row.name);
        for (int k = 0; k < row.n_expect; k++)
            ck_assert_msg(contains(err.msg, row.expect[k]), "%s: message lacks \"%s\": %s", row.name, row.expect[k], err.msg);
    }
}
END_TEST

/* A header length above the 100 MB cap in a file that really is larger
 * (sparse on disk), so only the cap can refuse it; quickly, without parsing
 * 100 MB of zeros as JSON. */
START_TEST(test_header_over_cap_in_big_file) {
    char dir[64], path[PATH_SIZE];
    make_temp_model(dir, sizeof dir);
    join(path, dir, "model.safetensors");
    uint64_t n = 100000001ULL;
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(n >> (8 * i));
    FILE *f = fopen(path, "wb");
    ck_assert(f != NULL);
    ck_assert(fwrite(len8, 1, 8, f) == 8);
    ck_assert(fseek(f, (long)(n + 64), SEEK_SET) == 0);
    ck_assert(fputc(0, f) == 0);
    ck_assert(fclose(f) == 0);
    GPT2 m;
    Error err;
    double t0 = now_seconds();
    ck_assert_int_eq(gpt2_load(&m, dir, 0, &err), -1);
    ck_assert_msg(contains(err.msg, "header length") && contains(err.msg, "model.safetensors"), "message: %s", err.msg);
    ck_assert_msg(now_seconds() - t0 < 2.0, "refusing an over-long header took %.1f s", now_seconds() - t0);
    temp_dir_remove(dir);
}
END_TEST

/* ---- edge: fuzzing the valid file ---- */

/* Every prefix of the valid file is refused, naming the file. */
START_TEST(test_every_truncation) {
    char src[PATH_SIZE], dir[64], path[PATH_SIZE], *text;
    size_t len;
    join(src, BAD_DIR "/valid", "model.safetensors");
    read_whole(src, &text, &len);
    make_temp_model(dir, sizeof dir);
    join(path, dir, "model.safetensors");
    for (size_t cut = 0; cut < len; cut++) {
        write_file(path, text, cut);
        char what[64];
        snprintf(what, sizeof what, "first %zu of %zu bytes", cut, len);
        ck_assert_msg(try_load(dir, what) == 0, "%s: loaded", what);
    }
    write_file(path, text, len);
    ck_assert_int_eq(try_load(dir, "the whole file"), 2);
    free(text);
    temp_dir_remove(dir);
}
END_TEST

/* Each byte of the length prefix and the header replaced by each of a few
 * telling values: never a crash; any refusal is one line naming the file.
 * (Some replacements stay valid, e.g. inside the metadata string.) */
START_TEST(test_every_header_byte) {
    char src[PATH_SIZE], dir[64], path[PATH_SIZE], *text;
    size_t len;
    join(src, BAD_DIR "/valid", "model.safetensors");
    read_whole(src, &text, &len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | (unsigned char)text[i];
    ck_assert(n + 8 <= len);
    make_temp_model(dir, sizeof dir);
    join(path, dir, "model.safetensors");
    static const unsigned char values[] = {0x00, 0xff, '"', '9', '-', '}', ']', ',', 0x80};
    int loaded = 0, refused = 0;
    for (size_t at = 0; at < 8 + n; at++) {
        for (size_t v = 0; v < sizeof values; v++) {
            if ((unsigned char)text[at] == values[v]) continue;
            char saved = text[at];
            text[at] = (char)values[v];
            write_file(path, text, len);
            char what[64];
            snprintf(what, sizeof what, "byte %zu set to 0x%02x", at, values[v]);
            int ok = try_load(dir, what);
            ck_assert_msg(ok == 0 || ok == 2, "%s: loads in place but not copied, or the reverse", what);
            if (ok) loaded++;
            else refused++;
            text[at] = saved;
        }
    }
    ck_assert_int_gt(refused, 0);
    (void)loaded;
    free(text);
    temp_dir_remove(dir);
}
END_TEST

/* ---- edge: a checkpoint whose matrices stay in half precision ---- */

/* Loads dir as stored and converted to F32, F16 and BF16: never a crash, and
 * every refusal one line naming the file.  Returns how many loaded. */
static int try_load_as(const char *dir, const char *what) {
    static const LoadWeights modes[] = {LOAD_AS_STORED, LOAD_F32, LOAD_F16, LOAD_BF16};
    int ok = 0;
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        GPT2 m;
        Error err;
        err.msg[0] = '\0';
        if (gpt2_load_weights(&m, dir, modes[k], &err) == 0) {
            ok++;
            gpt2_free(&m);
            continue;
        }
        assert_one_line(&err, what);
        ck_assert_msg(contains(err.msg, "model.safetensors"), "%s: message does not name the file: %s", what, err.msg);
    }
    return ok;
}

/* The logits at the last of three positions (fresh buffer: free() it). */
static float *last_logits(const GPT2 *m) {
    int ids[3] = {1, 4, 2};
    RunOptions opt = {3, 3, 0, 0};
    RunState s;
    Error err;
    ck_assert_msg(run_state_init(&s, m, &opt, &err) == 0, "%s", err.msg);
    ck_assert_msg(forward_pass(m, &s, ids, 3, 0, NULL, &err) == 0, "%s", err.msg);
    logits_final(m, &s);
    float *out = malloc((size_t)m->config.vocab_size * sizeof *out);
    ck_assert(out != NULL);
    memcpy(out, s.logits, (size_t)m->config.vocab_size * sizeof *out);
    run_state_free(&s);
    return out;
}

/* The valid checkpoint saved as F16 or BF16: loaded as stored, its matrices
 * are used in place from the mapping; with one more byte of header (the data
 * section at an odd address) they are copied instead, with the same logits;
 * every prefix of the file is refused in every mode. */
START_TEST(test_half_checkpoint) {
    SaveDType save = _i ? SAVE_BF16 : SAVE_F16;
    WeightDType want = _i ? WEIGHTS_BF16 : WEIGHTS_F16;
    char src[PATH_SIZE], dir[64], odd[64], path[PATH_SIZE], *text;
    size_t len;
    GPT2 m, a, b;
    Error err;
    ck_assert_msg(gpt2_load(&m, BAD_DIR "/valid", 1, &err) == 0, "%s", err.msg);
    make_temp_model(dir, sizeof dir);
    ck_assert_msg(gpt2_save(&m, dir, save, &err) == 0, "%s", err.msg);
    gpt2_free(&m);
    ck_assert_msg(gpt2_load(&a, dir, 0, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(a.w.wte.dtype, want);
    ck_assert_int_eq(a.w.h[0].attn_c_attn_weight.dtype, want);
    const char *map = a.map;
    ck_assert_msg((const char *)a.w.h[0].mlp_c_proj_weight.half >= map &&
                  (const char *)a.w.h[0].mlp_c_proj_weight.half < map + a.map_len, "not used in place");
    ck_assert_ptr_null(a.owned_half);
    /* The same file with a header one byte longer (JSON allows a trailing space). */
    join(src, dir, "model.safetensors");
    read_whole(src, &text, &len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | (unsigned char)text[i];
    char *shifted = malloc(len + 1);
    ck_assert(shifted != NULL);
    for (int i = 0; i < 8; i++) shifted[i] = (char)((n + 1) >> (8 * i));
    memcpy(shifted + 8, text + 8, (size_t)n);
    shifted[8 + n] = ' ';
    memcpy(shifted + 9 + n, text + 8 + n, len - 8 - (size_t)n);
    make_temp_model(odd, sizeof odd);
    join(path, odd, "model.safetensors");
    write_file(path, shifted, len + 1);
    ck_assert_msg(gpt2_load(&b, odd, 0, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(b.w.wte.dtype, want);
    ck_assert_ptr_nonnull(b.owned_half);
    float *la = last_logits(&a), *lb = last_logits(&b);
    ck_assert_msg(memcmp(la, lb, (size_t)a.config.vocab_size * sizeof *la) == 0, "copied halves give other logits");
    free(la);
    free(lb);
    gpt2_free(&a);
    gpt2_free(&b);
    /* Every prefix refused in every mode; the whole file loads in all four. */
    join(path, odd, "model.safetensors");
    for (size_t cut = 0; cut < len; cut++) {
        write_file(path, text, cut);
        char what[64];
        snprintf(what, sizeof what, "%s: first %zu of %zu bytes", weight_dtype_name(want), cut, len);
        ck_assert_msg(try_load_as(odd, what) == 0, "%s: loaded", what);
    }
    write_file(path, text, len);
    ck_assert_int_eq(try_load_as(odd, "the whole file"), 4);
    free(text);
    free(shifted);
    temp_dir_remove(dir);
    temp_dir_remove(odd);
}
END_TEST

/* Duplicate member names are found wherever they are, whatever else is there. */
START_TEST(test_duplicate_keys) {
    static const struct { const char *json; long dup; } cases[] = {
        {"{}", -1}, {"{\"a\":1}", -1}, {"{\"a\":1,\"b\":2,\"ab\":3}", -1},
        {"{\"a\":1,\"a\":2}", 1}, {"{\"x\":0,\"n_layer\":1,\"y\":2,\"n_layer\":3}", 3},
        {"{\"a\\u0000\":1,\"a\":2}", -1}, {"{\"b\":1,\"a\":2,\"b\":3,\"a\":4}", 2}, {"[1,1]", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        JsonValue v;
        Error err;
        ck_assert_msg(json_parse(cases[i].json, strlen(cases[i].json), "t", &v, &err) == 0, "%s", err.msg);
        size_t dup = 99;
        int found = json_find_duplicate_key(&v, &dup);
        ck_assert_int_eq(found, cases[i].dup >= 0);
        if (found) ck_assert_int_eq((long)dup, cases[i].dup);
        json_free(&v);
    }
}
END_TEST

static Suite *loader_suite(int n_rows) {
    Suite *s = suite_create("loader");
    TCase *edge = tcase_create("edge");
    tcase_set_timeout(edge, 120);
    tcase_add_loop_test(edge, test_bad_checkpoint, 0, n_rows);
    tcase_add_test(edge, test_header_over_cap_in_big_file);
    tcase_add_test(edge, test_every_truncation);
    tcase_add_test(edge, test_every_header_byte);
    tcase_add_test(edge, test_duplicate_keys);
    tcase_add_loop_test(edge, test_half_checkpoint, 0, 2);
    suite_add_tcase(s, edge);
    return s;
}

int main(void) {
    int n_rows = table_row(-1, NULL);
    if (n_rows < 1) {
        fprintf(stderr, "check_loader: cannot read %s (run from the repository root)\n", TABLE);
        return EXIT_FAILURE;
    }
    return run_suite(loader_suite(n_rows));
}
