/*
 * beam.c - beam search, as Hugging Face's generate(num_beams=N) does it.
 *
 * Each step extends every live beam by every token, scores each extension by
 * the beam's sum of log-probabilities plus the token's, and keeps the 2N best
 * extensions (ties: lower beam slot, then lower token id).  An extension that
 * ends in eos_token_id (and ranks among the first N) becomes a finished
 * hypothesis; the first N others become the next live beams.  A hypothesis
 * is scored sum_logprob / n_generated^length_penalty (the eos token counts
 * as generated).  The search stops when N hypotheses are finished and no
 * live beam can beat the worst of them (HF's early_stopping=False rule), when
 * max_new_tokens are generated, or when the window is full.
 *
 * As in Hugging Face's beam search, the logits processors (the repetition
 * penalty) run on the log-probabilities, after log-softmax, with no
 * renormalisation: a seen token's log p (<= 0) is multiplied by R, and the
 * sums add these processed scores.  Temperature and the truncations are
 * sampling warpers: beam search (do_sample=False) does not use them.
 *
 * Every beam lives in a slot with its own KV cache.  When beams fork, the
 * first child of a slot stays in it; the other children move to slots that
 * no child kept, copying the parent's cache there (BeamModel.fork).  Parents
 * are never overwritten before their children have copied them.
 */
#include "decode/beam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels.h"

/* One scored extension: beam slot b + token v. */
typedef struct {
    double sum;      /* beam's sum_logprob + log p(v) */
    float logprob;   /* log p(v) */
    int slot;
    int token;
    BeamCandidateFate fate;   /* what the step did with it (beam.h) */
    int child;       /* BEAM_KEPT: its index j in next[] */
} Candidate;

/* A live beam or a finished hypothesis under construction. */
typedef struct {
    int *ids;        /* [max_len] */
    float *logprobs; /* [max_new_tokens] */
    int n;
    double sum;
} Beam;

typedef struct {
    int N, V, max_len, max_new;
    Beam *live, *next;        /* [N] each, indexed by slot */
    int *live_on, *next_on;   /* [N] 1 when the slot holds a beam */
    Beam *done;               /* [N] finished hypotheses, unordered */
    double *done_score;       /* [N] */
    int n_done;
    float *logits;            /* [V] */
    float *logp;              /* [N, V] per slot: log-softmax, then the processors */
    unsigned char *seen;      /* [V] 1 for tokens in the beam's sequence */
    float *raw_logp;          /* [V] one beam's log-softmax before the repetition penalty */
    Candidate *cand;          /* [2N] best extensions, best first */
    int *parent_slot;         /* [N] next[j]'s parent slot */
    int *child_slot;          /* [N] the slot next[j] was placed in */
    int *trace_index;         /* [N] a live slot's index in the trace's list of beams (slot order) */
} BeamWork;

static int beam_alloc(Beam *b, int max_len, int max_new) {
    b->ids = malloc((size_t)max_len * sizeof *b->ids);
    b->logprobs = malloc((size_t)(max_new > 0 ? max_new : 1) * sizeof *b->logprobs);
    b->n = 0;
    b->sum = 0;
    return b->ids && b->logprobs ? 0 : -1;
}

static void work_free(BeamWork *w) {
    for (int i = 0; i < w->N; i++) {
        if (w->live) { free(w->live[i].ids); free(w->live[i].logprobs); }
        if (w->next) { free(w->next[i].ids); free(w->next[i].logprobs); }
        if (w->done) { free(w->done[i].ids); free(w->done[i].logprobs); }
    }
    free(w->live); free(w->next); free(w->done);
    free(w->live_on); free(w->next_on); free(w->done_score);
    free(w->logits); free(w->logp); free(w->seen); free(w->raw_logp);
    free(w->cand); free(w->parent_slot); free(w->child_slot); free(w->trace_index);
}

