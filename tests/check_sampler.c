/*
 * check_sampler.c - the logits processors, the pick and beam search, on
 * hand-derived cases: every expected value below is worked out in the
 * comment beside it, not produced by argen.
 */
#include <math.h>
#include <string.h>

#include "core/generate.h"
#include "decode/beam.h"
#include "trace/trace.h"

#include "core/kernels.h"
#include "core/rng.h"
#include "core/sampler.h"
#include "testutil.h"

/* Logits whose softmax is exactly p (up to float rounding): log p. */
static void logits_of(float *x, const double *p, int n) {
    for (int i = 0; i < n; i++) x[i] = (float)log(p[i]);
}

/* The reference order: a comparison sort on (value descending, id ascending). */
typedef struct { float value; int id; } Pair;
static int pair_desc(const void *a, const void *b) {
    const Pair *x = a, *y = b;
    if (x->value != y->value) return x->value > y->value ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

START_TEST(test_radix_sort_matches_comparison_sort) {
    /* Many ties (values from a small set), both zeros, infinities, tiny and huge values;
     * then keys that share bytes, so the sort skips passes: values in [1, 2) (one top
     * byte), a few mantissas at many exponents (low bytes shared), one value for all. */
    enum { N = 5000 };
    static float x[N];
    static int order[N];
    static uint64_t scratch[2 * N];
    static Pair ref[N];
    const float pool[] = {0.0f, -0.0f, 1.5f, -1.5f, 3e38f, -3e38f, 1e-40f, -1e-40f, (float)INFINITY, -(float)INFINITY, 7.25f};
    Rng r;
    rng_seed(&r, 9, 0);
    for (int trial = 0; trial < 7; trial++) {
        for (int v = 0; v < N; v++) {
            uint32_t u = rng_u32(&r);
            if (trial == 4) x[v] = 1.0f + rng_uniform(&r);
            else if (trial == 5) x[v] = ldexpf(1.0f + (float)(u % 4) / 4.0f, (int)(u >> 8) % 40 - 20);
            else if (trial == 6) x[v] = -2.5f;
            else x[v] = trial % 2 ? pool[u % (sizeof pool / sizeof pool[0])] : (rng_uniform(&r) - 0.5f) * (float)(1 << (u % 20));
            ref[v].value = x[v] == 0.0f ? 0.0f : x[v];
            ref[v].id = v;
        }
        qsort(ref, N, sizeof ref[0], pair_desc);
        sort_by_logit(order, scratch, x, N);
        for (int v = 0; v < N; v++) ck_assert_msg(order[v] == ref[v].id, "trial %d rank %d: %d, want %d", trial, v, order[v], ref[v].id);
    }
}
END_TEST

START_TEST(test_sort_ties_lower_id) {
    /* values 1,3,3,3,0: the three 3s keep id order 1,2,3, then 0, then 4 */
    float x[5] = {1, 3, 3, 3, 0};
    int order[5];
    uint64_t scratch[10];
    sort_by_logit(order, scratch, x, 5);
    int want[5] = {1, 2, 3, 0, 4};
    for (int i = 0; i < 5; i++) ck_assert_int_eq(order[i], want[i]);
    ck_assert_int_eq(argmax_token(x, 5), 1);
}
END_TEST

START_TEST(test_top_k_exactly_k) {
    /* top-k 2 over 1,3,3,3,0 keeps ids 1 and 2: id 3 ties at the boundary and loses to the lower id */
    Selection sel;
    ck_assert_int_eq(selection_init(&sel, 5, NULL), 0);
    float x[5] = {1, 3, 3, 3, 0};
    SamplerSettings cfg;
    sampler_defaults(&cfg, STRATEGY_TOP_K);
    cfg.top_k = 2;
    int ids[1] = {0};
    /* u = 0.99: the last kept slice; 2 kept of equal probability -> rank 1 = id 2 */
    int tok = sampler_select(&sel, &cfg, x, ids, 0, 0.99f, 0);
    ck_assert_int_eq(sel.n_kept, 2);
    ck_assert_int_eq(tok, 2);
    ck_assert_int_eq(sampler_select(&sel, &cfg, x, ids, 0, 0.49f, 0), 1);
    ck_assert_int_eq(top_k_keep(0, 5), 5);
    ck_assert_int_eq(top_k_keep(7, 5), 5);
    selection_free(&sel);
}
END_TEST

START_TEST(test_top_p_smallest_prefix) {
    /* p = .5 .3 .15 .05: mass reaches .45 after 1 token, .75 after 2, .9 after 3 (0.95 >= .9) */
    double p[4] = {0.5, 0.3, 0.15, 0.05};
    float x[4], probs[4];
    logits_of(x, p, 4);
    softmax(probs, x, 4, NULL);
    int order[4] = {0, 1, 2, 3};
    ck_assert_int_eq(top_p_keep(probs, order, 4, 0.45), 1);
    ck_assert_int_eq(top_p_keep(probs, order, 4, 0.75), 2);
    ck_assert_int_eq(top_p_keep(probs, order, 4, 0.9), 3);
    ck_assert_int_eq(top_p_keep(probs, order, 4, 0.97), 4);
    ck_assert_int_eq(top_p_keep(probs, order, 4, 1.0), 4);
    /* after top-k 2 the mass is renormalized: .5/.8 = .625 >= .6 -> 1 token */
    ck_assert_int_eq(top_p_keep(probs, order, 2, 0.6), 1);
}
END_TEST

START_TEST(test_top_p_boundary_in_a_tie) {
    /* logits 1 0 0 0 -1: p = e/Z, 1/Z, 1/Z, 1/Z, e^-1/Z with Z = e + 3 + e^-1
     * = 6.0861613: .4466 .1643 .1643 .1643 .0604.  top-p .5: the mass before
     * rank 1 is .4466 < .5 (kept), before rank 2 .6110 (cut): the boundary
     * falls inside the tie of ids 1, 2, 3, and the lower id, 1, is kept. */
    Selection sel;
    ck_assert_int_eq(selection_init(&sel, 5, NULL), 0);
    float x[5] = {1, 0, 0, 0, -1};
    SamplerSettings cfg;
    sampler_defaults(&cfg, STRATEGY_TOP_P);
    cfg.top_p = 0.5f;
    int ids[1] = {0};
    ck_assert_int_eq(sampler_select(&sel, &cfg, x, ids, 0, 0.99f, 0), 1);   /* the last kept slice */
    ck_assert_int_eq(sel.n_top_p, 2);
    ck_assert_int_eq(sel.order[0], 0);
    ck_assert_int_eq(sel.order[1], 1);
    /* top-k 2 with the boundary in the same tie: ids 0 and 1 too */
    sampler_defaults(&cfg, STRATEGY_TOP_K);
    cfg.top_k = 2;
    ck_assert_int_eq(sampler_select(&sel, &cfg, x, ids, 0, 0.99f, 0), 1);
    ck_assert_int_eq(sel.n_top_k, 2);
    selection_free(&sel);
}
END_TEST

START_TEST(test_min_p) {
    /* threshold = min_p * 0.5: 0.2 -> 0.1 keeps .5 .3 .15; 0.61 -> 0.305 keeps .5 only */
    double p[4] = {0.5, 0.3, 0.15, 0.05};
    float x[4], probs[4];
    logits_of(x, p, 4);
    softmax(probs, x, 4, NULL);
    int order[4] = {0, 1, 2, 3};
    ck_assert_int_eq(min_p_keep(probs, order, 4, 0.2), 3);
    ck_assert_int_eq(min_p_keep(probs, order, 4, 0.61), 1);
    ck_assert_int_eq(min_p_keep(probs, order, 4, 0.0), 4);
}
END_TEST

START_TEST(test_repetition_penalty) {
    /* seen {0, 1}, R = 2: 2 -> 1 (divided), -2 -> -4 (multiplied), 1 unseen stays */
    float x[3] = {2, -2, 1}, out[3];
    unsigned char seen[3];
    int ids[2] = {1, 0};
    mark_context_tokens(seen, ids, 2, 3);
    apply_repetition_penalty(out, x, seen, 2.0f, 3);
    float want[3] = {1, -4, 1};
    assert_close(out, want, 3, 0);
}
END_TEST

START_TEST(test_pick_slices) {
    /* probs .5 .3 .2: slices [0,.5) [.5,.8) [.8,1) */
    float probs[3] = {0.5f, 0.3f, 0.2f};
    int order[3] = {0, 1, 2};
    ck_assert_int_eq(pick_from_prefix(probs, order, 3, 1.0, 0.0f), 0);
    ck_assert_int_eq(pick_from_prefix(probs, order, 3, 1.0, 0.49f), 0);
    ck_assert_int_eq(pick_from_prefix(probs, order, 3, 1.0, 0.5f), 1);
    ck_assert_int_eq(pick_from_prefix(probs, order, 3, 1.0, 0.79f), 1);
    ck_assert_int_eq(pick_from_prefix(probs, order, 3, 1.0, 0.81f), 2);
    ck_assert_int_eq(pick_from_prefix(probs, order, 3, 1.0, 0.99999994f), 2);
    /* only the first two kept: mass .8, slices [0,.625) [.625,1) */
    ck_assert_int_eq(pick_from_prefix(probs, order, 2, 0.8, 0.6f), 0);
    ck_assert_int_eq(pick_from_prefix(probs, order, 2, 0.8, 0.63f), 1);
}
END_TEST

START_TEST(test_temperature_zero_is_greedy) {
    /* argmax is id 2 (5.0); T = 0 and T = 1e-3 (gap 0.1/1e-3 = 100 nats) both pick it for any draw */
    float x[4] = {1, 2, 5, 4.9f};
    Selection sel;
    selection_init(&sel, 4, NULL);
    SamplerSettings cfg;
    sampler_defaults(&cfg, STRATEGY_SAMPLE);
    int ids[1] = {0};
    float draws[4] = {0.0f, 0.3f, 0.7f, 0.99999f};
    for (int i = 0; i < 4; i++) {
        cfg.temperature = 0;
        ck_assert_int_eq(sampler_select(&sel, &cfg, x, ids, 0, draws[i], 1), 2);
        cfg.temperature = 1e-3f;
        ck_assert_int_eq(sampler_select(&sel, &cfg, x, ids, 0, draws[i], 0), 2);
    }
    selection_free(&sel);
}
END_TEST

START_TEST(test_log_z_in_two_parts) {
    /* logits 0 and ln 3 (T = 1): max ln 3, sum exp(x - max) = 1/3 + 1, so log_sum = ln(4/3)
     * and log_z = ln 3 + ln(4/3) = ln 4; log_z is max + log_sum to the bit (what the trace
     * writes as logits_top.log_z is log_sum) */
    Selection sel;
    ck_assert_int_eq(selection_init(&sel, 2, NULL), 0);
    float x[2] = {0.0f, (float)log(3.0)};
    SamplerSettings cfg;
    sampler_defaults(&cfg, STRATEGY_SAMPLE);
    int ids[1] = {0};
    sampler_select(&sel, &cfg, x, ids, 0, 0.5f, 1);
    ck_assert_msg(fabs(sel.log_sum - log(4.0 / 3.0)) < 1e-7, "log_sum %.17g, want ln(4/3)", sel.log_sum);
    ck_assert_msg(fabs(sel.log_z - log(4.0)) < 1e-7, "log_z %.17g, want ln 4", sel.log_z);
    ck_assert(sel.log_z == (double)x[1] + sel.log_sum);
    ck_assert(sel.log_z == softmax(NULL, x, 2, NULL));
    selection_free(&sel);
}
END_TEST

START_TEST(test_entropy_uniform) {
    /* four equal logits: p = 1/4 each, H = ln 4 */
    float x[4] = {0.5f, 0.5f, 0.5f, 0.5f}, probs[4];
    double H;
    softmax(probs, x, 4, &H);
    ck_assert_msg(fabs(H - log(4.0)) < 1e-6, "entropy %.9f, want ln 4", H);
    float want[4] = {0.25f, 0.25f, 0.25f, 0.25f};
    assert_close(probs, want, 4, 1e-7);
}
END_TEST

START_TEST(test_logits_unchanged) {
    float x[4] = {3, 1, 2, 0}, copy[4];
    memcpy(copy, x, sizeof x);
    Selection sel;
    selection_init(&sel, 4, NULL);
    SamplerSettings cfg;
    sampler_defaults(&cfg, STRATEGY_TOP_P);
    cfg.temperature = 0.7f;
    cfg.repetition_penalty = 1.3f;
    int ids[2] = {0, 2};
    sampler_select(&sel, &cfg, x, ids, 2, 0.5f, 1);
    assert_close(x, copy, 4, 0);
    selection_free(&sel);
}
END_TEST

START_TEST(test_sampled_frequencies_chi_square) {
    /* 20000 draws from p = .4 .3 .2 .1 with PCG32 seed 42; chi-square with 3
     * degrees of freedom must stay under 16.27 (the 0.1% critical value). */
    double p[4] = {0.4, 0.3, 0.2, 0.1};
    float x[4];
    logits_of(x, p, 4);
    Selection sel;
    selection_init(&sel, 4, NULL);
    SamplerSettings cfg;
    sampler_defaults(&cfg, STRATEGY_SAMPLE);
    Rng rng;
    rng_seed(&rng, 42, 0);
    int count[4] = {0}, N = 20000, ids[1] = {0};
    for (int i = 0; i < N; i++) count[sampler_select(&sel, &cfg, x, ids, 0, rng_uniform(&rng), 0)]++;
    double chi2 = 0;
    for (int v = 0; v < 4; v++) chi2 += (count[v] - N * p[v]) * (count[v] - N * p[v]) / (N * p[v]);
    ck_assert_msg(chi2 < 16.27, "chi-square %.3f (counts %d %d %d %d)", chi2, count[0], count[1], count[2], count[3]);
    selection_free(&sel);
}
END_TEST

START_TEST(test_alternatives) {
    /* p = .5 .3 .15 .05, draw .85: top-k 40 keeps all -> cum .5 .8 .95 -> id 2;
     * top-p .9 keeps 3 (mass .95) -> .85*.95 = .8075 -> id 2; min-p .05 -> threshold
     * .025 keeps all -> id 2; greedy id 0.  With draw .6: top-p -> .57 -> id 1. */
    double p[4] = {0.5, 0.3, 0.15, 0.05};
    float x[4];
    logits_of(x, p, 4);
    Selection sel;
    selection_init(&sel, 4, NULL);
    SamplerSettings cfg;
    sampler_defaults(&cfg, STRATEGY_GREEDY);
    int ids[1] = {0};
    ck_assert_int_eq(sampler_select(&sel, &cfg, x, ids, 0, 0.85f, 1), 0);
    ck_assert_int_eq(pick_with_rules(&sel, 40, 1.0, 0.0, 0.85f, NULL), 2);
    int kept = 0;
    ck_assert_int_eq(pick_with_rules(&sel, 0, 0.9, 0.0, 0.85f, &kept), 2);
    ck_assert_int_eq(kept, 3);   /* the nucleus: .5 + .3 + .15 reaches .9 */
    ck_assert_int_eq(pick_with_rules(&sel, 0, 1.0, 0.05, 0.85f, &kept), 2);
    ck_assert_int_eq(kept, 4);
    ck_assert_int_eq(pick_with_rules(&sel, 0, 0.9, 0.0, 0.6f, NULL), 1);
    selection_free(&sel);
}
END_TEST

/* ---- beam search on a hand-built bigram model ---- */

/* V = 4.  After token 0: A=1 .6, B=2 .4.  After A: .3 .35 .35 0 (best .35).
 * After B: .05 .05 0 .9 (C=3).  After C: uniform.  Zero probabilities are
 * written as log(1e-12).  Greedy: A then id 1 (tie with 2, lower id) =
 * .6 * .35 = .21.  Best pair: B then C = .4 * .9 = .36. */
static const double bigram[4][4] = {
    {0, 0.6, 0.4, 0},
    {0.3, 0.35, 0.35, 0},
    {0.05, 0.05, 0, 0.9},
    {0.25, 0.25, 0.25, 0.25},
};

static int bigram_logits(void *ctx, int slot, const int *seq, int n, float *logits, Error *err) {
    (void)ctx; (void)slot; (void)err;
    for (int v = 0; v < 4; v++) {
        double p = bigram[seq[n - 1]][v];
        logits[v] = (float)log(p > 0 ? p : 1e-12);
    }
    return 0;
}

static void bigram_fork(void *ctx, int dst, int src) { (void)ctx; (void)dst; (void)src; }

static BeamResult run_bigram(int beams, int eos, int max_new) {
    BeamModel bm = {4, eos, bigram_logits, bigram_fork, NULL};
    BeamOptions bo = {.beams = beams, .length_penalty = 1.0f, .repetition_penalty = 1.0f,
                      .max_new_tokens = max_new, .max_len = 100, .interrupt = NULL};
    int prompt[1] = {0};
    BeamResult r;
    Error err;
    ck_assert_msg(beam_search(&bm, &bo, prompt, 1, NULL, NULL, &r, &err) == 0, "%s", err.msg);
    return r;
}

START_TEST(test_beam_one_is_greedy) {
    BeamResult r = run_bigram(1, -1, 2);
    ck_assert_int_eq(r.n_best, 1);
    ck_assert_int_eq(r.best[0].n, 3);
    ck_assert_int_eq(r.best[0].ids[1], 1);
    ck_assert_int_eq(r.best[0].ids[2], 1);
    ck_assert_msg(fabs(r.best[0].sum_logprob - log(0.21)) < 1e-5, "sum %.9f, want log .21", r.best[0].sum_logprob);
    beam_result_free(&r);
}
END_TEST

START_TEST(test_beam_beats_greedy) {
    BeamResult r = run_bigram(2, -1, 2);
    ck_assert_int_eq(r.n_best, 2);
    ck_assert_int_eq(r.best[0].ids[1], 2);
    ck_assert_int_eq(r.best[0].ids[2], 3);
    ck_assert_msg(fabs(r.best[0].sum_logprob - log(0.36)) < 1e-5, "sum %.9f, want log .36", r.best[0].sum_logprob);
    /* length penalty 1, 2 tokens: score = log(.36) / 2 */
    ck_assert_msg(fabs(r.best[0].score - log(0.36) / 2) < 1e-5, "score %.9f", r.best[0].score);
    ck_assert(r.best[0].sum_logprob > log(0.21));
    ck_assert_int_eq(r.best[0].stop, STOP_MAX_NEW_TOKENS);
    beam_result_free(&r);
}
END_TEST

START_TEST(test_beam_eos_finishes) {
    /* C = 3 is eos: B C finishes at step 2 with .36; it is the best hypothesis */
    BeamResult r = run_bigram(2, 3, 5);
    ck_assert(r.n_best >= 1);
    ck_assert_int_eq(r.best[0].n, 3);
    ck_assert_int_eq(r.best[0].ids[2], 3);
    ck_assert_int_eq(r.best[0].stop, STOP_EOS);
    beam_result_free(&r);
}
END_TEST

static Suite *sampler_suite(void) {
    Suite *s = suite_create("sampler");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_sort_ties_lower_id);
    tcase_add_test(core, test_radix_sort_matches_comparison_sort);
    tcase_add_test(core, test_top_k_exactly_k);
    tcase_add_test(core, test_top_p_smallest_prefix);
    tcase_add_test(core, test_top_p_boundary_in_a_tie);
    tcase_add_test(core, test_min_p);
    tcase_add_test(core, test_repetition_penalty);
    tcase_add_test(core, test_pick_slices);
    tcase_add_test(core, test_temperature_zero_is_greedy);
    tcase_add_test(core, test_entropy_uniform);
    tcase_add_test(core, test_log_z_in_two_parts);
    tcase_add_test(core, test_logits_unchanged);
    tcase_add_test(core, test_sampled_frequencies_chi_square);
    tcase_add_test(core, test_alternatives);
    suite_add_tcase(s, core);
    TCase *beam = tcase_create("beam");
    tcase_add_test(beam, test_beam_one_is_greedy);
    tcase_add_test(beam, test_beam_beats_greedy);
    tcase_add_test(beam, test_beam_eos_finishes);
    suite_add_tcase(s, beam);
    return s;
}

int main(void) { return run_suite(sampler_suite()); }
