/* sampler.c - see sampler.h. */
#include "core/sampler.h"

#include "core/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---- */

static const char *const strategy_names[] = {"greedy", "sample", "top-k", "top-p", "min-p", "beam", "jacobi"};

const char *strategy_name(Strategy s) {
    if ((int)s < 0 || (size_t)s >= sizeof strategy_names / sizeof strategy_names[0]) return NULL;
    return strategy_names[s];
}

int strategy_parse(const char *name, Strategy *out) {
    for (size_t i = 0; i < sizeof strategy_names / sizeof strategy_names[0]; i++)
        if (strcmp(name, strategy_names[i]) == 0) { *out = (Strategy)i; return 0; }
    return -1;
}

const char *cut_rule_name(CutRule r) {
    switch (r) {
    case CUT_TOP_K: return "top-k";
    case CUT_TOP_P: return "top-p";
    case CUT_MIN_P: return "min-p";
    case CUT_MIN_NEW_TOKENS: return "min-new-tokens";
    default: return NULL;
    }
}

int sampler_check_temperature(double T, Error *err) {
    if (T == 0 || (T >= SAMPLER_TEMPERATURE_MIN && T <= SAMPLER_TEMPERATURE_MAX)) return 0;
    return error_set(err, "--temperature: expected 0 (greedy) or a number in [%g, %g], got %g",
                     SAMPLER_TEMPERATURE_MIN, SAMPLER_TEMPERATURE_MAX, T);
}

void sampler_defaults(SamplerSettings *s, Strategy strategy) {
    s->strategy = strategy;
    s->temperature = 1.0f;
    s->top_k = strategy == STRATEGY_TOP_K ? 40 : 0;
    s->top_p = strategy == STRATEGY_TOP_P ? 0.9f : 1.0f;
    s->min_p = strategy == STRATEGY_MIN_P ? 0.05f : 0.0f;
    s->repetition_penalty = 1.0f;
    s->beams = 4;
    s->length_penalty = 1.0f;
    s->min_new_tokens = 0;
}

/* ---- building and freeing ---- */

int selection_init(Selection *sel, int V, Error *err) {
    memset(sel, 0, sizeof *sel);
    sel->V = V;
    sel->suppressed = -1;
    size_t n = (size_t)V;
    sel->penalized = malloc(n * sizeof *sel->penalized);
    sel->scaled = malloc(n * sizeof *sel->scaled);
    sel->probs = malloc(n * sizeof *sel->probs);
    sel->order = malloc(n * sizeof *sel->order);
    sel->seen = malloc(n);
    sel->sort_keys = malloc(2 * n * sizeof *sel->sort_keys);
    if (!sel->penalized || !sel->scaled || !sel->probs || !sel->order || !sel->seen || !sel->sort_keys) {
        selection_free(sel);
        return error_set(err, "sampler: out of memory for a vocabulary of %d", V);
    }
    return 0;
}

void selection_free(Selection *sel) {
    free(sel->penalized);
    free(sel->scaled);
    free(sel->probs);
    free(sel->order);
    free(sel->seen);
    free(sel->sort_keys);
    memset(sel, 0, sizeof *sel);
}

/* ---- the stages ---- */

void mark_context_tokens(unsigned char *seen, const int *ids, int n, int V) {
    memset(seen, 0, (size_t)V);
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < V) seen[ids[i]] = 1;
}

void apply_repetition_penalty(float *out, const float *logits, const unsigned char *seen, float R, int V) {
    for (int v = 0; v < V; v++) {
        float x = logits[v];
        /* Dividing a negative logit would raise it: CTRL multiplies instead. */
        out[v] = !seen[v] ? x : x > 0 ? x / R : x * R;
    }
}

void suppress_token(float *x, int token, int V) {
    if (token >= 0 && token < V) x[token] = -INFINITY;
}

void apply_temperature(float *out, const float *logits, float T, int V) {
    for (int v = 0; v < V; v++) out[v] = logits[v] / T;
}

/* A float's bits as an unsigned key whose ascending order is the floats'
 * descending order (-0 counts as +0, so they tie like equal values). */
static uint32_t descending_key(float x) {
    if (x == 0.0f) x = 0.0f;
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);  /* ascending order of the floats */
    return ~u;
}

/* Least-significant-digit radix sort of (key << 32 | id), the 32-bit key in
 * three digits of 11, 11 and 10 bits, one pass each.  Each pass is stable and
 * the items start in id order, so equal keys stay in id order: ties go to the
 * lower id, as a comparison sort on (value, id) would put them.  The three
 * digits' counts are taken in one read, and a pass whose digit is the same for
 * every token (it would move nothing) is skipped. */
#define SORT_DIGITS 3
static const int digit_shift[SORT_DIGITS] = {0, 11, 22}, digit_bits[SORT_DIGITS] = {11, 11, 10};

void sort_by_logit(int *order, uint64_t *scratch, const float *x, int V) {
    if (V <= 0) return;
    uint64_t *a = scratch, *b = scratch + V;
    uint32_t count[SORT_DIGITS][(1 << 11) + 1];   /* V < 2^31: a count fits */
    memset(count, 0, sizeof count);
    for (int v = 0; v < V; v++) {
        uint32_t key = descending_key(x[v]);
        a[v] = (uint64_t)key << 32 | (uint32_t)v;
        for (int k = 0; k < SORT_DIGITS; k++) count[k][((key >> digit_shift[k]) & ((1u << digit_bits[k]) - 1)) + 1]++;
    }
    for (int k = 0; k < SORT_DIGITS; k++) {
        uint32_t *c = count[k], mask = (1u << digit_bits[k]) - 1;
        int shift = 32 + digit_shift[k];
        if (c[((a[0] >> shift) & mask) + 1] == (uint32_t)V) continue;   /* one digit value for all */
        for (int d = 0; d < (1 << digit_bits[k]); d++) c[d + 1] += c[d];
        for (int v = 0; v < V; v++) b[c[(a[v] >> shift) & mask]++] = a[v];
        uint64_t *t = a;
        a = b;
        b = t;
    }
    for (int v = 0; v < V; v++) order[v] = (int)(a[v] & 0xffffffffu);
}

