/* jacobi.c - Jacobi (parallel fixed-point) decoding; see jacobi.h. */
#include "decode/jacobi.h"

#include <stdlib.h>
#include <string.h>

/* ---- building and freeing ---- */

int jacobi_init(JacobiDecoder *jd, const GPT2 *m, int block, int max_new_tokens,
                const int *prompt, int n_prompt, Error *err) {
    memset(jd, 0, sizeof *jd);
    const GPT2Config *c = &m->config;
    if (block < 1) return error_set(err, "jacobi: the block size is %d: expected at least 1", block);
    if (check_prompt(c, prompt, n_prompt, err) != 0) return -1;
    jd->model = m;
    jd->block = block;
    jd->max_new_tokens = max_new_tokens;
    jd->n_prompt = n_prompt;
    jd->n_ctx = context_window(c, n_prompt, max_new_tokens);
    /* N rows of logits per pass (the block, never the whole context); no
     * block is longer than the window the run can reach */
    RunOptions ro = {.max_tokens = block < jd->n_ctx ? block : jd->n_ctx, .n_ctx = jd->n_ctx,
                     .keep_layers = 0, .all_logits = 1};
    if (run_state_init(&jd->state, m, &ro, err) != 0) return -1;
    size_t N = (size_t)block;
    jd->ids = malloc((size_t)jd->n_ctx * sizeof *jd->ids);
    jd->guess = malloc(N * sizeof *jd->guess);
    jd->inputs = malloc(N * sizeof *jd->inputs);
    jd->initial = malloc(N * sizeof *jd->initial);
    jd->history = malloc(N * N * sizeof *jd->history);
    jd->changed = malloc(N * N);
    if (!jd->ids || !jd->guess || !jd->inputs || !jd->initial || !jd->history || !jd->changed) {
        jacobi_free(jd);
        return error_set(err, "jacobi: out of memory for a block of %d", block);
    }
    memcpy(jd->ids, prompt, (size_t)n_prompt * sizeof *prompt);
    jd->n_ids = n_prompt;
    jd->stop = max_new_tokens <= 0 ? STOP_MAX_NEW_TOKENS : n_prompt >= c->n_positions ? STOP_CONTEXT_FULL : STOP_NONE;
    return 0;
}

void jacobi_free(JacobiDecoder *jd) {
    run_state_free(&jd->state);
    free(jd->ids);
    free(jd->guess);
    free(jd->inputs);
    free(jd->initial);
    free(jd->history);
    free(jd->changed);
    jd->ids = jd->guess = jd->inputs = jd->initial = jd->history = NULL;
    jd->changed = NULL;
}

/* ---- stage 1: the prompt into the cache ---- */

int jacobi_prefill(JacobiDecoder *jd, Error *err) {
    /* The last prompt token is not prefilled: it is the first input of every
     * pass of the first block.  Chunks of N give the same numbers as one
     * call (every sum runs in the same order whatever T is). */
    int chunk = jd->state.opt.max_tokens;
    for (int pos = 0; pos < jd->n_prompt - 1; pos += chunk) {
        int T = jd->n_prompt - 1 - pos < chunk ? jd->n_prompt - 1 - pos : chunk;
        if (forward_pass(jd->model, &jd->state, jd->ids + pos, T, pos, NULL, err) != 0) return -1;
    }
    return 0;
}

/* ---- stage 2: the guess ---- */

/* Prompt lookup: the latest earlier place where the context's last
 * JACOBI_LOOKUP_NGRAM tokens (or fewer, down to 1) occurred; what followed
 * them there is the guess.  Returns the index after that occurrence, or -1. */
#define JACOBI_LOOKUP_NGRAM 3
static int lookup_continuation(const int *ids, int n_ids) {
    for (int k = JACOBI_LOOKUP_NGRAM; k >= 1; k--) {
        if (k > n_ids - 1) continue;
        /* end = the index just after a candidate occurrence ids[end-k..end) */
        for (int end = n_ids - 1; end >= k; end--) {
            int same = 1;
            for (int i = 1; i <= k && same; i++) same = ids[end - i] == ids[n_ids - i];
            if (same) return end;
        }
    }
    return -1;
}

void jacobi_initial_guess(JacobiDecoder *jd, int n) {
    int last = jd->ids[jd->n_ids - 1];
    int from = lookup_continuation(jd->ids, jd->n_ids);
    for (int i = 0; i < n; i++) {
        /* the tokens that followed the earlier occurrence, then the last token repeated */
        int j = from < 0 ? -1 : from + i;
        jd->guess[i] = j >= 0 && j < jd->n_ids ? jd->ids[j] : last;
    }
}

/* ---- stage 3: one parallel pass ---- */

