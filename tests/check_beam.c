/*
 * check_beam.c - beam search against hand-computed steps of Hugging Face's
 * beam search: the repetition penalty on log-probabilities (after
 * log-softmax, not renormalised) and the early-stopping rule when many
 * hypotheses finish at once.  The models are tables of next-token
 * probabilities (BeamModel); every expected number is worked out in the
 * comment beside it, not produced by argen.
 */
#include <math.h>
#include <string.h>

#include "decode/beam.h"

#include "testutil.h"

/* ---- a table model: p(next | last token), logits = log p + offset ---- */

enum { MAX_V = 8 };

typedef struct {
    int V;
    double p[MAX_V][MAX_V];   /* [last token][next token]; 0 is written as 1e-12 */
    double offset;            /* added to every logit: log-softmax removes it, a logit penalty does not */
} Table;

static int table_logits(void *ctx, int slot, const int *seq, int n, float *logits, Error *err) {
    const Table *t = ctx;
    (void)slot; (void)err;
    for (int v = 0; v < t->V; v++) {
        double p = t->p[seq[n - 1]][v];
        logits[v] = (float)(log(p > 0 ? p : 1e-12) + t->offset);
    }
    return 0;
}

static void table_fork(void *ctx, int dst, int src) { (void)ctx; (void)dst; (void)src; }

/* Keeps a copy of every step's candidates (at most 8 steps of 2N <= 8). */
typedef struct {
    int n_steps;
    int n_cand[8];
    BeamCandidate cand[8][8];
} Recorder;

static void record_step(void *ctx, const BeamStep *bs) {
    Recorder *r = ctx;
    ck_assert_int_lt(r->n_steps, 8);
    ck_assert_int_le(bs->n_candidates, 8);
    r->n_cand[r->n_steps] = bs->n_candidates;
    memcpy(r->cand[r->n_steps], bs->candidates, (size_t)bs->n_candidates * sizeof *bs->candidates);
    r->n_steps++;
}

static BeamResult run_table(Table *t, int beams, int eos, float R, int max_new, Recorder *rec) {
    BeamModel bm = {t->V, eos, table_logits, table_fork, t};
    BeamOptions bo = {.beams = beams, .length_penalty = 1.0f, .repetition_penalty = R,
                      .max_new_tokens = max_new, .max_len = 100, .interrupt = NULL};
    BeamObserver bobs = {rec, record_step};
    int prompt[1] = {0};
    BeamResult res;
    Error err;
    memset(rec, 0, sizeof *rec);
    ck_assert_msg(beam_search(&bm, &bo, prompt, 1, NULL, &bobs, &res, &err) == 0, "%s", err.msg);
    return res;
}

static void assert_candidate(const BeamCandidate *c, int parent, int token, double logprob, double sum) {
    ck_assert_msg(c->parent == parent && c->token == token, "candidate (parent %d, token %d), want (%d, %d)",
                  c->parent, c->token, parent, token);
    ck_assert_msg(fabs(c->logprob - logprob) < 1e-5, "token %d: logprob %.7f, want %.7f", token, c->logprob, logprob);
    ck_assert_msg(fabs(c->sum_logprob - sum) < 1e-5, "token %d: sum %.7f, want %.7f", token, c->sum_logprob, sum);
}

/* ---- the repetition penalty, Hugging Face's way ---- */

/* V = 4, prompt [0], 2 beams, R = 2, logits = log p + 5 (all positive).
 *   after 0: p = .7 .2 .1 0      after 1: p = .1 .8 .05 .05
 * Hugging Face: scores = log_softmax(logits) = log p, then a seen token's
 * score (<= 0) is multiplied by R:
 *   step 0 (seen {0}): 0: 2 ln .7 = -0.7133499   1: ln .2 = -1.6094379
 *                      2: ln .1 = -2.3025851      3: ln 1e-12 = -27.631021
 *   -> beams [0 0] (-0.7133499) and [0 1] (-1.6094379).
 *   step 1, beam [0 0] (seen {0}):   0: -0.7133499 -> sum -1.4266998
 *                                    1: -1.6094379 -> sum -2.3227878
 *                                    2: -2.3025851 -> sum -3.0159350
 *           beam [0 1] (seen {0,1}): 1: 2 ln .8 = -0.4462871 -> sum -2.0557250
 *                                    0: 2 ln .1 = -4.6051702 -> -6.2146081
 *                                    2, 3: ln .05 = -2.9957323 -> -4.6051702
 *   ranked: (0,0) -1.4266998, (1,1) -2.0557250, (0,1) -2.3227878, (0,2) -3.0159350
 * Penalising the logits first (5 + ln .7 = 4.6433 -> /2 = 2.3217 < 5 + ln .2
 * = 3.3906) would rank token 1 first at step 0: a different search. */
