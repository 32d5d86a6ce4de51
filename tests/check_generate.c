/*
 * check_generate.c - the loop on a small random model: stop reasons, the KV
 * cache and tracing never change the tokens, beam 1 == greedy, and a JSON
 * trace whose probabilities agree with the logits it records (softmax
 * recomputed here in double), and ranks that count from 1 (greedy: rank 1).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/generate.h"
#include "decode/beam.h"
#include "trace/trace.h"

#include "formats/json.h"
#include "formats/checkpoint.h"
#include "memory_trace.h"
#include "testutil.h"

static GPT2 make_model(int n_positions) {
    GPT2Config c = {16, 2, 2, n_positions, 64, 1e-5f, 63, 63};
    GPT2 m;
    Error err;
    ck_assert_msg(gpt2_init_random(&m, &c, 1, 7, &err) == 0, "%s", err.msg);
    return m;
}

/* Runs the loop; returns the number of ids, copies them to out. */
static int run(const GPT2 *m, const GenerateOptions *o, const int *prompt, int n, const TraceSink *t,
               int *out, StopReason *stop) {
    Generator g;
    Error err;
    ck_assert_msg(generator_init(&g, m, o, prompt, n, &err) == 0, "%s", err.msg);
    ck_assert_msg(generate_run(&g, t ? &t->run : NULL, "", &err) == 0, "%s", err.msg);
    memcpy(out, g.ids, (size_t)g.n_ids * sizeof *out);
    int n_ids = g.n_ids;
    *stop = g.stop;
    generator_free(&g);
    return n_ids;
}

START_TEST(test_stop_reasons) {
    GPT2 m = make_model(12);
    GenerateOptions o;
    generate_defaults(&o);
    int prompt[3] = {1, 2, 3}, ids[64];
    StopReason stop;
    o.max_new_tokens = 4;
    ck_assert_int_eq(run(&m, &o, prompt, 3, NULL, ids, &stop), 7);
    ck_assert_int_eq(stop, STOP_MAX_NEW_TOKENS);
    /* 12 positions, 3 in the prompt: 9 tokens fill the window */
    o.max_new_tokens = 100;
    ck_assert_int_eq(run(&m, &o, prompt, 3, NULL, ids, &stop), 12);
    ck_assert_int_eq(stop, STOP_CONTEXT_FULL);
    /* make the first greedy token the eos: one token, then eos */
    int first = ids[3];
    m.config.eos_token_id = first;
    ck_assert_int_eq(run(&m, &o, prompt, 3, NULL, ids, &stop), 4);
    ck_assert_int_eq(stop, STOP_EOS);
    gpt2_free(&m);
}
END_TEST

START_TEST(test_cache_and_trace_do_not_change_tokens) {
    GPT2 m = make_model(32);
    m.config.eos_token_id = -1;   /* run the full length */
    GenerateOptions o;
    generate_defaults(&o);
    sampler_defaults(&o.sampling, STRATEGY_TOP_K);
    o.seed = 9;
    o.max_new_tokens = 12;
    int prompt[2] = {5, 6}, a[64], b[64], c[64];
    StopReason s1, s2, s3;
    int n1 = run(&m, &o, prompt, 2, NULL, a, &s1);
    o.use_kv_cache = 0;
    int n2 = run(&m, &o, prompt, 2, NULL, b, &s2);
    o.use_kv_cache = 1;
    o.keep_activations = 1;
    MemoryTrace mt;
    TraceSink sink;
    memory_trace_init(&mt, &sink);
    int n3 = run(&m, &o, prompt, 2, &sink, c, &s3);
    ck_assert_int_eq(n1, n2);
    ck_assert_int_eq(n1, n3);
    for (int i = 0; i < n1; i++) { ck_assert_int_eq(a[i], b[i]); ck_assert_int_eq(a[i], c[i]); }
    ck_assert_int_eq(mt.n_steps, n1 - 2);
    ck_assert_int_eq(mt.n_layers, 2 * (n1 - 2));
    ck_assert_int_eq(mt.tokens_processed[0], 2);   /* prefill */
    ck_assert_int_eq(mt.tokens_processed[1], 1);   /* then one token per step */
    ck_assert(strncmp(mt.order, "RsfllFLSa", 9) == 0);
    ck_assert_str_eq(mt.stop_reason, "max_new_tokens");
    gpt2_free(&m);
}
END_TEST