static int work_init(BeamWork *w, int N, int V, int max_len, int max_new, Error *err) {
    memset(w, 0, sizeof *w);
    w->N = N; w->V = V; w->max_len = max_len; w->max_new = max_new;
    w->live = calloc((size_t)N, sizeof *w->live);
    w->next = calloc((size_t)N, sizeof *w->next);
    w->done = calloc((size_t)N, sizeof *w->done);
    w->live_on = calloc((size_t)N, sizeof *w->live_on);
    w->next_on = calloc((size_t)N, sizeof *w->next_on);
    w->done_score = calloc((size_t)N, sizeof *w->done_score);
    w->logits = malloc((size_t)V * sizeof *w->logits);
    w->logp = malloc((size_t)N * (size_t)V * sizeof *w->logp);
    w->seen = malloc((size_t)V);
    w->raw_logp = malloc((size_t)V * sizeof *w->raw_logp);
    w->cand = malloc((size_t)(2 * N) * sizeof *w->cand);
    w->parent_slot = malloc((size_t)N * sizeof *w->parent_slot);
    w->child_slot = malloc((size_t)N * sizeof *w->child_slot);
    w->trace_index = malloc((size_t)N * sizeof *w->trace_index);
    int bad = !w->live || !w->next || !w->done || !w->live_on || !w->next_on || !w->done_score ||
              !w->logits || !w->logp || !w->seen || !w->raw_logp || !w->cand || !w->parent_slot ||
              !w->child_slot || !w->trace_index;
    for (int i = 0; !bad && i < N; i++)
        bad = beam_alloc(&w->live[i], max_len, max_new) || beam_alloc(&w->next[i], max_len, max_new) ||
              beam_alloc(&w->done[i], max_len, max_new);
    if (bad) { work_free(w); return error_set(err, "beam search: out of memory for %d beams", N); }
    return 0;
}

static double hypothesis_score(double sum, int n_generated, double alpha) {
    return sum / pow(n_generated > 0 ? n_generated : 1, alpha);
}

static void beam_copy(Beam *dst, const Beam *src, int n_prompt) {
    memcpy(dst->ids, src->ids, (size_t)src->n * sizeof *dst->ids);
    memcpy(dst->logprobs, src->logprobs, (size_t)(src->n - n_prompt) * sizeof *dst->logprobs);
    dst->n = src->n;
    dst->sum = src->sum;
}

/* ---- the stages of one beam step ---- */

/* logp[slot] = the processed log-probabilities of every live beam, in
 * Hugging Face's order: log_softmax(logits) first, then the repetition
 * penalty on those log-probabilities (log p <= 0, so a seen token's log p is
 * multiplied by R), not renormalised. */
static int score_live_beams(BeamWork *w, const BeamModel *bm, const BeamOptions *opt, int step, Error *err) {
    for (int b = 0; b < w->N; b++) {
        if (!w->live_on[b]) continue;
        if (bm->next_logits(bm->ctx, b, w->live[b].ids, w->live[b].n, w->logits, err) != 0) return -1;
        if (check_logits_finite(w->logits, w->V, "step", step, err) != 0) return -1;
        float *lp = w->logp + (size_t)b * (size_t)w->V;
        int penalize = opt->repetition_penalty != 1.0f;
        float *raw = penalize ? w->raw_logp : lp;
        double log_z = softmax(NULL, w->logits, w->V, NULL);         /* log Z of the beam's logits */
        for (int v = 0; v < w->V; v++) raw[v] = (float)((double)w->logits[v] - log_z);   /* log p = x - log Z */
        if (penalize) {
            mark_context_tokens(w->seen, w->live[b].ids, w->live[b].n, w->V);
            apply_repetition_penalty(lp, raw, w->seen, opt->repetition_penalty, w->V);   /* [V] -> [V] */
        }
    }
    return 0;
}

