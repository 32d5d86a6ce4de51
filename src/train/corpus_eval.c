/* corpus_eval.c - see corpus_eval.h. */
#include "train/corpus_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels.h"

/* ln P(ids[n_prefix..n) | ids[0..n_prefix)) under the model: one forward
 * pass over the whole sequence, then the log-softmax at each position that
 * predicts an option token. */
static int sequence_logprob(const GPT2 *m, const int *ids, int n, int n_prefix, double *out, Error *err) {
    RunOptions opt = {.max_tokens = n, .n_ctx = n, .keep_layers = 0, .all_logits = 1};
    RunState s;
    if (run_state_init(&s, m, &opt, err)) return -1;
    int rc = forward_pass(m, &s, ids, n, 0, NULL, err);
    if (rc == 0) {
        logits_all(m, &s);
        int V = m->config.vocab_size;
        float *probs = malloc((size_t)V * sizeof *probs);
        if (!probs) { run_state_free(&s); return error_set(err, "out of memory"); }
        double lp = 0;
        for (int t = n_prefix; t < n; t++) {
            double log_z = softmax(probs, s.logits + (size_t)(t - 1) * V, V, NULL);
            lp += (double)s.logits[(size_t)(t - 1) * V + ids[t]] - log_z;
        }
        free(probs);
        *out = lp;
    }
    run_state_free(&s);
    return rc;
}

int corpus_eval_branch(const GPT2 *m, Tokenizer *tok, const BranchPoint *bp, BranchEval *out, Error *err) {
    memset(out, 0, sizeof *out);
    out->bp = bp;
    if (bp->n_options > EVAL_MAX_OPTIONS) return error_set(err, "branch point %s: too many options", bp->name);
    const char *lead = "<|endoftext|>\n";
    size_t longest = 0;
    for (int i = 0; i < bp->n_options; i++)
        if (strlen(bp->options[i].word) > longest) longest = strlen(bp->options[i].word);
    size_t cap = strlen(lead) + strlen(bp->context) + longest + 1;
    char *text = malloc(cap);
    int *prefix = NULL, n_prefix = 0, rc = -1;
    if (!text) return error_set(err, "out of memory");
    snprintf(text, cap, "%s%s", lead, bp->context);
    if (tokenizer_encode(tok, text, strlen(text), 1, &prefix, &n_prefix, err)) goto done;
    for (int i = 0; i < bp->n_options; i++) {
        snprintf(text, cap, "%s%s%s", lead, bp->context, bp->options[i].word);
        int *ids = NULL, n = 0;
        if (tokenizer_encode(tok, text, strlen(text), 1, &ids, &n, err)) goto done;
        /* The word must start a new token: GPT-2's pre-tokenizer splits before " word". */
        if (n <= n_prefix || memcmp(ids, prefix, (size_t)n_prefix * sizeof *ids) != 0) {
            free(ids);
            error_set(err, "branch point %s: option '%s' does not tokenize after the context", bp->name, bp->options[i].word);
            goto done;
        }
        if (n > m->config.n_positions) {
            free(ids);
            error_set(err, "branch point %s: %d tokens exceed the context window", bp->name, n);
            goto done;
        }
        double lp = 0;
        int bad = sequence_logprob(m, ids, n, n_prefix, &lp, err);
        free(ids);
        if (bad) goto done;
        out->raw[i] = exp(lp);
        out->mass += out->raw[i];
    }
    for (int i = 0; i < bp->n_options; i++) {
        out->learned[i] = out->mass > 0 ? out->raw[i] / out->mass : 0;
        double p = bp->options[i].prob;
        if (p > 0) out->kl += p * log(p / (out->learned[i] > 0 ? out->learned[i] : 1e-300));
    }
    rc = 0;
done:
    free(text);
    free(prefix);
    return rc;
}
