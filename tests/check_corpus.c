/*
 * check_corpus.c - the story corpus: determinism, format, the tables, and the
 * branch points' stated probabilities against sampled frequencies.
 *
 * The reference for every probability is the hand-written table in
 * src/train/corpus.c (also written out in docs/corpus.md); the generator's output is
 * only ever compared with those stated numbers, never with itself.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "train/corpus.h"
#include "testutil.h"

/* Stories sampled for the frequency test.  The rarest branch point (plot,
 * reached with probability 0.5*0.3*0.4*0.6*0.4*0.3*0.3 = 0.000778) is then
 * seen about 230 times; all of it takes well under a second. */
#define N_STORIES 300000
#define FREQ_SEED 12345
#define MAX_OPTIONS 8
#define MAX_BRANCH_POINTS 12

/* Critical values of chi-square at significance 0.001 for df = 1..7
 * (standard tables, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.4). */
static const double CHI2_CRIT_001[MAX_OPTIONS] = {0, 10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322};

/* A test needs at least this many expected hits per option to have power. */
#define MIN_EXPECTED 20.0

/* Writes `bytes` of corpus with `seed` into a fresh buffer (free it). */
static char *corpus_bytes(uint64_t seed, size_t bytes, size_t *len) {
    Error err;
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(corpus_write(f, seed, bytes, &err) == 0, "%s", err.msg);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    rewind(f);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* ---- core: determinism and format ---- */

START_TEST(test_same_seed_same_bytes) {
    size_t la, lb, lc;
    char *a = corpus_bytes(1, 200000, &la);
    char *b = corpus_bytes(1, 200000, &lb);
    char *c = corpus_bytes(2, 200000, &lc);
    ck_assert_uint_eq(la, lb);
    ck_assert_msg(memcmp(a, b, la) == 0, "seed 1 gave different bytes twice");
    ck_assert_msg(la != lc || memcmp(a, c, la) != 0, "seeds 1 and 2 gave the same bytes");
    free(a);
    free(b);
    free(c);
}
END_TEST

START_TEST(test_prefix_of_longer_corpus) {
    /* Asking for more bytes only appends stories: the short corpus is a prefix. */
    size_t ls, ll;
    char *s = corpus_bytes(7, 50000, &ls);
    char *l = corpus_bytes(7, 150000, &ll);
    ck_assert_uint_gt(ll, ls);
    ck_assert_msg(memcmp(s, l, ls) == 0, "the 50000-byte corpus is not a prefix of the 150000-byte one");
    free(s);
    free(l);
}
END_TEST

START_TEST(test_size_and_separators) {
    const char *sep = CORPUS_SEPARATOR;
    size_t sep_len = strlen(sep), len;
    char *t = corpus_bytes(3, 300000, &len);
    /* at least the target, and less than one more story past it */
    ck_assert_uint_ge(len, 300000);
    ck_assert_uint_lt(len, 300000 + CORPUS_STORY_MAX + sep_len);
    ck_assert_msg(len > sep_len && memcmp(t + len - sep_len, sep, sep_len) == 0,
                  "the corpus does not end with the separator");
    /* every story is one non-empty line of printable ASCII, then the separator */
    size_t stories = 0;
    for (const char *p = t; p < t + len; stories++) {
        const char *end = strstr(p, sep);
        ck_assert_msg(end != NULL, "story %zu has no separator after it", stories);
        ck_assert_msg(end > p, "story %zu is empty", stories);
        ck_assert_msg(strncmp(p, "Once upon a time", 16) == 0, "story %zu starts '%.30s'", stories, p);
        ck_assert_msg(end[-1] == '.', "story %zu does not end with a full stop", stories);
        for (const char *q = p; q < end; q++)
            ck_assert_msg(*q >= 0x20 && *q <= 0x7e, "story %zu: byte 0x%02x at offset %zu", stories,
                          (unsigned)(unsigned char)*q, (size_t)(q - t));
        p = end + sep_len;
    }
    ck_assert_uint_gt(stories, 100);
    free(t);
}
END_TEST

START_TEST(test_zero_bytes) {
    size_t len;
    char *t = corpus_bytes(1, 0, &len);
    ck_assert_uint_eq(len, 0);
    free(t);
}
END_TEST

/* ---- core: the tables ---- */

static void check_table(const char *name, const CorpusOption *opts, int n) {
    ck_assert_msg(n >= 2 && n <= MAX_OPTIONS, "%s: %d options", name, n);
    double sum = 0;
    long units = 0;
    for (int i = 0; i < n; i++) {
        double u = opts[i].prob * CORPUS_PROB_UNIT;
        ck_assert_msg(opts[i].prob > 0 && fabs(u - floor(u + 0.5)) < 1e-9,
                      "%s: '%s' has probability %.17g, not a positive multiple of 1/%d", name, opts[i].word,
                      opts[i].prob, CORPUS_PROB_UNIT);
        ck_assert_msg(opts[i].word[0] == ' ' && opts[i].word[1] != '\0' && opts[i].word[1] != ' ',
                      "%s: '%s' is not one leading space and a word", name, opts[i].word);
        sum += opts[i].prob;
        units += (long)floor(u + 0.5);
    }
    ck_assert_msg(fabs(sum - 1.0) < 1e-12 && units == CORPUS_PROB_UNIT, "%s: probabilities sum to %.17g", name,
                  sum);
}

START_TEST(test_rules_sum_to_one) {
    const CorpusRule *rules;
    int n = corpus_rules(&rules);
    ck_assert_int_ge(n, 10);
    for (int i = 0; i < n; i++) check_table(rules[i].name, rules[i].options, rules[i].n_options);
}
END_TEST

START_TEST(test_branch_point_tables) {
    const BranchPoint *bps;
    int n = corpus_branch_points(&bps);
    ck_assert_int_ge(n, 6);
    ck_assert_int_le(n, MAX_BRANCH_POINTS);
    for (int i = 0; i < n; i++) {
        const BranchPoint *bp = &bps[i];
        check_table(bp->name, bp->options, bp->n_options);
        size_t cl = strlen(bp->context);
        ck_assert_msg(strncmp(bp->context, "Once upon a time", 16) == 0 && bp->context[cl - 1] != ' ',
                      "%s: context '%s' is not a story prefix ending in a word", bp->name, bp->context);
        ck_assert_ptr_eq(corpus_find_branch_point(bp->context), bp);
        /* the next word must be unambiguous: no option is another's prefix,
         * and contexts are distinct */
        for (int a = 0; a < bp->n_options; a++)
            for (int b = 0; b < bp->n_options; b++)
                ck_assert_msg(a == b || strncmp(bp->options[a].word, bp->options[b].word,
                                                strlen(bp->options[a].word)) != 0,
                              "%s: '%s' is a prefix of '%s'", bp->name, bp->options[a].word, bp->options[b].word);
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(bps[j].context, bp->context) != 0, "%s and %s share a context", bps[j].name,
                          bp->name);
    }
    ck_assert_ptr_null(corpus_find_branch_point("Once upon a time there was a purple"));
}
END_TEST