/* The 2N best (slot, token) extensions, best first, ties to the lower slot then id. */
static int best_extensions(BeamWork *w) {
    int cap = 2 * w->N, n = 0;
    for (int b = 0; b < w->N; b++) {
        if (!w->live_on[b]) continue;
        const float *lp = w->logp + (size_t)b * (size_t)w->V;
        for (int v = 0; v < w->V; v++) {
            double s = w->live[b].sum + lp[v];
            if (n == cap && !(s > w->cand[n - 1].sum)) continue;   /* equal: the earlier one stays */
            int i = n < cap ? n++ : n - 1;
            while (i > 0 && s > w->cand[i - 1].sum) { w->cand[i] = w->cand[i - 1]; i--; }
            w->cand[i].sum = s; w->cand[i].logprob = lp[v]; w->cand[i].slot = b; w->cand[i].token = v;
            w->cand[i].fate = BEAM_PRUNED_RANK; w->cand[i].child = -1;
        }
    }
    return n;
}

/* Keeps the N best finished hypotheses: replaces the worst when full. */
static void add_finished(BeamWork *w, const Beam *b, int n_prompt, double alpha, StopReason why, StopReason *reasons) {
    double score = hypothesis_score(b->sum, b->n - n_prompt, alpha);
    int at = w->n_done;
    if (w->n_done == w->N) {
        at = 0;
        for (int i = 1; i < w->N; i++) if (w->done_score[i] < w->done_score[at]) at = i;
        if (!(score > w->done_score[at])) return;
    } else {
        w->n_done++;
    }
    beam_copy(&w->done[at], b, n_prompt);
    w->done_score[at] = score;
    reasons[at] = why;
}

/* eos extensions among the first N become finished hypotheses; the later
 * ones are dropped.  Either way they never become live beams. */
static void finish_eos_candidates(BeamWork *w, int eos, int n_cand, int n_prompt, double alpha, StopReason *reasons) {
    for (int c = 0; c < n_cand; c++) {
        Candidate *k = &w->cand[c];
        if (k->token != eos) continue;
        k->fate = c < w->N ? BEAM_FINISHED : BEAM_PRUNED_EOS;
        if (k->fate != BEAM_FINISHED) continue;
        Beam *fin = &w->next[w->N - 1];   /* scratch: next beams are built after this */
        beam_copy(fin, &w->live[k->slot], n_prompt);
        fin->ids[fin->n] = k->token;
        fin->logprobs[fin->n - n_prompt] = k->logprob;
        fin->n++;
        fin->sum = k->sum;
        add_finished(w, fin, n_prompt, alpha, STOP_EOS, reasons);
    }
}

/* The first N candidates that do not end in eos become the next beams, in
 * w->next[0..n) with their parent slots in w->parent_slot.  Returns n. */
static int extend_beams(BeamWork *w, int n_cand, int n_prompt) {
    int n_next = 0;
    for (int c = 0; c < n_cand && n_next < w->N; c++) {
        Candidate *k = &w->cand[c];
        if (k->fate != BEAM_PRUNED_RANK) continue;   /* an eos: finished or dropped */
        k->fate = BEAM_KEPT;
        k->child = n_next;
        Beam *nb = &w->next[n_next];
        beam_copy(nb, &w->live[k->slot], n_prompt);
        nb->ids[nb->n] = k->token;
        nb->logprobs[nb->n - n_prompt] = k->logprob;
        nb->n++;
        nb->sum = k->sum;
        w->parent_slot[n_next] = k->slot;
        n_next++;
    }
    return n_next;
}

/* Places the next beams into slots: each parent's first child keeps the
 * parent's slot, the others take slots no child kept, copying the cache. */
