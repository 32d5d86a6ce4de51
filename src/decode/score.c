/* score.c - teacher-forced scoring; see score.h. */
#include "decode/score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/forward.h"
#include "core/kernels.h"

/* ---- one row: log-softmax, rank, entropy ---- */

void score_row(TokenScore *out, const float *logits, int V, int target) {
    int top = 0;
    for (int v = 1; v < V; v++) if (logits[v] > logits[top]) top = v;   /* ties: the lower id stays */
    double H;
    double lse = softmax(NULL, logits, V, &H);   /* log Z and the entropy in nats (kernels.h) */
    /* rank: tokens strictly better, plus tied tokens with a lower id */
    int better = 0;
    for (int v = 0; v < V; v++)
        better += logits[v] > logits[target] || (v < target && logits[v] == logits[target]);
    out->id = target;
    out->logprob = (double)logits[target] - lse;
    out->probability = exp(out->logprob);
    out->rank = better + 1;
    out->surprisal_bits = -out->logprob / log(2.0);
    out->entropy_bits = H / log(2.0);   /* [nats] -> [bits] */
    out->top_id = top;
    out->top_probability = exp((double)logits[top] - lse);
}

void score_summarize(ScoreResult *r) {
    double nats = 0, bits = 0;
    int top1 = 0;
    for (int i = 0; i < r->n_scored; i++) {
        nats -= r->scores[i].logprob;
        bits += r->scores[i].surprisal_bits;
        top1 += r->scores[i].rank == 1;
    }
    r->mean_loss = r->n_scored > 0 ? nats / r->n_scored : 0.0;
    r->perplexity = exp(r->mean_loss);
    r->total_bits = bits;
    r->n_top1 = top1;
}

/* ---- the whole text ---- */

static int check_text(const GPT2Config *c, const int *ids, int n, Error *err) {
    if (n < 2) return error_set(err, "the text has %d token%s: scoring needs at least 2 (the first is only context)", n, n == 1 ? "" : "s");
    if (n > c->n_positions)
        return error_set(err, "the text has %d tokens: the context window holds at most %d (n_positions); "
                         "shorten it (argen score does not slide a window)", n, c->n_positions);
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= c->vocab_size)
            return error_set(err, "token %d is %d: expected an id in [0, %d)", i, ids[i], c->vocab_size);
    return 0;
}

int score_tokens(const GPT2 *m, const int *ids, int n, ScoreResult *out, size_t *kv_bytes, Error *err) {
    memset(out, 0, sizeof *out);
    const GPT2Config *c = &m->config;
    if (check_text(c, ids, n, err) != 0) return -1;
    /* One call over all n tokens, logits at every position: [n, V]. */
    RunOptions ro = {.max_tokens = n, .n_ctx = n, .keep_layers = 0, .all_logits = 1};
    RunState s;
    if (run_state_init(&s, m, &ro, err) != 0) return -1;
    out->scores = malloc((size_t)(n - 1) * sizeof *out->scores);
    if (!out->scores) { run_state_free(&s); return error_set(err, "score: out of memory"); }
    if (forward_pass(m, &s, ids, n, 0, NULL, err) != 0) { run_state_free(&s); score_result_free(out); return -1; }
    logits_all(m, &s);
    size_t V = (size_t)c->vocab_size;
    /* Row t predicts position t+1; the last row predicts past the text and is unused. */
    for (int t = 0; t + 1 < n; t++) {
        if (check_logits_finite(s.logits + (size_t)t * V, c->vocab_size, "position", t + 1, err) != 0) {
            run_state_free(&s);
            score_result_free(out);
            return -1;
        }
        score_row(&out->scores[t], s.logits + (size_t)t * V, c->vocab_size, ids[t + 1]);
        out->scores[t].position = t + 1;
    }
    out->n_scored = n - 1;
    score_summarize(out);
    if (kv_bytes) *kv_bytes = kv_cache_bytes(c, s.n_cached);
    run_state_free(&s);
    return 0;
}

void score_result_free(ScoreResult *r) {
    free(r->scores);
    r->scores = NULL;
    r->n_scored = 0;
}