/* ---- reference: sampled frequencies against the stated tables ---- */

/* Counts, per branch point, how often each option followed its context. */
typedef struct {
    long hits[MAX_BRANCH_POINTS][MAX_OPTIONS];   /* [branch point][option] */
    long seen[MAX_BRANCH_POINTS];                /* stories that start with the context */
} BranchCounts;

/* Index of the option that follows the context at `next`, or -1. */
static int option_after(const BranchPoint *bp, const char *next) {
    for (int j = 0; j < bp->n_options; j++) {
        size_t wl = strlen(bp->options[j].word);
        if (strncmp(next, bp->options[j].word, wl) == 0 && !isalpha((unsigned char)next[wl])) return j;
    }
    return -1;
}

static void count_story(const BranchPoint *bps, int n_bp, const char *story, BranchCounts *c) {
    for (int i = 0; i < n_bp; i++) {
        size_t cl = strlen(bps[i].context);
        if (strncmp(story, bps[i].context, cl) != 0) continue;
        int j = option_after(&bps[i], story + cl);
        ck_assert_msg(j >= 0, "%s: context followed by '%.20s', not one of its options", bps[i].name, story + cl);
        c->seen[i]++;
        c->hits[i][j]++;
        /* the context occurs only at the start of a story */
        ck_assert_msg(strstr(story + 1, bps[i].context) == NULL, "%s: context inside a story", bps[i].name);
    }
}

/* Pearson's chi-square of observed counts against n * probs. */
static double chi_square(const long *hits, long n, const double *probs, int k, double *min_expected) {
    double stat = 0;
    *min_expected = INFINITY;
    for (int j = 0; j < k; j++) {
        double e = (double)n * probs[j];
        double d = (double)hits[j] - e;
        stat += d * d / e;
        if (e < *min_expected) *min_expected = e;
    }
    return stat;
}