static void assign_slots(BeamWork *w, const BeamModel *bm, int n_next, int n_prompt) {
    int slot[64], taken[64];   /* beam_search refuses more than 64 beams */
    for (int s = 0; s < w->N; s++) taken[s] = 0;
    for (int j = 0; j < n_next; j++) {
        slot[j] = -1;
        if (!taken[w->parent_slot[j]]) { slot[j] = w->parent_slot[j]; taken[slot[j]] = 1; }
    }
    for (int j = 0; j < n_next; j++) {
        if (slot[j] >= 0) continue;
        int s = 0;
        while (taken[s]) s++;
        taken[s] = 1;
        slot[j] = s;
        bm->fork(bm->ctx, s, w->parent_slot[j]);
    }
    for (int j = 0; j < n_next; j++) w->child_slot[j] = slot[j];
    for (int s = 0; s < w->N; s++) w->live_on[s] = 0;
    for (int j = 0; j < n_next; j++) {
        beam_copy(&w->live[slot[j]], &w->next[j], n_prompt);
        w->live_on[slot[j]] = 1;
    }
}

/* trace_index[slot] = the slot's place in the trace's list of live beams
 * (live slots in slot order), -1 for an empty slot. */
static void number_live_slots(BeamWork *w) {
    int n = 0;
    for (int s = 0; s < w->N; s++) w->trace_index[s] = w->live_on[s] ? n++ : -1;
}

/* Reports the step: the candidates (parents numbered as the previous step
 * listed them, in prev_index) and the live beams now in the slots. */
static void report_step(BeamWork *w, const BeamObserver *bobs, int step, int n_cand, const int *prev_index,
                        int n_prompt, double alpha) {
    Sequence tb[64];
    BeamCandidate tc[128];   /* 2N <= 128 */
    int n_live = 0;
    long live_before = 0;
    for (int s = 0; s < w->N; s++) live_before += prev_index[s] >= 0;
    number_live_slots(w);
    for (int s = 0; s < w->N; s++) {
        if (!w->live_on[s]) continue;
        const Beam *b = &w->live[s];
        tb[n_live].ids = b->ids; tb[n_live].n = b->n; tb[n_live].sum_logprob = b->sum;
        tb[n_live].score = hypothesis_score(b->sum, b->n - n_prompt, alpha);
        tb[n_live].parent = -1;
        n_live++;
    }
    for (int c = 0; c < n_cand; c++) {
        const Candidate *k = &w->cand[c];
        BeamCandidate *t = &tc[c];
        t->parent = step > 0 ? prev_index[k->slot] : -1;
        t->token = k->token;
        t->logprob = k->logprob;
        t->sum_logprob = k->sum;
        t->score = hypothesis_score(k->sum, step + 1, alpha);   /* every live beam has `step` tokens */
        t->fate = k->fate;
        t->beam = k->fate == BEAM_KEPT ? w->trace_index[w->child_slot[k->child]] : -1;
        if (t->beam >= 0) tb[t->beam].parent = t->parent;
    }
    BeamStep bs = {.step = step, .beams = tb, .n_beams = n_live, .candidates = tc, .n_candidates = n_cand,
                   .n_extensions = live_before * w->V};
    bobs->step(bobs->ctx, &bs);
}

/* HF's is_done with early_stopping=False: the best live beam, scored at its
 * current length, cannot beat the worst finished hypothesis. */
static int search_is_done(const BeamWork *w, int n_prompt, double alpha) {
    if (w->n_done < w->N) return 0;
    double worst = w->done_score[0], best_live = -INFINITY;
    for (int i = 1; i < w->N; i++) if (w->done_score[i] < worst) worst = w->done_score[i];
    for (int s = 0; s < w->N; s++)
        if (w->live_on[s]) {
            double sc = hypothesis_score(w->live[s].sum, w->live[s].n - n_prompt, alpha);
            if (sc > best_live) best_live = sc;
        }
    return best_live <= worst;
}

/* Copies the finished hypotheses into out, best score first (ties: the one
 * finished first). */