static Table penalty_table(void) {
    Table t = {.V = 4, .offset = 5};
    const double p0[4] = {0.7, 0.2, 0.1, 0}, p1[4] = {0.1, 0.8, 0.05, 0.05};
    for (int v = 0; v < 4; v++) {
        t.p[0][v] = p0[v];
        t.p[1][v] = p1[v];
        t.p[2][v] = t.p[3][v] = 0.25;
    }
    return t;
}

START_TEST(test_penalty_on_logprobs_step0) {
    Table t = penalty_table();
    Recorder rec;
    BeamResult r = run_table(&t, 2, -1, 2.0f, 2, &rec);
    ck_assert_int_eq(rec.n_cand[0], 4);
    assert_candidate(&rec.cand[0][0], -1, 0, 2 * log(0.7), 2 * log(0.7));
    assert_candidate(&rec.cand[0][1], -1, 1, log(0.2), log(0.2));
    assert_candidate(&rec.cand[0][2], -1, 2, log(0.1), log(0.1));
    ck_assert_int_eq(rec.cand[0][0].fate, BEAM_KEPT);
    ck_assert_int_eq(rec.cand[0][1].fate, BEAM_KEPT);
    beam_result_free(&r);
}
END_TEST

START_TEST(test_penalty_on_logprobs_step1) {
    Table t = penalty_table();
    Recorder rec;
    BeamResult r = run_table(&t, 2, -1, 2.0f, 2, &rec);
    ck_assert_int_eq(rec.n_steps, 2);
    /* step 0 listed the beams [0 0] as 0 and [0 1] as 1 */
    assert_candidate(&rec.cand[1][0], 0, 0, 2 * log(0.7), 4 * log(0.7));
    assert_candidate(&rec.cand[1][1], 1, 1, 2 * log(0.8), log(0.2) + 2 * log(0.8));
    assert_candidate(&rec.cand[1][2], 0, 1, log(0.2), 2 * log(0.7) + log(0.2));
    assert_candidate(&rec.cand[1][3], 0, 2, log(0.1), 2 * log(0.7) + log(0.1));
    /* the best hypothesis: [0 0 0], score = sum / 2 generated tokens */
    ck_assert_int_eq(r.n_best, 2);
    ck_assert_int_eq(r.best[0].ids[1], 0);
    ck_assert_int_eq(r.best[0].ids[2], 0);
    ck_assert_msg(fabs(r.best[0].score - 4 * log(0.7) / 2) < 1e-5, "score %.7f", r.best[0].score);
    ck_assert_int_eq(r.best[1].ids[1], 1);
    ck_assert_int_eq(r.best[1].ids[2], 1);
    beam_result_free(&r);
}
END_TEST

START_TEST(test_penalty_one_is_plain_log_softmax) {
    /* R = 1: the offset cancels and the scores are log p: step 0 ranks 0 (.7), 1 (.2) */
    Table t = penalty_table();
    Recorder rec;
    BeamResult r = run_table(&t, 2, -1, 1.0f, 1, &rec);
    assert_candidate(&rec.cand[0][0], -1, 0, log(0.7), log(0.7));
    assert_candidate(&rec.cand[0][1], -1, 1, log(0.2), log(0.2));
    beam_result_free(&r);
}
END_TEST

/* ---- early stopping when many hypotheses end at once ---- */

/* V = 5, eos = 3, prompt [0], 3 beams, no penalty.
 *   after 0: p = 0 .4 .3 0 .3    after 1: eos .9, 4 .1
 *   after 2: eos .9, 1 .1        after 4: eos .8, 2 .2
 * Step 0: beams [0 1] (ln .4 = -0.9162907), [0 2] and [0 4] (ln .3 =
 * -1.2039728 each; the tie goes to the lower id).
 * Step 1, the 2N = 6 candidates ranked:
 *   (0, eos) -0.9162907 + ln .9 = -1.0216512   finished, score / 2 = -0.5108256
 *   (1, eos) -1.2039728 + ln .9 = -1.3093333   finished, -0.6546667
 *   (2, eos) -1.2039728 + ln .8 = -1.4271164   finished, -0.7135582
 *   (2, 2)   -1.2039728 + ln .2 = -2.8134107   kept
 *   (0, 4)   -0.9162907 + ln .1 = -3.2188758   kept
 *   (1, 1)   -1.2039728 + ln .1 = -3.5065579   kept
 * Three hypotheses finish at once: N are done.  The best live beam scores
 * -2.8134107 / 2 = -1.4067054 <= the worst finished -0.7135582: the search
 * stops after step 1 (Hugging Face >= 4.50's rule: the best running beam).
 * Hugging Face 4.4x compared the worst finished with the best of all 2N
 * candidates, here the finished -0.5108256 > -0.7135582, and ran step 2. */