int jacobi_pass(JacobiDecoder *jd, int n, unsigned char *changed, int *n_changed, Error *err) {
    const GPT2 *m = jd->model;
    int V = m->config.vocab_size;
    int p = jd->n_ids;              /* the block's first position */
    /* inputs [n]: the last committed token, then the guess but its last token */
    jd->inputs[0] = jd->ids[p - 1];
    for (int i = 1; i < n; i++) jd->inputs[i] = jd->guess[i - 1];
    /* positions p-1..p+n-2 on top of the cache of 0..p-2: [n] -> logits [n, V] */
    if (forward_pass(m, &jd->state, jd->inputs, n, p - 1, NULL, err) != 0) return -1;
    logits_all(m, &jd->state);
    *n_changed = 0;
    for (int i = 0; i < n; i++) {
        /* row i predicts position p+i; ties toward the lower id, as greedy */
        const float *row = jd->state.logits + (size_t)i * (size_t)V;
        if (check_logits_finite(row, V, "step", jd->generated + i, err) != 0) return -1;
        int best = argmax_token(row, V);
        changed[i] = best != jd->guess[i];
        *n_changed += changed[i];
        jd->guess[i] = best;
    }
    return 0;
}

/* ---- stage 4: accept ---- */

void jacobi_accept(JacobiDecoder *jd, int n) {
    const GPT2Config *c = &jd->model->config;
    for (int i = 0; i < n; i++) {
        jd->ids[jd->n_ids++] = jd->guess[i];
        jd->generated++;
        /* an eos inside the block cuts it: what follows was never greedy's */
        if (jd->guess[i] == c->eos_token_id) { jd->stop = STOP_EOS; return; }
    }
    if (jd->generated >= jd->max_new_tokens) jd->stop = STOP_MAX_NEW_TOKENS;
    else if (jd->n_ids >= c->n_positions) jd->stop = STOP_CONTEXT_FULL;
}

/* ---- one block ---- */

static void report_block(const JacobiDecoder *jd, const JacobiObserver *jobs, int p, int n, int passes,
                         int fixed_point) {
    JacobiBlock b = {.block = jd->n_blocks, .start_position = p, .size = n, .block_size = jd->block,
                     .last_committed = jd->ids[p - 1], .initial = jd->initial, .guesses = jd->history,
                     .changed = jd->changed, .passes = passes, .fixed_point = fixed_point,
                     .n_accepted = jd->n_ids - p, .kv_cache_positions = jd->state.n_cached,
                     .kv_cache_bytes = kv_cache_bytes(&jd->model->config, jd->state.n_cached)};
    jobs->block(jobs->ctx, &b);
}

int jacobi_block(JacobiDecoder *jd, const JacobiObserver *jobs, Error *err) {
    if (jd->stop != STOP_NONE) return error_set(err, "jacobi: the run has stopped (%s)", stop_reason_name(jd->stop));
    int p = jd->n_ids;
    /* n <= N, shortened by max_new_tokens and the window (n_ctx) */
    int n = jd->n_ctx - p < jd->block ? jd->n_ctx - p : jd->block;
    jacobi_initial_guess(jd, n);
    memcpy(jd->initial, jd->guess, (size_t)n * sizeof *jd->guess);
    int passes = 0, n_changed = 1;
    /* After k passes the first k positions are fixed, so n passes always suffice. */
    while (n_changed > 0 && passes < n) {
        unsigned char *changed = jd->changed + (size_t)passes * (size_t)n;
        if (jacobi_pass(jd, n, changed, &n_changed, err) != 0) return -1;
        memcpy(jd->history + (size_t)passes * (size_t)n, jd->guess, (size_t)n * sizeof *jd->guess);
        passes++;
    }
    jd->total_passes += passes;
    jacobi_accept(jd, n);
    if (jobs && jobs->block) report_block(jd, jobs, p, n, passes, n_changed == 0);
    jd->n_blocks++;
    return 0;
}

/* ---- the loop ---- */

int jacobi_run(JacobiDecoder *jd, const Observer *obs, const JacobiObserver *jobs, const char *model_dir,
               Error *err) {
    SamplerSettings s;
    sampler_defaults(&s, STRATEGY_JACOBI);
    if (obs && obs->run_begin) {
        RunInfo info = {.config = &jd->model->config, .model_dir = model_dir ? model_dir : "", .settings = &s,
                        .seed = 0, .stream = 0, .prompt = jd->ids, .n_prompt = jd->n_prompt,
                        .max_new_tokens = jd->max_new_tokens, .use_kv_cache = 1};
        obs->run_begin(obs->ctx, &info);
    }
    if (jd->stop == STOP_NONE && jacobi_prefill(jd, err) != 0) return -1;
    while (jd->stop == STOP_NONE) {
        int before = jd->n_ids;
        if (jacobi_block(jd, jobs, err) != 0) return -1;
        for (int i = before; obs && obs->append && i < jd->n_ids; i++) obs->append(obs->ctx, jd->ids[i], jd->ids, i + 1);
        if (jd->stop == STOP_NONE && jd->interrupt && *jd->interrupt) jd->stop = STOP_INTERRUPTED;
    }
    if (obs && obs->run_end) {
        Sequence result = {.ids = jd->ids, .n = jd->n_ids, .sum_logprob = 0.0, .score = 0.0, .parent = -1};
        obs->run_end(obs->ctx, stop_reason_name(jd->stop), &result, 1);
    }
    return 0;
}
