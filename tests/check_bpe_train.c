/*
 * check_bpe_train.c - the byte-level BPE trainer.
 *
 *   core   small hand-made texts whose merges are derived by hand (below, at
 *          each test), including the tie rule and a pair of equal tokens
 *   output GPT-2's file format; tokenizer_load accepts it; the trained
 *          tokenizer round-trips its text and random bytes
 *   edge   bad vocab sizes and output folders
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/bpe_train.h"
#include "core/rng.h"
#include "testdir.h"
#include "testutil.h"
#include "formats/tokenizer.h"

static char *read_out(const char *dir, const char *name) {
    char path[4096], *data;
    size_t len;
    Error err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert_msg(read_file(path, &data, &len, &err) == 0, "%s", err.msg);
    return data;
}

/* Trains on text into a new folder d (n bytes) and checks merges.txt word for word. */
static void train_expect(char *d, size_t n_d, const char *text, int vocab_size, int want_tokens, const char *want_merges) {
    temp_dir_make(d, n_d, "check_bpe");
    Error err;
    int n = bpe_train(text, strlen(text), vocab_size, d, NULL, NULL, &err);
    ck_assert_msg(n == want_tokens, "bpe_train gave %d tokens, want %d (%s)", n, want_tokens, n < 0 ? err.msg : "");
    char *merges = read_out(d, "merges.txt");
    ck_assert_msg(strcmp(merges, want_merges) == 0, "merges.txt:\n%s\nwant:\n%s", merges, want_merges);
    free(merges);
}

/* "ab ab ab abc" pre-tokenizes to "ab" x1, " ab" x2, " abc" x1.
 * Pairs: (a,b) 4, (Ġ,a) 3, (b,c) 1 -> merge "a b".
 * Then (Ġ,ab) 3, (ab,c) 1 -> merge "Ġ ab".  Then (Ġab,c) 1: nothing occurs
 * twice, so training stops at 256 + 2 + <|endoftext|> = 259 tokens. */