int argmax_token(const float *x, int V) {
    int best = 0;
    for (int v = 1; v < V; v++) if (x[v] > x[best]) best = v;   /* strict: the lower id wins a tie */
    return best;
}

int top_k_keep(int k, int n) { return k <= 0 || k >= n ? n : k; }

int top_p_keep(const float *probs, const int *order, int n, double p) {
    if (p >= 1.0) return n;
    double mass = 0;
    for (int r = 0; r < n; r++) mass += probs[order[r]];
    /* Keep order[r] while the mass before it is still short of p (HF: remove
     * the tail whose cumulative mass from below is <= 1 - p). */
    double before = 0;
    int r = 0;
    while (r < n && before < p * mass) before += probs[order[r++]];
    return r > 0 ? r : 1;
}

int min_p_keep(const float *probs, const int *order, int n, double min_p) {
    if (min_p <= 0) return n;
    double threshold = min_p * probs[order[0]];
    int r = 1;
    while (r < n && probs[order[r]] >= threshold) r++;
    return r;
}

int pick_from_prefix(const float *probs, const int *order, int n_kept, double kept_mass, float u) {
    double target = (double)u * kept_mass, cum = 0;
    for (int r = 0; r < n_kept; r++) {
        cum += probs[order[r]];
        if (target < cum) return r;
    }
    return n_kept - 1;
}

void selection_slice(const Selection *sel, int i, double *lo, double *hi) {
    double cum = 0;
    for (int r = 0; r < i; r++) cum += sel->probs[sel->order[r]];
    *lo = cum / sel->kept_mass;
    *hi = i == sel->n_kept - 1 ? 1.0 : (cum + sel->probs[sel->order[i]]) / sel->kept_mass;
}

/* ---- the whole selection ---- */

static double kept_mass_of(const Selection *sel, int n) {
    double mass = 0;
    for (int r = 0; r < n; r++) mass += sel->probs[sel->order[r]];
    return mass;
}

int pick_with_rules(const Selection *sel, int top_k, double top_p, double min_p, float u, int *n_kept) {
    int n = top_k_keep(top_k, sel->V);
    n = top_p_keep(sel->probs, sel->order, n, top_p);
    n = min_p_keep(sel->probs, sel->order, n, min_p);
    if (n_kept) *n_kept = n;
    return sel->order[pick_from_prefix(sel->probs, sel->order, n, kept_mass_of(sel, n), u)];
}

int sampler_select(Selection *sel, const SamplerSettings *cfg, const float *logits,
                   const int *ids, int n_ids, float u, int need_table) {
    int V = sel->V;
    int greedy = cfg->strategy == STRATEGY_GREEDY || cfg->strategy == STRATEGY_BEAM ||
                 cfg->strategy == STRATEGY_JACOBI || cfg->temperature <= 0;
    /* 1. repetition penalty on the tokens already in the context   logits -> penalized [V] */
    mark_context_tokens(sel->seen, ids, n_ids, V);
    if (cfg->repetition_penalty != 1.0f)
        apply_repetition_penalty(sel->penalized, logits, sel->seen, cfg->repetition_penalty, V);
    else
        memcpy(sel->penalized, logits, (size_t)V * sizeof *logits);
    /* 1b. min-new-tokens: the forbidden token (end-of-text) can never be picked */
    suppress_token(sel->penalized, sel->suppressed, V);
    /* 2. temperature                                                penalized -> scaled [V] */
    sel->temperature = greedy ? 1.0 : cfg->temperature;
    apply_temperature(sel->scaled, sel->penalized, (float)sel->temperature, V);
    sel->draw = u;
    sel->sorted = 0;
    sel->chosen_rank = 0;   /* no rank until the sort */
    /* greedy needs no probabilities: the argmax is the answer */
    if (greedy && !need_table) {
        sel->chosen = argmax_token(sel->penalized, V);
        sel->n_top_k = sel->n_top_p = sel->n_kept = 1;
        return sel->chosen;
    }
    /* 3. softmax, then every token in rank order                  scaled -> probs [V], order [V] */
    float max;
    sel->log_sum = softmax_shifted(sel->probs, sel->scaled, V, &sel->entropy_nats, &max);   /* kernels.h */
    sel->log_z = max + sel->log_sum;
    sort_by_logit(sel->order, sel->sort_keys, sel->scaled, V);
    sel->sorted = 1;
    if (greedy) {
        sel->n_top_k = sel->n_top_p = sel->n_kept = 1;
    } else {
        /* 4. truncation: each rule keeps a prefix of the ranks */
        sel->n_top_k = top_k_keep(cfg->top_k, V);
        sel->n_top_p = top_p_keep(sel->probs, sel->order, sel->n_top_k, cfg->top_p);
        sel->n_kept = min_p_keep(sel->probs, sel->order, sel->n_top_p, cfg->min_p);
    }
    /* 5. the draw u lands in one kept token's slice of [0, 1) */
    sel->kept_mass = kept_mass_of(sel, sel->n_kept);
    int i = greedy ? 0 : pick_from_prefix(sel->probs, sel->order, sel->n_kept, sel->kept_mass, u);
    sel->chosen = sel->order[i];
    sel->chosen_rank = i + 1;   /* rank 1 = order[0], the most likely */
    return sel->chosen;
}