static int results_from_done(BeamWork *w, const StopReason *reasons, int n_prompt, BeamResult *out, Error *err) {
    int taken[64] = {0};
    out->best = calloc((size_t)(w->n_done > 0 ? w->n_done : 1), sizeof *out->best);
    if (!out->best) return error_set(err, "beam search: out of memory");
    for (int r = 0; r < w->n_done; r++) {
        int pick = -1;
        for (int i = 0; i < w->n_done; i++)
            if (!taken[i] && (pick < 0 || w->done_score[i] > w->done_score[pick])) pick = i;
        if (pick < 0) break;   /* cannot happen: r < n_done hypotheses are left */
        taken[pick] = 1;
        const Beam *b = &w->done[pick];
        BeamHypothesis *h = &out->best[r];
        out->n_best = r + 1;
        h->n = b->n;
        h->n_generated = b->n - n_prompt;
        h->ids = malloc((size_t)b->n * sizeof *h->ids);
        h->logprobs = malloc((size_t)(h->n_generated > 0 ? h->n_generated : 1) * sizeof *h->logprobs);
        if (!h->ids || !h->logprobs) return error_set(err, "beam search: out of memory");
        memcpy(h->ids, b->ids, (size_t)b->n * sizeof *h->ids);
        memcpy(h->logprobs, b->logprobs, (size_t)h->n_generated * sizeof *h->logprobs);
        h->sum_logprob = b->sum;
        h->score = w->done_score[pick];
        h->stop = reasons[pick];
    }
    return 0;
}

int beam_search(const BeamModel *bm, const BeamOptions *opt, const int *prompt, int n_prompt,
                const Observer *obs, const BeamObserver *bobs, BeamResult *out, Error *err) {
    int N = opt->beams;
    out->best = NULL;
    out->n_best = 0;
    if (N < 1 || N > 64) return error_set(err, "--beams: expected an integer in [1, 64], got %d", N);
    if (n_prompt < 1) return error_set(err, "beam search: empty prompt");
    if (n_prompt > opt->max_len) return error_set(err, "beam search: the prompt (%d tokens) exceeds the window of %d", n_prompt, opt->max_len);
    BeamWork w;
    if (work_init(&w, N, bm->vocab_size, opt->max_len, opt->max_new_tokens, err) != 0) return -1;
    StopReason reasons[64];
    double alpha = opt->length_penalty;
    memcpy(w.live[0].ids, prompt, (size_t)n_prompt * sizeof *prompt);
    w.live[0].n = n_prompt;
    w.live_on[0] = 1;
    int rc = -1;
    for (int step = 0;; step++) {
        int any_live = 0;
        for (int s = 0; s < N; s++) any_live |= w.live_on[s];
        if (!any_live || search_is_done(&w, n_prompt, alpha)) break;   /* the finished ones win */
        StopReason end = step >= opt->max_new_tokens ? STOP_MAX_NEW_TOKENS
                       : n_prompt + step >= opt->max_len ? STOP_CONTEXT_FULL
                       : step > 0 && opt->interrupt && *opt->interrupt ? STOP_INTERRUPTED : STOP_NONE;
        if (end != STOP_NONE) {
            for (int s = 0; s < N; s++)
                if (w.live_on[s]) add_finished(&w, &w.live[s], n_prompt, alpha, end, reasons);
            break;
        }
        if (score_live_beams(&w, bm, opt, step, err) != 0) goto done;
        int n_cand = best_extensions(&w);
        int prev_index[64];   /* the live beams as the previous step's trace listed them */
        number_live_slots(&w);
        memcpy(prev_index, w.trace_index, (size_t)N * sizeof *prev_index);
        finish_eos_candidates(&w, bm->eos_token_id, n_cand, n_prompt, alpha, reasons);
        int n_next = extend_beams(&w, n_cand, n_prompt);
        assign_slots(&w, bm, n_next, n_prompt);
        if (bobs && bobs->step) report_step(&w, bobs, step, n_cand, prev_index, n_prompt, alpha);
    }
    if (results_from_done(&w, reasons, n_prompt, out, err) != 0) goto done;
    if (obs && obs->run_end) {
        Sequence tb[64];
        for (int r = 0; r < out->n_best; r++) {
            tb[r].ids = out->best[r].ids; tb[r].n = out->best[r].n;
            tb[r].sum_logprob = out->best[r].sum_logprob; tb[r].score = out->best[r].score;
            tb[r].parent = -1;
        }
        obs->run_end(obs->ctx, out->n_best > 0 ? stop_reason_name(out->best[0].stop) : "eos", tb, out->n_best);
    }
    rc = 0;
done:
    if (rc != 0) beam_result_free(out);
    work_free(&w);
    return rc;
}