START_TEST(test_hand_merges) {
    char d[64];
    train_expect(d, sizeof d, "ab ab ab abc", 1000, 259, "#version: 0.2\na b\n\xC4\xA0 ab\n");
    char *vocab = read_out(d, "vocab.json");
    ck_assert_msg(strncmp(vocab, "{\"!\": 0, \"\\\"\": 1, \"#\": 2", 24) == 0, "vocab.json starts '%.40s'", vocab);
    ck_assert_msg(strstr(vocab, "\"ab\": 256, \"\xC4\xA0" "ab\": 257, \"<|endoftext|>\": 258}") != NULL,
                  "vocab.json ends '%s'", vocab + strlen(vocab) - 60);
    ck_assert_msg(strstr(vocab, "\"\xC4\xA0\": 220") != NULL, "space is not id 220 as in GPT-2");
    free(vocab);

    Tokenizer t;
    Error err;
    ck_assert_msg(tokenizer_load(&t, d, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(tokenizer_vocab_size(&t), 259);
    ck_assert_int_eq(tokenizer_eot_id(&t), 258);
    int *ids, n;
    /* " abc": Ġ a b c -> Ġ ab c (rank 0) -> Ġab c (rank 1); 'c' is byte 99 -> id 66. */
    ck_assert_int_eq(tokenizer_encode(&t, "ab ab ab abc", 12, 1, &ids, &n, &err), 0);
    ck_assert_int_eq(n, 5);
    ck_assert(ids[0] == 256 && ids[1] == 257 && ids[2] == 257 && ids[3] == 257 && ids[4] == 66);
    free(ids);
    tokenizer_free(&t);
    temp_dir_remove(d);
}
END_TEST

/* "ba ab ba ab": "ba" x1, " ab" x2, " ba" x1.
 * Pairs (b,a) 2, (Ġ,a) 2, (a,b) 2, (Ġ,b) 1: a three-way tie, won by the left
 * token whose bytes sort first: Ġ (0x20) < a < b -> "Ġ a".
 * Then (b,a) 2, (Ġa,b) 2: "Ġa" (0x20 0x61) < "b" -> "Ġa b".
 * Then (b,a) 2 -> "b a", then (Ġ,ba) 1: stop. */
START_TEST(test_tie_rule) {
    char d[64];
    train_expect(d, sizeof d, "ba ab ba ab", 1000, 260, "#version: 0.2\n\xC4\xA0 a\n\xC4\xA0" "a b\nb a\n");
    temp_dir_remove(d);
    /* The vocab size stops it after two merges: 256 + 2 + 1 = 259. */
    train_expect(d, sizeof d, "ba ab ba ab", 259, 259, "#version: 0.2\n\xC4\xA0 a\n\xC4\xA0" "a b\n");
    temp_dir_remove(d);
}
END_TEST

/* "aaaa aaaa": "aaaa" x1, " aaaa" x1.  (a,a) counts 3 + 3 (every adjacent
 * pair) -> "a a", applied left to right: aa aa.  Then (aa,aa) 2 -> "aa aa";
 * (Ġ,aa) and then (Ġ,aaaa) occur once. */
START_TEST(test_equal_pair) {
    char d[64];
    train_expect(d, sizeof d, "aaaa aaaa", 1000, 259, "#version: 0.2\na a\naa aa\n");
    temp_dir_remove(d);
}
END_TEST

/* <|endoftext|> separates documents and is never split into merges;
 * "x<|endoftext|>x" has the word "x" twice and no pair. */
START_TEST(test_eot_separates) {
    char d[64];
    train_expect(d, sizeof d, "xy<|endoftext|>xy", 1000, 258, "#version: 0.2\nx y\n");
    temp_dir_remove(d);
    train_expect(d, sizeof d, "", 1000, 257, "#version: 0.2\n");
    temp_dir_remove(d);
}
END_TEST

/* Training on a varied text: the result loads, and decode(encode(x)) == x on
 * the text and on random bytes. */
START_TEST(test_trained_roundtrip) {
    Rng rng;
    rng_seed(&rng, 99, 1);
    static const char *const words[] = {"the", " cat", " sat", " on", " mat", ".", "\n", " It's", " 12", " caf\xC3\xA9",
                                        "  ", "!", " \xE4\xB8\xAD\xE6\x96\x87", "<|endoftext|>", " dog", " ran"};
    size_t cap = 200000, len = 0;
    char *text = malloc(cap);
    while (len + 32 < cap) {
        const char *w = words[rng_u32(&rng) % (sizeof words / sizeof words[0])];
        memcpy(text + len, w, strlen(w));
        len += strlen(w);
    }
    char d[64];
    temp_dir_make(d, sizeof d, "check_bpe");
    Error err;
    int n = bpe_train(text, len, 400, d, NULL, NULL, &err);
    ck_assert_msg(n > 257 && n <= 400, "bpe_train: %d (%s)", n, n < 0 ? err.msg : "");
    Tokenizer t;
    ck_assert_msg(tokenizer_load(&t, d, &err) == 0, "%s", err.msg);
    for (int round = 0; round < 200; round++) {
        size_t m = round == 0 ? len : rng_u32(&rng) % 300;
        char *s = round == 0 ? text : malloc(m + 1);
        for (size_t i = 0; round > 0 && i < m; i++) s[i] = (char)(rng_u32(&rng) & 0xFF);
        int *ids, k;
        ck_assert_int_eq(tokenizer_encode(&t, s, m, 1, &ids, &k, &err), 0);
        size_t at = 0;
        for (int i = 0; i < k; i++) {
            size_t bl;
            const char *b = tokenizer_token_bytes(&t, ids[i], &bl);
            ck_assert(b && at + bl <= m && memcmp(s + at, b, bl) == 0);
            at += bl;
        }
        ck_assert_uint_eq(at, m);
        if (round == 0) ck_assert_msg((size_t)k < len / 3, "%d tokens for %zu bytes: merges not used", k, len);
        free(ids);
        if (round > 0) free(s);
    }
    tokenizer_free(&t);
    free(text);
    temp_dir_remove(d);
}
END_TEST

START_TEST(test_bad_arguments) {
    Error err;
    ck_assert_int_eq(bpe_train("ab", 2, 256, "/tmp", NULL, NULL, &err), -1);
    ck_assert_msg(strstr(err.msg, "vocab_size") && strstr(err.msg, "257"), "%s", err.msg);
    ck_assert_int_eq(bpe_train("ab ab", 5, 300, "/nonexistent/argen/dir", NULL, NULL, &err), -1);
    ck_assert_msg(strstr(err.msg, "/nonexistent/argen/dir/vocab.json") != NULL, "%s", err.msg);
}
END_TEST

static Suite *bpe_train_suite(void) {
    Suite *s = suite_create("bpe_train");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_hand_merges);
    tcase_add_test(core, test_tie_rule);
    tcase_add_test(core, test_equal_pair);
    tcase_add_test(core, test_eot_separates);
    suite_add_tcase(s, core);
    TCase *out = tcase_create("output");
    tcase_set_timeout(out, 60);
    tcase_add_test(out, test_trained_roundtrip);
    suite_add_tcase(s, out);
    TCase *edge = tcase_create("edge");
    tcase_add_test(edge, test_bad_arguments);
    suite_add_tcase(s, edge);
    return s;
}

int main(void) { return run_suite(bpe_train_suite()); }