static void sample_counts(BranchCounts *c, const BranchPoint **bps, int *n_bp) {
    Rng rng;
    Error err;
    char story[CORPUS_STORY_MAX];
    size_t len;
    *n_bp = corpus_branch_points(bps);
    ck_assert_int_le(*n_bp, MAX_BRANCH_POINTS);
    memset(c, 0, sizeof *c);
    rng_seed(&rng, FREQ_SEED, CORPUS_RNG_SEQ);
    for (long s = 0; s < N_STORIES; s++) {
        ck_assert_msg(corpus_story(&rng, story, sizeof story, &len, &err) == 0, "%s", err.msg);
        ck_assert_uint_eq(len, strlen(story));
        count_story(*bps, *n_bp, story, c);
    }
}

START_TEST(test_branch_point_frequencies) {
    BranchCounts c;
    const BranchPoint *bps;
    int n_bp;
    sample_counts(&c, &bps, &n_bp);
    for (int i = 0; i < n_bp; i++) {
        const BranchPoint *bp = &bps[i];
        double probs[MAX_OPTIONS], reversed[MAX_OPTIONS], min_e, min_e_rev;
        for (int j = 0; j < bp->n_options; j++) {
            probs[j] = bp->options[j].prob;
            reversed[j] = bp->options[bp->n_options - 1 - j].prob;
        }
        ck_assert_msg(c.seen[i] > 0, "%s: context never generated", bp->name);
        double stat = chi_square(c.hits[i], c.seen[i], probs, bp->n_options, &min_e);
        double crit = CHI2_CRIT_001[bp->n_options - 1];
        ck_assert_msg(min_e >= MIN_EXPECTED, "%s: only %.1f expected hits for an option (%ld stories)", bp->name,
                      min_e, c.seen[i]);
        ck_assert_msg(stat < crit, "%s: chi-square %.2f >= %.2f (df %d, p = 0.001) over %ld stories", bp->name,
                      stat, crit, bp->n_options - 1, c.seen[i]);
        /* The same counts must reject a wrong table (the probabilities in
         * reverse order) wherever that table differs: the test has power. */
        int differs = 0;
        for (int j = 0; j < bp->n_options; j++) differs |= fabs(probs[j] - reversed[j]) > 0.05;
        if (differs) {
            double wrong = chi_square(c.hits[i], c.seen[i], reversed, bp->n_options, &min_e_rev);
            ck_assert_msg(wrong >= crit, "%s: a reversed table is not rejected (chi-square %.2f < %.2f)", bp->name,
                          wrong, crit);
        }
    }
}
END_TEST

/* ---- edge ---- */

START_TEST(test_story_too_small_buffer) {
    Rng rng;
    Error err;
    char small[40];
    size_t len = 123;
    rng_seed(&rng, 1, CORPUS_RNG_SEQ);
    ck_assert_int_eq(corpus_story(&rng, small, sizeof small, &len, &err), -1);
    ck_assert_msg(strstr(err.msg, "does not fit in 40 bytes") != NULL, "message: %s", err.msg);
    ck_assert_uint_eq(len, 123);
}
END_TEST

START_TEST(test_write_failure_reported) {
    /* /dev/full (Linux) fails every write, like a full disk; unbuffered, the
     * first story's fwrite already fails and corpus_write must say so. */
    Error err;
    FILE *f = fopen("/dev/full", "w");
    if (!f) return;   /* no /dev/full here: nothing to test */
    setvbuf(f, NULL, _IONBF, 0);
    ck_assert_int_eq(corpus_write(f, 1, 1000, &err), -1);
    ck_assert_msg(strstr(err.msg, "write failed") != NULL, "message: %s", err.msg);
    fclose(f);
}
END_TEST

static Suite *corpus_suite(void) {
    Suite *s = suite_create("corpus");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_same_seed_same_bytes);
    tcase_add_test(core, test_prefix_of_longer_corpus);
    tcase_add_test(core, test_size_and_separators);
    tcase_add_test(core, test_zero_bytes);
    tcase_add_test(core, test_rules_sum_to_one);
    tcase_add_test(core, test_branch_point_tables);
    suite_add_tcase(s, core);
    TCase *ref = tcase_create("reference");
    tcase_set_timeout(ref, 60);
    tcase_add_test(ref, test_branch_point_frequencies);
    suite_add_tcase(s, ref);
    TCase *edge = tcase_create("edge");
    tcase_add_test(edge, test_story_too_small_buffer);
    tcase_add_test(edge, test_write_failure_reported);
    suite_add_tcase(s, edge);
    return s;
}

int main(void) { return run_suite(corpus_suite()); }