void beam_result_free(BeamResult *r) {
    for (int i = 0; r->best && i < r->n_best; i++) { free(r->best[i].ids); free(r->best[i].logprobs); }
    free(r->best);
    r->best = NULL;
    r->n_best = 0;
}

/* ---- GPT-2 as a BeamModel ---- */

static int gpt2_next_logits(void *ctx, int slot, const int *seq, int n, float *logits, Error *err) {
    Gpt2Beams *gb = ctx;
    RunState *s = &gb->states[slot];
    /* The cache holds seq[0..n_cached); forward the rest (all of it without the cache). */
    int pos = gb->use_kv_cache ? s->n_cached : 0;
    if (pos >= n) pos = n - 1;   /* never forward zero tokens: recompute the last one */
    if (forward_pass(gb->model, s, seq + pos, n - pos, pos, NULL, err) != 0) return -1;
    logits_final(gb->model, s);
    memcpy(logits, s->logits, (size_t)gb->model->config.vocab_size * sizeof *logits);
    return 0;
}

static void gpt2_fork(void *ctx, int dst, int src) {
    Gpt2Beams *gb = ctx;
    const GPT2Config *c = &gb->model->config;
    RunState *d = &gb->states[dst];
    const RunState *s = &gb->states[src];
    /* [n_layer, H, n_ctx, hs]: copy the valid positions of every (layer, head). */
    size_t hs = (size_t)(c->n_embd / c->n_head), n_ctx = (size_t)s->opt.n_ctx;
    size_t rows = (size_t)c->n_layer * (size_t)c->n_head, valid = (size_t)s->n_cached * hs;
    for (size_t r = 0; r < rows; r++) {
        memcpy(d->key_cache + r * n_ctx * hs, s->key_cache + r * n_ctx * hs, valid * sizeof(float));
        memcpy(d->value_cache + r * n_ctx * hs, s->value_cache + r * n_ctx * hs, valid * sizeof(float));
    }
    d->n_cached = s->n_cached;
}

int gpt2_beams_init(Gpt2Beams *gb, BeamModel *bm, const GPT2 *m, int beams, int n_ctx,
                    int use_kv_cache, Error *err) {
    gb->model = m;
    gb->beams = beams;
    gb->use_kv_cache = use_kv_cache;
    gb->states = calloc((size_t)beams, sizeof *gb->states);
    if (!gb->states) return error_set(err, "beam search: out of memory");
    RunOptions ro = {.max_tokens = n_ctx, .n_ctx = n_ctx, .keep_layers = 0, .all_logits = 0};
    for (int b = 0; b < beams; b++) {
        if (run_state_init(&gb->states[b], m, &ro, err) != 0) {
            for (int i = 0; i < b; i++) run_state_free(&gb->states[i]);
            free(gb->states);
            gb->states = NULL;
            return -1;
        }
    }
    bm->vocab_size = m->config.vocab_size;
    bm->eos_token_id = m->config.eos_token_id;
    bm->next_logits = gpt2_next_logits;
    bm->fork = gpt2_fork;
    bm->ctx = gb;
    return 0;
}

void gpt2_beams_free(Gpt2Beams *gb) {
    for (int b = 0; gb->states && b < gb->beams; b++) run_state_free(&gb->states[b]);
    free(gb->states);
    gb->states = NULL;
}
