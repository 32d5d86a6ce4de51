/*
 * check_score.c - teacher-forced scoring: hand-built models whose logits are
 * known in closed form (uniform: perplexity = V exactly; a fixed 1:2:3:2
 * distribution: every number by hand), the rank's tie rule, agreement with
 * logits computed one token at a time through the KV cache, and the texts
 * that are refused.  The numpy comparison with `argen logits` is in
 * tests/test_score.sh.
 */
#include <math.h>
#include <string.h>

#include "decode/score.h"
#include "formats/checkpoint.h"
#include "testutil.h"

/* A 1-layer model with every weight 0: then ln_f's output is its bias. */
static GPT2 zero_model(int V, int C, int P) {
    GPT2Config c = {C, 1, 1, P, V, 1e-5f, 0, 0};
    GPT2 m;
    Error err;
    ck_assert_msg(gpt2_init_random(&m, &c, 1, 1, &err) == 0, "%s", err.msg);
    ck_assert_ptr_nonnull(m.owned);
    memset(m.owned, 0, m.n_floats * sizeof *m.owned);
    return m;
}

/* All weights 0: logits are 0 everywhere, p = 1/V for every token. */
START_TEST(test_uniform_perplexity_is_V) {
    int V = 50;
    GPT2 m = zero_model(V, 8, 16);
    int ids[6] = {7, 0, 49, 3, 3, 12};
    ScoreResult r;
    Error err;
    ck_assert_msg(score_tokens(&m, ids, 6, &r, NULL, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r.n_scored, 5);
    for (int i = 0; i < 5; i++) {
        const TokenScore *s = &r.scores[i];
        ck_assert_int_eq(s->position, i + 1);
        ck_assert_int_eq(s->id, ids[i + 1]);
        ck_assert_double_eq_tol(s->probability, 1.0 / V, 1e-12);
        ck_assert_double_eq_tol(s->logprob, -log(V), 1e-12);
        ck_assert_double_eq_tol(s->surprisal_bits, log2(V), 1e-12);
        ck_assert_double_eq_tol(s->entropy_bits, log2(V), 1e-12);
        /* all tied: rank = 1 + the ids below it; the top choice is id 0 */
        ck_assert_int_eq(s->rank, ids[i + 1] + 1);
        ck_assert_int_eq(s->top_id, 0);
    }
    ck_assert_double_eq_tol(r.perplexity, V, 1e-9);
    ck_assert_double_eq_tol(r.mean_loss, log(V), 1e-12);
    ck_assert_int_eq(r.n_top1, 1);   /* only the 0 */
    score_result_free(&r);
    gpt2_free(&m);
}
END_TEST

/* logits[v] = wte[v][0] at every position (ln_f's weight 0, its bias e_0,
 * lm_head tied to wte): with wte[.][0] = log(1, 2, 3, 2) the distribution is
 * p = (1, 2, 3, 2) / 8 whatever the text. */
START_TEST(test_hand_built_distribution) {
    GPT2 m = zero_model(4, 4, 8);
    const double w[4] = {1, 2, 3, 2};
    for (int v = 0; v < 4; v++) m.w.wte.f32[v * 4] = (float)log(w[v]);
    m.w.ln_f_bias[0] = 1.0f;
    int ids[5] = {0, 2, 1, 3, 0};
    ScoreResult r;
    Error err;
    ck_assert_msg(score_tokens(&m, ids, 5, &r, NULL, &err) == 0, "%s", err.msg);
    /* by hand: ranks by p: id 2 (3/8), then ids 1 and 3 tied (2/8; 1 first), then id 0 */
    const int rank[4] = {4, 2, 1, 3};
    double H = 0;   /* entropy in bits: 1/8*3 + 2/8*2 + 3/8*log2(8/3) + 2/8*2 */
    for (int v = 0; v < 4; v++) H -= w[v] / 8 * log2(w[v] / 8);
    ck_assert_double_eq_tol(H, 0.375 + 0.5 + 0.375 * log2(8.0 / 3.0) + 0.5, 1e-12);
    double loss = 0;
    for (int i = 0; i < 4; i++) {
        const TokenScore *s = &r.scores[i];
        double p = w[ids[i + 1]] / 8;
        loss -= log(p);
        /* float logits (log w rounded to float): 1e-7 relative */
        ck_assert_double_eq_tol(s->probability, p, 1e-7);
        ck_assert_double_eq_tol(s->logprob, log(p), 1e-6);
        ck_assert_double_eq_tol(s->surprisal_bits, -log2(p), 1e-6);
        ck_assert_double_eq_tol(s->entropy_bits, H, 1e-6);
        ck_assert_int_eq(s->rank, rank[ids[i + 1]]);
        ck_assert_int_eq(s->top_id, 2);
        ck_assert_double_eq_tol(s->top_probability, 3.0 / 8, 1e-7);
    }
    /* tokens 2, 1, 3, 0: p = 3/8, 2/8, 2/8, 1/8; perplexity = (8^4 / 12)^(1/4) */
    ck_assert_double_eq_tol(r.mean_loss, loss / 4, 1e-6);
    ck_assert_double_eq_tol(r.perplexity, pow(4096.0 / 12.0, 0.25), 1e-5);
    ck_assert_double_eq_tol(r.total_bits, -log2(3.0 / 8 * 2.0 / 8 * 2.0 / 8 * 1.0 / 8), 1e-5);
    ck_assert_int_eq(r.n_top1, 1);
    score_result_free(&r);
    gpt2_free(&m);
}
END_TEST

/* score_row on a hand-made row: the tie rule and a large logit (no overflow). */
START_TEST(test_score_row) {
    const float row[5] = {1000.0f, 1000.0f, 0.0f, 1000.0f, -5.0f};
    TokenScore s;
    score_row(&s, row, 5, 3);
    ck_assert_int_eq(s.rank, 3);           /* tied with 0 and 1, which come first */
    ck_assert_int_eq(s.top_id, 0);
    ck_assert_double_eq_tol(s.probability, 1.0 / 3, 1e-12);
    ck_assert_double_eq_tol(s.entropy_bits, log2(3.0), 1e-9);
    score_row(&s, row, 5, 4);
    ck_assert_int_eq(s.rank, 5);
    ck_assert_double_eq_tol(s.logprob, -1005.0 - log(3.0), 1e-9);
}
END_TEST

/* The one-pass scores equal log-softmax of logits computed token by token
 * through the KV cache (a different path: T = 1 calls), recomputed here. */
START_TEST(test_matches_cached_logits) {
    GPT2Config c = {16, 2, 2, 32, 64, 1e-5f, 63, 63};
    GPT2 m;
    Error err;
    ck_assert_msg(gpt2_init_random(&m, &c, 1, 11, &err) == 0, "%s", err.msg);
    int ids[10] = {5, 9, 63, 0, 17, 17, 2, 40, 33, 8};
    ScoreResult r;
    size_t kv = 0;
    ck_assert_msg(score_tokens(&m, ids, 10, &r, &kv, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(kv, 2u * 2 * 16 * 10 * sizeof(float));
    RunOptions ro = {1, 10, 0, 0};
    RunState s;
    ck_assert_msg(run_state_init(&s, &m, &ro, &err) == 0, "%s", err.msg);
    double nll = 0;
    for (int t = 0; t + 1 < 10; t++) {
        ck_assert_msg(forward_pass(&m, &s, &ids[t], 1, t, NULL, &err) == 0, "%s", err.msg);
        logits_final(&m, &s);
        double max = -INFINITY, sum = 0;
        for (int v = 0; v < 64; v++) if (s.logits[v] > max) max = s.logits[v];
        for (int v = 0; v < 64; v++) sum += exp(s.logits[v] - max);
        double lp = s.logits[ids[t + 1]] - max - log(sum);
        nll -= lp;
        ck_assert_double_eq_tol(r.scores[t].logprob, lp, 1e-9);
        int rank = 1;
        for (int v = 0; v < 64; v++)
            rank += s.logits[v] > s.logits[ids[t + 1]] || (s.logits[v] == s.logits[ids[t + 1]] && v < ids[t + 1]);
        ck_assert_int_eq(r.scores[t].rank, rank);
    }
    ck_assert_double_eq_tol(r.perplexity, exp(nll / 9), 1e-9 * r.perplexity);
    run_state_free(&s);
    score_result_free(&r);
    gpt2_free(&m);
}
END_TEST

START_TEST(test_refused_texts) {
    GPT2 m = zero_model(10, 4, 6);
    ScoreResult r;
    Error err;
    int ids[7] = {1, 2, 3, 4, 5, 6, 7};
    ck_assert_int_eq(score_tokens(&m, ids, 1, &r, NULL, &err), -1);
    ck_assert_msg(strstr(err.msg, "at least 2") != NULL, "%s", err.msg);
    ck_assert_int_eq(score_tokens(&m, ids, 7, &r, NULL, &err), -1);
    ck_assert_msg(strstr(err.msg, "at most 6 (n_positions)") != NULL, "%s", err.msg);
    ids[2] = 10;
    ck_assert_int_eq(score_tokens(&m, ids, 4, &r, NULL, &err), -1);
    ck_assert_msg(strstr(err.msg, "[0, 10)") != NULL, "%s", err.msg);
    ck_assert_ptr_null(r.scores);
    gpt2_free(&m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("score");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_uniform_perplexity_is_V);
    tcase_add_test(core, test_hand_built_distribution);
    tcase_add_test(core, test_score_row);
    suite_add_tcase(s, core);
    TCase *ref = tcase_create("reference");
    tcase_add_test(ref, test_matches_cached_logits);
    suite_add_tcase(s, ref);
    TCase *edge = tcase_create("edge");
    tcase_add_test(edge, test_refused_texts);
    suite_add_tcase(s, edge);
    return run_suite(s);
}
