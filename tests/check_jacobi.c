/*
 * check_jacobi.c - Jacobi decoding gives greedy's tokens: on random
 * checkpoints of several shapes, every block size, prompts of 1 to 5
 * tokens, with an eos inside a block and at the window's end; every block
 * takes at most `size` passes, and block size 1 takes exactly one pass per
 * token (it is greedy).
 */
#include <string.h>

#include "decode/jacobi.h"
#include "formats/checkpoint.h"
#include "memory_trace.h"
#include "testutil.h"

/* Greedy through the ordinary loop: returns n_ids, ids in out. */
static int greedy(const GPT2 *m, const int *prompt, int n, int max_new, int *out, StopReason *stop) {
    GenerateOptions o;
    generate_defaults(&o);
    o.max_new_tokens = max_new;
    Generator g;
    Error err;
    ck_assert_msg(generator_init(&g, m, &o, prompt, n, &err) == 0, "%s", err.msg);
    ck_assert_msg(generate_run(&g, NULL, "", &err) == 0, "%s", err.msg);
    memcpy(out, g.ids, (size_t)g.n_ids * sizeof *out);
    int n_ids = g.n_ids;
    *stop = g.stop;
    generator_free(&g);
    return n_ids;
}

/* Jacobi with a memory trace; checks passes per block. */
static int jacobi(const GPT2 *m, int block, const int *prompt, int n, int max_new, int *out, StopReason *stop,
                  int *total_passes) {
    JacobiDecoder jd;
    Error err;
    MemoryTrace mt;
    TraceSink sink;
    memory_trace_init(&mt, &sink);
    ck_assert_msg(jacobi_init(&jd, m, block, max_new, prompt, n, &err) == 0, "%s", err.msg);
    ck_assert_msg(jacobi_run(&jd, &sink.run, &sink.jacobi, "", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(mt.n_jacobi_blocks, jd.n_blocks);
    for (int b = 0; b < mt.n_jacobi_blocks && b < MEMORY_TRACE_MAX; b++)
        ck_assert_msg(mt.jacobi_passes[b] >= 1 && mt.jacobi_passes[b] <= block, "block %d took %d passes (N = %d)", b,
                      mt.jacobi_passes[b], block);
    memcpy(out, jd.ids, (size_t)jd.n_ids * sizeof *out);
    int n_ids = jd.n_ids;
    *stop = jd.stop;
    *total_passes = jd.total_passes;
    jacobi_free(&jd);
    return n_ids;
}

static void assert_same(const GPT2 *m, int block, const int *prompt, int n, int max_new, const char *what) {
    int a[256], b[256], passes;
    StopReason sa, sb;
    int na = greedy(m, prompt, n, max_new, a, &sa);
    int nb = jacobi(m, block, prompt, n, max_new, b, &sb, &passes);
    ck_assert_msg(na == nb, "%s, N=%d: greedy gave %d ids, jacobi %d", what, block, na, nb);
    for (int i = 0; i < na; i++)
        ck_assert_msg(a[i] == b[i], "%s, N=%d: id %d: greedy %d, jacobi %d", what, block, i, a[i], b[i]);
    ck_assert_int_eq(sa, sb);
    if (block == 1) ck_assert_int_eq(passes, na - n);   /* one pass per token: greedy itself */
}

/* Several random checkpoints (shapes and seeds), every block size 1..9. */
START_TEST(test_equals_greedy_random_models) {
    const struct { int C, H, L, V; uint64_t seed; } shapes[] = {
        {16, 2, 2, 64, 1}, {8, 1, 1, 17, 2}, {24, 3, 3, 100, 3}, {32, 4, 2, 50, 4},
    };
    int prompt[5] = {3, 1, 4, 1, 5};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        GPT2Config c = {shapes[k].C, shapes[k].H, shapes[k].L, 64, shapes[k].V, 1e-5f, 0, 0};
        GPT2 m;
        Error err;
        ck_assert_msg(gpt2_init_random(&m, &c, (int)(k % 2), shapes[k].seed, &err) == 0, "%s", err.msg);
        /* N(0, 0.02) weights give near-uniform logits; scale the unembedding
         * so greedy's choices depend on the context (more iterations to check) */
        for (size_t i = 0; i < (size_t)c.vocab_size * (size_t)c.n_embd; i++) m.w.lm_head.f32[i] *= 40.0f;
        m.config.eos_token_id = -1;   /* run the full length */
        for (int N = 1; N <= 9; N++)
            for (int n = 1; n <= 5; n++) assert_same(&m, N, prompt, n, 20, "random model");
        gpt2_free(&m);
    }
}
END_TEST

/* An eos inside a block cuts it, as greedy stops there. */
START_TEST(test_eos_cuts_the_block) {
    GPT2Config c = {16, 2, 2, 64, 40, 1e-5f, 0, 0};
    GPT2 m;
    Error err;
    ck_assert_msg(gpt2_init_random(&m, &c, 1, 5, &err) == 0, "%s", err.msg);
    for (size_t i = 0; i < (size_t)40 * 16; i++) m.w.wte.f32[i] *= 40.0f;
    m.config.eos_token_id = -1;
    int prompt[2] = {7, 9}, ids[256];
    StopReason stop;
    int n = greedy(&m, prompt, 2, 12, ids, &stop);
    ck_assert_int_eq(n, 14);
    m.config.eos_token_id = ids[2 + 5];   /* greedy's 6th token (or an earlier copy of it) */
    for (int N = 1; N <= 8; N++) assert_same(&m, N, prompt, 2, 12, "eos");
    int a[256], passes;
    n = jacobi(&m, 4, prompt, 2, 12, a, &stop, &passes);
    ck_assert_int_eq(stop, STOP_EOS);
    ck_assert_int_eq(a[n - 1], m.config.eos_token_id);
    gpt2_free(&m);
}
END_TEST

/* The window: blocks shrink at n_positions; context_full as greedy; a full prompt stops at once. */
START_TEST(test_window_and_limits) {
    GPT2Config c = {16, 2, 2, 11, 30, 1e-5f, 0, 0};
    GPT2 m;
    Error err;
    ck_assert_msg(gpt2_init_random(&m, &c, 1, 8, &err) == 0, "%s", err.msg);
    m.config.eos_token_id = -1;
    int prompt[11] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    for (int N = 1; N <= 12; N++) {
        assert_same(&m, N, prompt, 3, 100, "window");   /* 8 tokens fill it: blocks of N, then what is left */
        assert_same(&m, N, prompt, 3, 5, "max_new_tokens");
    }
    int ids[16], passes;
    StopReason stop;
    ck_assert_int_eq(jacobi(&m, 4, prompt, 11, 5, ids, &stop, &passes), 11);
    ck_assert_int_eq(stop, STOP_CONTEXT_FULL);
    ck_assert_int_eq(jacobi(&m, 4, prompt, 3, 0, ids, &stop, &passes), 3);
    ck_assert_int_eq(stop, STOP_MAX_NEW_TOKENS);
    JacobiDecoder jd;
    ck_assert_int_eq(jacobi_init(&jd, &m, 0, 5, prompt, 3, &err), -1);
    ck_assert_msg(strstr(err.msg, "block size") != NULL, "%s", err.msg);
    gpt2_free(&m);
}
END_TEST

/* The pass counts are the textbook's: a right guess converges in one pass;
 * after k passes the first k positions equal greedy's. */
START_TEST(test_passes) {
    GPT2Config c = {16, 2, 2, 64, 40, 1e-5f, 0, 0};
    GPT2 m;
    Error err;
    ck_assert_msg(gpt2_init_random(&m, &c, 1, 9, &err) == 0, "%s", err.msg);
    for (size_t i = 0; i < (size_t)40 * 16; i++) m.w.wte.f32[i] *= 40.0f;
    m.config.eos_token_id = -1;
    int prompt[2] = {4, 2}, ref[64];
    StopReason stop;
    greedy(&m, prompt, 2, 6, ref, &stop);
    JacobiDecoder jd;
    ck_assert_msg(jacobi_init(&jd, &m, 6, 6, prompt, 2, &err) == 0, "%s", err.msg);
    ck_assert_msg(jacobi_prefill(&jd, &err) == 0, "%s", err.msg);
    /* guess greedy's answer: one pass, nothing changes */
    memcpy(jd.guess, ref + 2, 6 * sizeof(int));
    unsigned char changed[6];
    int n_changed;
    ck_assert_msg(jacobi_pass(&jd, 6, changed, &n_changed, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(n_changed, 0);
    /* from the usual guess: after pass k, positions 0..k-1 are greedy's */
    jacobi_initial_guess(&jd, 6);
    for (int k = 1; k <= 6; k++) {
        ck_assert_msg(jacobi_pass(&jd, 6, changed, &n_changed, &err) == 0, "%s", err.msg);
        for (int i = 0; i < k; i++) ck_assert_int_eq(jd.guess[i], ref[2 + i]);
    }
    jacobi_free(&jd);
    gpt2_free(&m);
}
END_TEST

/* Prompt lookup: the guess copies what followed the latest earlier
 * occurrence of the last 3 (else 2, else 1) tokens, then repeats the last
 * token; with no earlier occurrence, the last token N times. */
START_TEST(test_initial_guess_lookup) {
    GPT2Config c = {16, 2, 2, 64, 40, 1e-5f, 0, 0};
    GPT2 m;
    Error err;
    ck_assert_msg(gpt2_init_random(&m, &c, 1, 9, &err) == 0, "%s", err.msg);
    /* the trigram 1 2 3 occurred at 0..2, followed by 9 9: that beats the later bigram 2 3 */
    int p1[] = {1, 2, 3, 9, 9, 7, 2, 3, 5, 1, 2, 3}, want1[] = {9, 9, 7, 2, 3, 5};
    /* 5 never occurred before: 5 repeated */
    int p2[] = {1, 2, 3, 5}, want2[] = {5, 5, 5, 5, 5, 5};
    /* only the unigram 4 matches (latest first), and the copy stops at the context's end */
    int p3[] = {4, 8, 6, 4, 7, 3, 4}, want3[] = {7, 3, 4, 4, 4, 4};
    const int *prompts[] = {p1, p2, p3}, *wants[] = {want1, want2, want3};
    int lens[] = {12, 4, 7};
    for (int t = 0; t < 3; t++) {
        JacobiDecoder jd;
        ck_assert_msg(jacobi_init(&jd, &m, 6, 6, prompts[t], lens[t], &err) == 0, "%s", err.msg);
        jacobi_initial_guess(&jd, 6);
        for (int i = 0; i < 6; i++) ck_assert_msg(jd.guess[i] == wants[t][i], "case %d: guess[%d] = %d, want %d",
                                                  t, i, jd.guess[i], wants[t][i]);
        jacobi_free(&jd);
    }
    gpt2_free(&m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("jacobi");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_equals_greedy_random_models);
    tcase_add_test(core, test_eos_cuts_the_block);
    tcase_add_test(core, test_passes);
    tcase_add_test(core, test_initial_guess_lookup);
    tcase_set_timeout(core, 60);
    suite_add_tcase(s, core);
    TCase *edge = tcase_create("edge");
    tcase_add_test(edge, test_window_and_limits);
    suite_add_tcase(s, edge);
    return run_suite(s);
}