static Table eos_table(void) {
    Table t = {.V = 5, .offset = 0};
    const double p0[5] = {0, 0.4, 0.3, 0, 0.3};
    for (int v = 0; v < 5; v++) t.p[0][v] = p0[v];
    t.p[1][3] = 0.9; t.p[1][4] = 0.1;
    t.p[2][3] = 0.9; t.p[2][1] = 0.1;
    t.p[4][3] = 0.8; t.p[4][2] = 0.2;
    for (int v = 0; v < 5; v++) t.p[3][v] = 0.2;
    return t;
}

START_TEST(test_many_finish_at_once_stops) {
    Table t = eos_table();
    Recorder rec;
    BeamResult r = run_table(&t, 3, 3, 1.0f, 5, &rec);
    ck_assert_int_eq(rec.n_steps, 2);
    ck_assert_int_eq(rec.n_cand[1], 6);
    for (int c = 0; c < 3; c++) {
        ck_assert_int_eq(rec.cand[1][c].token, 3);
        ck_assert_int_eq(rec.cand[1][c].fate, BEAM_FINISHED);
        ck_assert_int_eq(rec.cand[1][c + 3].fate, BEAM_KEPT);
    }
    assert_candidate(&rec.cand[1][3], 2, 2, log(0.2), log(0.3) + log(0.2));
    ck_assert_int_eq(r.n_best, 3);
    const int second[3] = {1, 2, 4};
    const double score[3] = {(log(0.4) + log(0.9)) / 2, (log(0.3) + log(0.9)) / 2, (log(0.3) + log(0.8)) / 2};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(r.best[i].n, 3);
        ck_assert_int_eq(r.best[i].ids[1], second[i]);
        ck_assert_int_eq(r.best[i].ids[2], 3);
        ck_assert_int_eq(r.best[i].stop, STOP_EOS);
        ck_assert_msg(fabs(r.best[i].score - score[i]) < 1e-5, "hypothesis %d: score %.7f, want %.7f", i,
                      r.best[i].score, score[i]);
    }
    beam_result_free(&r);
}
END_TEST

/* The same table with after 2: eos .5, 1 .5.  Step 1 ranked:
 *   (0, eos) -1.0216512   finished
 *   (2, eos) -1.4271164   finished
 *   (1, 1)   -1.2039728 + ln .5 = -1.8971200   kept (ties (1, eos): the lower id first)
 *   (1, eos) -1.8971200   ranked 4th, after the first N = 3: pruned_eos
 *   (2, 2)   -2.8134107,  (0, 4) -3.2188758   kept
 * Only 2 < N hypotheses are finished: the search goes on to step 2. */
START_TEST(test_fewer_than_n_finished_continues) {
    Table t = eos_table();
    t.p[2][3] = 0.5; t.p[2][1] = 0.5;
    Recorder rec;
    BeamResult r = run_table(&t, 3, 3, 1.0f, 5, &rec);
    ck_assert_int_ge(rec.n_steps, 3);
    ck_assert_int_eq(rec.cand[1][0].fate, BEAM_FINISHED);
    ck_assert_int_eq(rec.cand[1][1].fate, BEAM_FINISHED);
    assert_candidate(&rec.cand[1][2], 1, 1, log(0.5), log(0.3) + log(0.5));
    ck_assert_int_eq(rec.cand[1][2].fate, BEAM_KEPT);
    assert_candidate(&rec.cand[1][3], 1, 3, log(0.5), log(0.3) + log(0.5));
    ck_assert_int_eq(rec.cand[1][3].fate, BEAM_PRUNED_EOS);
    beam_result_free(&r);
}
END_TEST

static Suite *beam_suite(void) {
    Suite *s = suite_create("beam");
    TCase *pen = tcase_create("repetition penalty");
    tcase_add_test(pen, test_penalty_on_logprobs_step0);
    tcase_add_test(pen, test_penalty_on_logprobs_step1);
    tcase_add_test(pen, test_penalty_one_is_plain_log_softmax);
    suite_add_tcase(s, pen);
    TCase *stop = tcase_create("early stopping");
    tcase_add_test(stop, test_many_finish_at_once_stops);
    tcase_add_test(stop, test_fewer_than_n_finished_continues);
    suite_add_tcase(s, stop);
    return s;
}

int main(void) { return run_suite(beam_suite()); }