START_TEST(test_beam_one_equals_greedy) {
    GPT2 m = make_model(32);
    m.config.eos_token_id = -1;   /* no eos: both run the full length */
    GenerateOptions o;
    generate_defaults(&o);
    o.max_new_tokens = 8;
    int prompt[2] = {5, 6}, ids[64];
    StopReason stop;
    int n = run(&m, &o, prompt, 2, NULL, ids, &stop);
    Gpt2Beams gb;
    BeamModel bm;
    Error err;
    ck_assert_msg(gpt2_beams_init(&gb, &bm, &m, 1, 10, 1, &err) == 0, "%s", err.msg);
    BeamOptions bo = {.beams = 1, .length_penalty = 1.0f, .repetition_penalty = 1.0f, .max_new_tokens = 8,
                      .max_len = 32, .interrupt = NULL};
    BeamResult r;
    ck_assert_msg(beam_search(&bm, &bo, prompt, 2, NULL, NULL, &r, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r.best[0].n, n);
    for (int i = 0; i < n; i++) ck_assert_int_eq(r.best[0].ids[i], ids[i]);
    beam_result_free(&r);
    gpt2_beams_free(&gb);
    gpt2_free(&m);
}
END_TEST

/* Writes a full trace of a run (top-p, T 0.8, unless strategy says otherwise) to path;
 * returns json_trace_close's status. */
static int write_trace_of(const GPT2 *m, const char *path, int *opened, Strategy strategy) {
    GenerateOptions o;
    generate_defaults(&o);
    sampler_defaults(&o.sampling, strategy);
    o.sampling.temperature = 0.8f;
    o.seed = 3;
    o.max_new_tokens = 3;
    o.keep_activations = 1;
    JsonTrace jt;
    TraceSink sink;
    Error err;
    *opened = json_trace_open(&jt, &sink, path, TRACE_FULL, NULL, 64, &err) == 0;
    if (!*opened) return -1;
    int prompt[2] = {5, 6}, ids[64];
    StopReason stop;
    run(m, &o, prompt, 2, &sink, ids, &stop);
    return json_trace_close(&jt, &err);
}

static int write_trace(const GPT2 *m, const char *path, int *opened) {
    return write_trace_of(m, path, opened, STRATEGY_TOP_P);
}

static int rank_of(const JsonValue *o) { return (int)json_get(o, "rank")->number; }

START_TEST(test_trace_probabilities_match_logits) {
    GPT2 m = make_model(32);
    char path[] = "/tmp/argen_check_trace_XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    close(fd);
    int opened;
    ck_assert_int_eq(write_trace(&m, path, &opened), 0);
    char *text;
    size_t len;
    Error err;
    ck_assert(read_file(path, &text, &len, &err) == 0);
    JsonValue doc;
    ck_assert_msg(json_parse(text, len, path, &doc, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(json_get(&doc, "format")->str, "argen-trace");
    const JsonValue *steps = json_get(&doc, "steps");
    ck_assert_int_eq((int)steps->len, 3);
    for (size_t s = 0; s < steps->len; s++) {
        const JsonValue *all = json_get(json_get(&steps->items[s], "logits"), "all");
        const JsonValue *sel = json_get(&steps->items[s], "selection");
        ck_assert_int_eq((int)all->len, 64);
        /* softmax(logits / 0.8) in double, here */
        double max = -INFINITY, z = 0, p[64];
        for (int v = 0; v < 64; v++) if (all->items[v].number / 0.8 > max) max = all->items[v].number / 0.8;
        for (int v = 0; v < 64; v++) z += exp(all->items[v].number / 0.8 - max);
        for (int v = 0; v < 64; v++) p[v] = exp(all->items[v].number / 0.8 - max) / z;
        const JsonValue *table = json_get(sel, "table");
        double cum = 0, last_hi = 0;
        for (size_t r = 0; r < table->len; r++) {
            const JsonValue *row = &table->items[r];
            int id = (int)json_get(row, "id")->number;
            double prob = json_get(row, "probability")->number;
            cum += p[id];
            ck_assert_msg(fabs(prob - p[id]) < 1e-6, "step %zu rank %zu: probability %.9g, softmax %.9g", s, r, prob, p[id]);
            ck_assert_msg(fabs(json_get(row, "cumulative")->number - cum) < 1e-5, "cumulative");
            const JsonValue *slice = json_get(row, "slice");
            if (slice->type == JSON_ARRAY) {
                ck_assert_msg(fabs(slice->items[0].number - last_hi) < 1e-6, "slices are contiguous");
                last_hi = slice->items[1].number;
            }
        }
        ck_assert_msg(fabs(last_hi - 1.0) < 1e-9, "the kept slices end at 1");
        /* the greedy alternative is the argmax of the recorded logits */
        int best = 0;
        for (int v = 1; v < 64; v++) if (all->items[v].number > all->items[best].number) best = v;
        ck_assert_int_eq((int)json_get(json_get(json_get(sel, "alternatives"), "greedy"), "id")->number, best);
        /* ranks count from 1: the largest logit is rank 1; the table holds ranks 1, 2, ... in order;
         * chosen.rank is its row's rank */
        const JsonValue *top = json_get(json_get(&steps->items[s], "logits"), "top");
        ck_assert_int_eq(rank_of(&top->items[0]), 1);
        ck_assert_int_eq((int)json_get(&top->items[0], "id")->number, best);
        const JsonValue *chosen = json_get(sel, "chosen");
        int chosen_id = (int)json_get(chosen, "id")->number, found = 0;
        for (size_t r = 0; r < table->len; r++) {
            ck_assert_int_eq(rank_of(&table->items[r]), (int)r + 1);   /* top_n 64 = V: every row, in rank order */
            if ((int)json_get(&table->items[r], "id")->number == chosen_id) {
                ck_assert_int_eq(rank_of(&table->items[r]), rank_of(chosen));
                found = 1;
            }
        }
        ck_assert_msg(found && rank_of(chosen) >= 1, "step %zu: the chosen row is in the table, rank >= 1", s);
    }
    json_free(&doc);
    free(text);
    remove(path);
    gpt2_free(&m);
}
END_TEST

/* Greedy takes the most likely token: rank 1 in the Selection, in the trace's
 * chosen and table, at every step; a sampled pick's rank names order[rank - 1]. */
START_TEST(test_ranks_count_from_one) {
    GPT2 m = make_model(32);
    char path[] = "/tmp/argen_check_ranks_XXXXXX";
    int fd = mkstemp(path), opened;
    ck_assert(fd >= 0);
    close(fd);
    ck_assert_int_eq(write_trace_of(&m, path, &opened, STRATEGY_GREEDY), 0);
    char *text;
    size_t len;
    Error err;
    ck_assert(read_file(path, &text, &len, &err) == 0);
    JsonValue doc;
    ck_assert_msg(json_parse(text, len, path, &doc, &err) == 0, "%s", err.msg);
    ck_assert_int_eq((int)json_get(&doc, "version")->number, TRACE_FORMAT_VERSION);
    const JsonValue *steps = json_get(&doc, "steps");
    ck_assert_int_ge((int)steps->len, 1);   /* greedy may reach eos before max_new_tokens */
    for (size_t s = 0; s < steps->len; s++) {
        const JsonValue *sel = json_get(&steps->items[s], "selection");
        const JsonValue *table = json_get(sel, "table");
        ck_assert_msg(rank_of(json_get(sel, "chosen")) == 1, "greedy step %zu chose rank %d, want 1", s,
                      rank_of(json_get(sel, "chosen")));
        ck_assert_int_eq(rank_of(&table->items[0]), 1);
        ck_assert_int_eq((int)json_get(&table->items[0], "id")->number, (int)json_get(json_get(sel, "chosen"), "id")->number);
    }
    json_free(&doc);
    free(text);
    remove(path);

    /* the Selection itself: greedy with a table is rank 1; a sampled pick is order[rank - 1] */
    Selection sel;
    ck_assert_msg(selection_init(&sel, 5, &err) == 0, "%s", err.msg);
    const float logits[5] = {0.5f, 2.0f, 1.0f, -1.0f, 1.5f};   /* ranks: id 1, 4, 2, 0, 3 */
    SamplerSettings cfg;
    sampler_defaults(&cfg, STRATEGY_GREEDY);
    ck_assert_int_eq(sampler_select(&sel, &cfg, logits, NULL, 0, 0.5f, 1), 1);
    ck_assert_int_eq(sel.chosen_rank, 1);
    ck_assert_int_eq(sampler_select(&sel, &cfg, logits, NULL, 0, 0.5f, 0), 1);
    ck_assert_int_eq(sel.chosen_rank, 0);   /* greedy without a table sorts nothing: no rank */
    sampler_defaults(&cfg, STRATEGY_SAMPLE);
    cfg.temperature = 1.0f;
    for (int k = 0; k < 20; k++) {
        float u = (float)k / 20;
        int id = sampler_select(&sel, &cfg, logits, NULL, 0, u, 0);
        ck_assert_int_ge(sel.chosen_rank, 1);
        ck_assert_int_eq(sel.order[sel.chosen_rank - 1], id);
    }
    ck_assert_int_eq(sampler_select(&sel, &cfg, logits, NULL, 0, 0.0f, 0), 1);
    ck_assert_int_eq(sel.chosen_rank, 1);   /* u = 0 lands in the most likely token's slice */
    ck_assert_int_eq(sampler_select(&sel, &cfg, logits, NULL, 0, 0.999f, 0), 3);
    ck_assert_int_eq(sel.chosen_rank, 5);   /* the least likely of 5 */
    selection_free(&sel);
    gpt2_free(&m);
}
END_TEST

START_TEST(test_trace_write_failures) {
    GPT2 m = make_model(32);
    int opened;
    /* a full disk: the write error is reported */
    ck_assert_int_ne(write_trace(&m, "/dev/full", &opened), 0);
    ck_assert(opened);
    /* a folder that does not exist: refused at open */
    ck_assert_int_ne(write_trace(&m, "/nonexistent-argen-dir/t.json", &opened), 0);
    ck_assert(!opened);
    /* an earlier trace stays intact when the temporary cannot be made */
    char path[] = "/tmp/argen_check_keep_XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    ck_assert(write(fd, "earlier", 7) == 7);
    close(fd);
    char tmp[256];
    for (int n = 0; n < 1000; n++) {   /* folders at every temporary name atomic_open would try */
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%d", path, (long)getpid(), n);
        ck_assert(mkdir(tmp, 0700) == 0);
    }
    ck_assert_int_ne(write_trace(&m, path, &opened), 0);
    char *text;
    size_t len;
    Error err;
    ck_assert(read_file(path, &text, &len, &err) == 0);
    ck_assert_int_eq((int)len, 7);
    ck_assert(memcmp(text, "earlier", 7) == 0);
    free(text);
    for (int n = 0; n < 1000; n++) {
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%d", path, (long)getpid(), n);
        rmdir(tmp);
    }
    remove(path);
    gpt2_free(&m);
}
END_TEST

static Suite *generate_suite(void) {
    Suite *s = suite_create("generate");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_stop_reasons);
    tcase_add_test(core, test_cache_and_trace_do_not_change_tokens);
    tcase_add_test(core, test_beam_one_equals_greedy);
    tcase_add_test(core, test_trace_probabilities_match_logits);
    tcase_add_test(core, test_ranks_count_from_one);
    tcase_add_test(core, test_trace_write_failures);
    suite_add_tcase(s, core);
    return s;
}

int main(void) { return run_suite(generate_suite()); }
