/*
 * trace.c - the JSON trace sink; see trace.h and
 * traces/schema.json for the document this writes.
 *
 * The JSON sink streams: each callback writes its part of the document as
 * the loop reaches that stage, so a trace of a long run never sits in
 * memory.  JSON has no infinity or NaN: jw_float writes them as null, and an
 * attention weight masked by the causal mask (a key after the query) is
 * written as null too.
 */
#define _POSIX_C_SOURCE 200809L
#include "trace/trace.h"

#include "core/kernels.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

const char *trace_level_name(TraceLevel l) {
    return l == TRACE_FULL ? "full" : l == TRACE_SUMMARY ? "summary" : "none";
}

const char *beam_fate_name(BeamCandidateFate f) {
    switch (f) {
    case BEAM_KEPT: return "kept";
    case BEAM_FINISHED: return "finished";
    case BEAM_PRUNED_EOS: return "pruned_eos";
    default: return "pruned";
    }
}

/* ---- small writers ---- */

static void write_token_text(JsonTrace *jt, int id) {
    size_t len = 0;
    const char *b = jt->text.bytes ? jt->text.bytes(jt->text.ctx, id, &len) : NULL;
    if (b) jw_string_n(&jt->w, b, len);
    else jw_null(&jt->w);
}

static void write_ids(JsonWriter *w, const int *ids, int n) {
    jw_array_begin(w);
    for (int i = 0; i < n; i++) jw_int(w, ids[i]);
    jw_array_end(w);
}

static void write_tokens(JsonTrace *jt, const int *ids, int n) {
    jw_array_begin(&jt->w);
    for (int i = 0; i < n; i++) write_token_text(jt, ids[i]);
    jw_array_end(&jt->w);
}

static void write_floats(JsonWriter *w, const float *x, size_t n) { jw_float_array(w, x, n); }

/* {"shape": [rows, cols], "data": [...]} row-major. */
static void write_tensor(JsonWriter *w, const char *name, const float *x, int rows, int cols) {
    jw_key(w, name);
    jw_object_begin(w);
    jw_key(w, "shape");
    jw_array_begin(w); jw_int(w, rows); jw_int(w, cols); jw_array_end(w);
    jw_key(w, "data");
    write_floats(w, x, (size_t)rows * (size_t)cols);
    jw_object_end(w);
}

static double row_norm(const float *x, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)x[i] * x[i];
    return sqrt(s);
}

/* The n largest logits' ids, largest first, ties toward the lower id (as
 * sort_by_logit orders them): one pass over V that keeps the best n so far in
 * order, so a token is looked at further only when it beats the n-th.
 * Returns n, clamped to V. */
static int top_by_logit(int *top, int n, const float *logits, int V) {
    if (n > V) n = V;
    if (n <= 0) return 0;
    int have = 0;
    for (int v = 0; v < V; v++) {
        if (have == n && !(logits[v] > logits[top[n - 1]])) continue;
        /* v goes after every kept id whose logit is >= its own (those ids are lower) */
        int i = have < n ? have++ : n - 1;
        while (i > 0 && logits[v] > logits[top[i - 1]]) { top[i] = top[i - 1]; i--; }
        top[i] = v;
    }
    return n;
}

/* ---- JSON sink callbacks ---- */

void trace_write_config(JsonWriter *w, const GPT2Config *c) {
    jw_object_begin(w);
    jw_key(w, "n_embd"); jw_int(w, c->n_embd);
    jw_key(w, "n_head"); jw_int(w, c->n_head);
    jw_key(w, "n_layer"); jw_int(w, c->n_layer);
    jw_key(w, "n_positions"); jw_int(w, c->n_positions);
    jw_key(w, "vocab_size"); jw_int(w, c->vocab_size);
    jw_key(w, "layer_norm_epsilon"); jw_float(w, c->layer_norm_epsilon);
    jw_key(w, "bos_token_id"); jw_int(w, c->bos_token_id);
    jw_key(w, "eos_token_id"); jw_int(w, c->eos_token_id);
    jw_object_end(w);
}

static void jt_write_settings(JsonWriter *w, const RunInfo *info) {
    const SamplerSettings *s = info->settings;
    jw_object_begin(w);
    jw_key(w, "strategy"); jw_string(w, strategy_name(s->strategy));
    jw_key(w, "temperature"); jw_float(w, s->temperature);
    jw_key(w, "top_k"); jw_int(w, s->top_k);
    if (s->top_k > info->config->vocab_size) {   /* a K past V keeps every token (HF clamps it too) */
        jw_key(w, "top_k_clamped_to"); jw_int(w, info->config->vocab_size);
    }
    jw_key(w, "top_p"); jw_float(w, s->top_p);
    jw_key(w, "min_p"); jw_float(w, s->min_p);
    jw_key(w, "repetition_penalty"); jw_float(w, s->repetition_penalty);
    jw_key(w, "beams"); jw_int(w, s->beams);
    jw_key(w, "length_penalty"); jw_float(w, s->length_penalty);
    jw_key(w, "max_new_tokens"); jw_int(w, info->max_new_tokens);
    jw_key(w, "kv_cache"); jw_bool(w, info->use_kv_cache);
    jw_object_end(w);
}

static void jt_run_begin(void *ctx, const RunInfo *info) {
    JsonTrace *jt = ctx;
    JsonWriter *w = &jt->w;
    jt->n_layer = info->config->n_layer;
    jw_object_begin(w);
    jw_key(w, "format"); jw_string(w, "argen-trace");
    jw_key(w, "version"); jw_int(w, TRACE_FORMAT_VERSION);
    jw_key(w, "kind"); jw_string(w, "generate");
    jw_key(w, "level"); jw_string(w, trace_level_name(jt->level));
    jw_key(w, "top_n"); jw_int(w, jt->top_n);
    jw_key(w, "model");
    jw_object_begin(w);
    jw_key(w, "dir"); jw_string(w, info->model_dir);
    jw_key(w, "config"); trace_write_config(w, info->config);
    jw_object_end(w);
    jw_key(w, "settings"); jt_write_settings(w, info);
    jw_key(w, "seed"); jw_int(w, (long long)info->seed);
    jw_key(w, "rng");
    jw_object_begin(w);
    jw_key(w, "algorithm"); jw_string(w, "PCG32 XSH RR 64/32 (src/rng.h)");
    jw_key(w, "seed"); jw_int(w, (long long)info->seed);
    jw_key(w, "stream"); jw_int(w, (long long)info->stream);
    jw_key(w, "uniform"); jw_string(w, "(u32 >> 8) * 2^-24, one draw per step");
    jw_object_end(w);
    jw_key(w, "prompt");
    jw_object_begin(w);
    jw_key(w, "ids"); write_ids(w, info->prompt, info->n_prompt);
    jw_key(w, "tokens"); write_tokens(jt, info->prompt, info->n_prompt);
    jw_object_end(w);
    jw_key(w, "steps");
    jw_array_begin(w);
    jt->steps_open = 1;
}

static void jt_step_begin(void *ctx, int step, const int *ids, int n) {
    JsonTrace *jt = ctx;
    JsonWriter *w = &jt->w;
    jw_object_begin(w);
    jt->in_step = 1;
    jw_key(w, "step"); jw_int(w, step);
    jw_key(w, "position"); jw_int(w, n);
    jw_key(w, "context");
    jw_object_begin(w);
    jw_key(w, "ids"); write_ids(w, ids, n);
    jw_key(w, "tokens"); write_tokens(jt, ids, n);
    jw_object_end(w);
}

static void jt_forward_begin(void *ctx, const GPT2 *m, const RunState *s, const int *tokens, int T, int pos) {
    JsonTrace *jt = ctx;
    JsonWriter *w = &jt->w;
    (void)m; (void)s;
    jt->fwd_T = T;
    jt->fwd_pos = pos;
    jw_key(w, "forward");
    jw_object_begin(w);
    jw_key(w, "start_position"); jw_int(w, pos);
    jw_key(w, "tokens_processed"); jw_int(w, T);
    jw_key(w, "input_ids"); write_ids(w, tokens, T);
    jw_key(w, "attention_layout"); jw_string(w, "[layer][head][query][key]");
    /* Summary: the last query only.  Full: every query of this call. */
    int q0 = jt->level == TRACE_FULL ? 0 : T - 1;
    jw_key(w, "query_positions");
    jw_array_begin(w);
    for (int t = q0; t < T; t++) jw_int(w, pos + t);
    jw_array_end(w);
    jw_key(w, "key_count"); jw_int(w, pos + T);
    jw_key(w, "layers");
    jw_array_begin(w);
}

/* [head][query][key] for the queries of query_positions; keys after a query are masked: null. */
static void jt_write_attention(JsonWriter *w, const LayerActs *a, int H, int T, int pos, int n_ctx, int q0) {
    jw_array_begin(w);
    for (int h = 0; h < H; h++) {
        jw_array_begin(w);
        for (int t = q0; t < T; t++) {
            const float *row = a->att_probs + ((size_t)h * (size_t)T + (size_t)t) * (size_t)n_ctx;
            if (t == T - 1) {   /* the last query sees every key */
                jw_float_array(w, row, (size_t)pos + (size_t)T);
                continue;
            }
            jw_array_begin(w);
            for (int k = 0; k < pos + T; k++) {
                if (k <= pos + t) jw_float(w, row[k]);
                else jw_null(w);
            }
            jw_array_end(w);
        }
        jw_array_end(w);
    }
    jw_array_end(w);
}

static void jt_write_layer_tensors(JsonWriter *w, const LayerActs *a, int T, int C) {
    jw_key(w, "tensors");
    jw_object_begin(w);
    write_tensor(w, "ln1_out", a->ln1_out, T, C);
    write_tensor(w, "qkv", a->qkv, T, 3 * C);
    write_tensor(w, "att_out", a->att_out, T, C);
    write_tensor(w, "attn_proj", a->attn_proj, T, C);
    write_tensor(w, "res1", a->res1, T, C);
    write_tensor(w, "ln2_out", a->ln2_out, T, C);
    write_tensor(w, "fc", a->fc, T, 4 * C);
    write_tensor(w, "fc_gelu", a->fc_gelu, T, 4 * C);
    write_tensor(w, "mlp_proj", a->mlp_proj, T, C);
    write_tensor(w, "res2", a->res2, T, C);
    jw_object_end(w);
}

static void jt_layer(void *ctx, const GPT2 *m, const RunState *s, int layer) {
    JsonTrace *jt = ctx;
    JsonWriter *w = &jt->w;
    const LayerActs *a = run_layer(s, layer);
    int C = m->config.n_embd, T = jt->fwd_T, pos = jt->fwd_pos;
    size_t last = (size_t)(T - 1) * (size_t)C;
    jw_object_begin(w);
    jw_key(w, "layer"); jw_int(w, layer);
    jw_key(w, "residual_norm_after_attention"); jw_float(w, row_norm(a->res1 + last, C));
    jw_key(w, "residual_norm"); jw_float(w, row_norm(a->res2 + last, C));
    jw_key(w, "attention");
    jt_write_attention(w, a, m->config.n_head, T, pos, s->opt.n_ctx, jt->level == TRACE_FULL ? 0 : T - 1);
    if (jt->level == TRACE_FULL) jt_write_layer_tensors(w, a, T, C);
    jw_object_end(w);
}

static void jt_forward_end(void *ctx, const GPT2 *m, const RunState *s) {
    JsonTrace *jt = ctx;
    JsonWriter *w = &jt->w;
    int C = m->config.n_embd, T = s->last_T;
    jw_array_end(w);   /* layers */
    /* The cache after the call: what the next step will not recompute. */
    jw_key(w, "kv_cache_positions"); jw_int(w, s->n_cached);
    jw_key(w, "kv_cache_bytes"); jw_int(w, (long long)kv_cache_bytes(&m->config, s->n_cached));
    jw_key(w, "kv_cache_capacity_positions"); jw_int(w, s->opt.n_ctx);
    jw_key(w, "kv_cache_capacity_bytes"); jw_int(w, (long long)kv_cache_bytes(&m->config, s->opt.n_ctx));
    jw_key(w, "embed_norm"); jw_float(w, row_norm(s->embed + (size_t)(T - 1) * (size_t)C, C));
    jw_key(w, "final_hidden_norm"); jw_float(w, row_norm(s->lnf_out + (size_t)(T - 1) * (size_t)C, C));
    if (jt->level == TRACE_FULL) {
        jw_key(w, "tensors");
        jw_object_begin(w);
        write_tensor(w, "embed", s->embed, T, C);
        write_tensor(w, "lnf_out", s->lnf_out, T, C);
        jw_object_end(w);
    }
    jw_object_end(w);  /* forward */
}

static void jt_logits(void *ctx, const float *logits, int V) {
    JsonTrace *jt = ctx;
    JsonWriter *w = &jt->w;
    jw_key(w, "logits");
    jw_object_begin(w);
    int top[64];
    int n = top_by_logit(top, jt->top_n < 64 ? jt->top_n : 64, logits, V);
    jw_key(w, "top");
    jw_array_begin(w);
    for (int i = 0; i < n; i++) {
        jw_object_begin(w);
        jw_key(w, "rank"); jw_int(w, i + 1);   /* rank 1 = the largest logit */
        jw_key(w, "id"); jw_int(w, top[i]);
        jw_key(w, "token"); write_token_text(jt, top[i]);
        jw_key(w, "logit"); jw_float(w, logits[top[i]]);
        jw_object_end(w);
    }
    jw_array_end(w);
    if (jt->level == TRACE_FULL) { jw_key(w, "all"); write_floats(w, logits, (size_t)V); }
    jw_object_end(w);
}

/* Greedy (and beam search, Jacobi, any T <= 0) takes the argmax, as
 * sampler_select decides: no truncation rule runs and the draw is not used,
 * so the trace records neither: every row below rank 1 is cut_by "argmax",
 * n_top_k and n_top_p are the whole vocabulary, and draw is null. */
static int takes_argmax(const SamplerSettings *cfg) {
    return cfg->strategy == STRATEGY_GREEDY || cfg->strategy == STRATEGY_BEAM || cfg->strategy == STRATEGY_JACOBI ||
           cfg->temperature <= 0;
}

/* One row of the selection table: every stage for the token order[r], whose
 * rank is r + 1 (rank 1 = the most likely).
 * log_z_t1: log normalizer of the penalized logits (before temperature). */
static void jt_selection_row(JsonTrace *jt, const Selection *sel, const float *raw, int r, double cum_before,
                             double log_z_t1, int argmax) {
    JsonWriter *w = &jt->w;
    int id = sel->order[r];
    CutRule cut = id == sel->suppressed ? CUT_MIN_NEW_TOKENS : argmax ? CUT_NONE : r >= sel->n_top_k ? CUT_TOP_K
                : r >= sel->n_top_p ? CUT_TOP_P : r >= sel->n_kept ? CUT_MIN_P : CUT_NONE;
    int not_argmax = argmax && r > 0 && cut == CUT_NONE;   /* greedy: below the argmax, no rule cut it */
    double p = sel->probs[id];
    jw_object_begin(w);
    jw_key(w, "rank"); jw_int(w, r + 1);
    jw_key(w, "id"); jw_int(w, id);
    jw_key(w, "token"); write_token_text(jt, id);
    jw_key(w, "logit"); jw_float(w, raw[id]);
    jw_key(w, "penalized"); jw_float(w, sel->penalized[id]);
    jw_key(w, "scaled"); jw_float(w, sel->scaled[id]);
    jw_key(w, "probability"); jw_float(w, p);
    jw_key(w, "probability_before_temperature"); jw_float(w, (float)exp((double)sel->penalized[id] - log_z_t1));
    jw_key(w, "cumulative"); jw_float(w, cum_before + p);
    jw_key(w, "kept_top_k"); jw_bool(w, argmax ? cut == CUT_NONE : r < sel->n_top_k);
    jw_key(w, "kept_top_p"); jw_bool(w, argmax ? cut == CUT_NONE : r < sel->n_top_p);
    jw_key(w, "kept_min_p"); jw_bool(w, argmax ? cut == CUT_NONE : r < sel->n_kept);
    jw_key(w, "cut_by");
    if (not_argmax) jw_string(w, "argmax");
    else if (cut == CUT_NONE) jw_null(w);
    else jw_string(w, cut_rule_name(cut));
    int kept = cut == CUT_NONE && !not_argmax;
    jw_key(w, "renormalized"); jw_float(w, kept ? p / sel->kept_mass : 0.0);
    jw_key(w, "slice");
    if (kept) {
        double lo, hi;
        selection_slice(sel, r, &lo, &hi);
        jw_array_begin(w); jw_float(w, lo); jw_float(w, hi); jw_array_end(w);
    } else {
        jw_null(w);
    }
    jw_object_end(w);
}

static void jt_alternative(JsonTrace *jt, const char *name, int id) {
    jw_key(&jt->w, name);
    jw_object_begin(&jt->w);
    jw_key(&jt->w, "id"); jw_int(&jt->w, id);
    jw_key(&jt->w, "token"); write_token_text(jt, id);
    jw_object_end(&jt->w);
}

static void jt_selection_summary(JsonTrace *jt, const Selection *sel, const SamplerSettings *cfg,
                                 const Alternatives *alt) {
    JsonWriter *w = &jt->w;
    jw_key(w, "strategy"); jw_string(w, strategy_name(cfg->strategy));
    jw_key(w, "temperature"); jw_float(w, sel->temperature);
    jw_key(w, "repetition_penalty"); jw_float(w, cfg->repetition_penalty);
    jw_key(w, "top_k"); jw_int(w, cfg->top_k);
    jw_key(w, "top_p"); jw_float(w, cfg->top_p);
    jw_key(w, "min_p"); jw_float(w, cfg->min_p);
    jw_key(w, "min_new_tokens"); jw_int(w, cfg->min_new_tokens);
    jw_key(w, "suppressed");
    if (sel->suppressed < 0) jw_null(w); else jw_int(w, sel->suppressed);
    int argmax = takes_argmax(cfg);
    jw_key(w, "draw");
    if (argmax) jw_null(w); else jw_float(w, sel->draw);
    jw_key(w, "n_top_k"); jw_int(w, argmax ? sel->V : sel->n_top_k);
    jw_key(w, "n_top_p"); jw_int(w, argmax ? sel->V : sel->n_top_p);
    jw_key(w, "n_kept"); jw_int(w, sel->n_kept);
    jw_key(w, "kept_mass"); jw_float(w, sel->kept_mass);
    jw_key(w, "nucleus_size"); jw_int(w, alt->nucleus_0_9);   /* top_p_keep(probs, order, V, 0.9), counted once */
    jw_key(w, "entropy_nats"); jw_float(w, sel->entropy_nats);   /* as the code computes it */
    jw_key(w, "entropy_bits"); jw_float(w, sel->entropy_nats / log(2.0));   /* as people are shown it */
    jw_key(w, "effective_candidates"); jw_float(w, exp(sel->entropy_nats));
    jw_key(w, "chosen");
    jw_object_begin(w);
    jw_key(w, "id"); jw_int(w, sel->chosen);
    jw_key(w, "token"); write_token_text(jt, sel->chosen);
    jw_key(w, "rank"); jw_int(w, sel->chosen_rank);
    jw_key(w, "probability"); jw_float(w, sel->probs[sel->chosen]);
    jw_key(w, "renormalized"); jw_float(w, sel->probs[sel->chosen] / sel->kept_mass);
    jw_object_end(w);
}

/* selection.logits_top: enough of the distribution for a viewer to redo the
 * selection with other settings.  The first K = min(V, TRACE_LOGITS_TOP)
 * tokens in the sampler's order (by scaled logit, ties to the lower id), their
 * text and raw logits; the log-mass of the other V - K penalized logits at T = 1;
 * and log_z, the sampler's own normalizer log sum exp(scaled - max) over the
 * whole vocabulary (Selection.log_sum, as its softmax summed it), so the run's
 * own probabilities come out bit for bit. */
#define TRACE_LOGITS_TOP 256
static void jt_logits_top(JsonTrace *jt, const Selection *sel, const float *raw) {
    JsonWriter *w = &jt->w;
    int K = sel->V < TRACE_LOGITS_TOP ? sel->V : TRACE_LOGITS_TOP;
    /* At T = 1 order ranks the penalized logits themselves, so the largest of
     * the rest is its first.  (Any other T can round two penalized logits to
     * one scaled value, ranked then by id: the rest is searched.) */
    double rest_max = -INFINITY, rest = 0;
    if (sel->temperature == 1.0 && K < sel->V) rest_max = sel->penalized[sel->order[K]];
    else
        for (int r = K; r < sel->V; r++)
            if (sel->penalized[sel->order[r]] > rest_max) rest_max = sel->penalized[sel->order[r]];
    for (int r = K; r < sel->V; r++) rest += exp((double)sel->penalized[sel->order[r]] - rest_max);
    jw_key(w, "logits_top");
    jw_object_begin(w);
    jw_key(w, "ids");
    jw_array_begin(w);
    for (int r = 0; r < K; r++) jw_int(w, sel->order[r]);
    jw_array_end(w);
    jw_key(w, "tokens");
    jw_array_begin(w);
    for (int r = 0; r < K; r++) write_token_text(jt, sel->order[r]);
    jw_array_end(w);
    jw_key(w, "logits");
    jw_array_begin(w);
    for (int r = 0; r < K; r++) jw_float(w, raw[sel->order[r]]);
    jw_array_end(w);
    jw_key(w, "rest_count"); jw_int(w, sel->V - K);
    jw_key(w, "rest_logsumexp");
    if (K < sel->V) jw_double(w, rest_max + log(rest)); else jw_null(w);
    jw_key(w, "log_z"); jw_double(w, sel->log_sum);
    jw_object_end(w);
}

static void jt_selection(void *ctx, const Selection *sel, const SamplerSettings *cfg, const Alternatives *alt,
                         const float *raw) {
    JsonTrace *jt = ctx;
    JsonWriter *w = &jt->w;
    jw_key(w, "selection");
    jw_object_begin(w);
    jt_selection_summary(jt, sel, cfg, alt);
    jw_key(w, "alternatives");
    jw_object_begin(w);
    jt_alternative(jt, "greedy", alt->greedy);
    jt_alternative(jt, "top-k=40", alt->top_k_40);
    jt_alternative(jt, "top-p=0.9", alt->top_p_0_9);
    jt_alternative(jt, "min-p=0.05", alt->min_p_0_05);
    jw_object_end(w);
    /* Before temperature: softmax of the penalized logits (T = 1).  At T = 1
     * the scaled logits are the penalized ones bit for bit (x / 1 == x), so the
     * sampler's own softmax already gave the same log Z and entropy. */
    double H_t1 = sel->entropy_nats, log_z_t1 = sel->log_z;
    if (!(sel->sorted && sel->temperature == 1.0))
        log_z_t1 = softmax(NULL, sel->penalized, sel->V, &H_t1);   /* T = 1, no [V] buffer (kernels.h) */
    jw_key(w, "entropy_bits_before_temperature");
    jw_float(w, H_t1 / log(2.0));
    /* Ranks 1..N, plus the chosen token's row when it ranks lower (r indexes order[]: rank r + 1). */
    int n = jt->top_n < sel->V ? jt->top_n : sel->V;
    double cum = 0;
    jw_key(w, "table");
    jw_array_begin(w);
    for (int r = 0; r < sel->V; r++) {
        /* and the suppressed token's row (min-new-tokens), last in rank order */
        int suppressed = sel->order[r] == sel->suppressed;
        if (r < n || r + 1 == sel->chosen_rank || suppressed)
            jt_selection_row(jt, sel, raw, r, cum, log_z_t1, takes_argmax(cfg));
        if (r >= n && r + 1 >= sel->chosen_rank && sel->suppressed < 0) break;
        cum += sel->probs[sel->order[r]];
    }
    jw_array_end(w);
    if (sel->sorted) jt_logits_top(jt, sel, raw);
    jw_object_end(w);
}

static void jt_append(void *ctx, int token, const int *ids, int n) {
    JsonTrace *jt = ctx;
    JsonWriter *w = &jt->w;
    if (!jt->in_step) return;   /* Jacobi's accepted tokens: its blocks record them */
    jw_key(w, "appended");
    jw_object_begin(w);
    jw_key(w, "id"); jw_int(w, token);
    jw_key(w, "token"); write_token_text(jt, token);
    jw_key(w, "ids"); write_ids(w, ids, n);
    jw_object_end(w);
    jw_object_end(w);  /* the step */
    jt->in_step = 0;
}

/* null at step 0 (the parent is the prompt), else the index. */
static void write_parent(JsonWriter *w, int parent) {
    jw_key(w, "parent");
    if (parent < 0) jw_null(w); else jw_int(w, parent);
}

static void jt_beam_candidate(JsonTrace *jt, const BeamCandidate *c, int rank) {
    JsonWriter *w = &jt->w;
    jw_object_begin(w);
    jw_key(w, "rank"); jw_int(w, rank);
    write_parent(w, c->parent);
    jw_key(w, "id"); jw_int(w, c->token);
    jw_key(w, "token"); write_token_text(jt, c->token);
    jw_key(w, "logprob"); jw_float(w, c->logprob);
    jw_key(w, "sum_logprob"); jw_float(w, c->sum_logprob);
    jw_key(w, "score"); jw_float(w, c->score);
    jw_key(w, "fate"); jw_string(w, beam_fate_name(c->fate));
    jw_key(w, "beam"); if (c->beam < 0) jw_null(w); else jw_int(w, c->beam);
    jw_object_end(w);
}

static void jt_beam_step(void *ctx, const BeamStep *bs) {
    JsonTrace *jt = ctx;
    JsonWriter *w = &jt->w;
    jw_object_begin(w);
    jw_key(w, "step"); jw_int(w, bs->step);
    jw_key(w, "beams");
    jw_array_begin(w);
    for (int b = 0; b < bs->n_beams; b++) {
        const Sequence *tb = &bs->beams[b];
        jw_object_begin(w);
        jw_key(w, "ids"); write_ids(w, tb->ids, tb->n);
        jw_key(w, "tokens"); write_tokens(jt, tb->ids, tb->n);
        jw_key(w, "sum_logprob"); jw_float(w, tb->sum_logprob);
        jw_key(w, "score"); jw_float(w, tb->score);
        write_parent(w, tb->parent);
        jw_object_end(w);
    }
    jw_array_end(w);
    jw_key(w, "extensions_scored"); jw_int(w, bs->n_extensions);
    jw_key(w, "candidates");
    jw_array_begin(w);
    for (int c = 0; c < bs->n_candidates; c++) jt_beam_candidate(jt, &bs->candidates[c], c + 1);   /* rank 1 = the best */
    jw_array_end(w);
    jw_object_end(w);
}

static void jt_jacobi_block(void *ctx, const JacobiBlock *b) {
    JsonTrace *jt = ctx;
    JsonWriter *w = &jt->w;
    const int *final = b->guesses + (size_t)(b->passes - 1) * (size_t)b->size;
    jw_object_begin(w);
    jw_key(w, "block"); jw_int(w, b->block);
    jw_key(w, "start_position"); jw_int(w, b->start_position);
    jw_key(w, "size"); jw_int(w, b->size);
    jw_key(w, "block_size"); jw_int(w, b->block_size);
    jw_key(w, "pass_start_position"); jw_int(w, b->start_position - 1);
    jw_key(w, "tokens_per_pass"); jw_int(w, b->size);
    jw_key(w, "last_committed");
    jw_object_begin(w);
    jw_key(w, "id"); jw_int(w, b->last_committed);
    jw_key(w, "token"); write_token_text(jt, b->last_committed);
    jw_object_end(w);
    jw_key(w, "initial_guess");
    jw_object_begin(w);
    jw_key(w, "ids"); write_ids(w, b->initial, b->size);
    jw_key(w, "tokens"); write_tokens(jt, b->initial, b->size);
    jw_object_end(w);
    jw_key(w, "iterations");
    jw_array_begin(w);
    for (int k = 0; k < b->passes; k++) {
        const int *g = b->guesses + (size_t)k * (size_t)b->size;
        const unsigned char *ch = b->changed + (size_t)k * (size_t)b->size;
        int n_changed = 0, n_correct = 0;
        jw_object_begin(w);
        jw_key(w, "pass"); jw_int(w, k + 1);
        jw_key(w, "ids"); write_ids(w, g, b->size);
        jw_key(w, "tokens"); write_tokens(jt, g, b->size);
        jw_key(w, "changed");
        jw_array_begin(w); for (int i = 0; i < b->size; i++) { jw_bool(w, ch[i]); n_changed += ch[i]; } jw_array_end(w);
        /* correct: equal to the accepted (greedy) token at that position */
        jw_key(w, "correct");
        jw_array_begin(w); for (int i = 0; i < b->size; i++) { jw_bool(w, g[i] == final[i]); n_correct += g[i] == final[i]; } jw_array_end(w);
        jw_key(w, "n_changed"); jw_int(w, n_changed);
        jw_key(w, "n_correct"); jw_int(w, n_correct);
        jw_object_end(w);
    }
    jw_array_end(w);
    jw_key(w, "passes"); jw_int(w, b->passes);
    jw_key(w, "converged_by"); jw_string(w, b->fixed_point ? "fixed_point" : "pass_limit");
    jw_key(w, "accepted");
    jw_object_begin(w);
    jw_key(w, "ids"); write_ids(w, final, b->n_accepted);
    jw_key(w, "tokens"); write_tokens(jt, final, b->n_accepted);
    jw_object_end(w);
    jw_key(w, "cut_by_eos"); jw_bool(w, b->n_accepted < b->size);
    jw_key(w, "kv_cache_positions"); jw_int(w, b->kv_cache_positions);
    jw_key(w, "kv_cache_bytes"); jw_int(w, (long long)b->kv_cache_bytes);
    jw_object_end(w);
}

static void jt_run_end(void *ctx, const char *stop_reason, const Sequence *results, int n_results) {
    JsonTrace *jt = ctx;
    JsonWriter *w = &jt->w;
    if (jt->in_step) { jw_object_end(w); jt->in_step = 0; }
    if (jt->steps_open) { jw_array_end(w); jt->steps_open = 0; }
    jw_key(w, "result");
    jw_object_begin(w);
    jw_key(w, "stop_reason"); jw_string(w, stop_reason);
    jw_key(w, "sequences");
    jw_array_begin(w);
    for (int i = 0; i < n_results; i++) {
        jw_object_begin(w);
        jw_key(w, "ids"); write_ids(w, results[i].ids, results[i].n);
        jw_key(w, "tokens"); write_tokens(jt, results[i].ids, results[i].n);
        jw_key(w, "sum_logprob"); jw_float(w, results[i].sum_logprob);
        jw_key(w, "score"); jw_float(w, results[i].score);
        jw_object_end(w);
    }
    jw_array_end(w);
    jw_object_end(w);
    jw_object_end(w);  /* the document */   /* jw ends the document with a newline */
}

/* ---- opening and closing ---- */

int json_trace_open(JsonTrace *jt, TraceSink *sink, const char *path, TraceLevel level,
                    const TokenText *text, int top_n, Error *err) {
    memset(jt, 0, sizeof *jt);
    if (atomic_open(&jt->file, path, err) != 0) return -1;
    jt->level = level;
    if (text) jt->text = *text;
    jt->top_n = top_n;
    /* A step writes tens of kilobytes: a larger buffer than stdio's 4 KiB saves
     * write calls (still bounded: the trace streams). */
    setvbuf(jt->file.f, NULL, _IOFBF, (size_t)1 << 18);
    jw_init(&jt->w, jt->file.f, 3);
    *sink = (TraceSink){
        .run = {.ctx = jt, .run_begin = jt_run_begin, .step_begin = jt_step_begin,
                .forward_begin = jt_forward_begin, .layer = jt_layer, .forward_end = jt_forward_end,
                .logits = jt_logits, .selection = jt_selection, .append = jt_append, .run_end = jt_run_end},
        .beam = {.ctx = jt, .step = jt_beam_step},
        .jacobi = {.ctx = jt, .block = jt_jacobi_block},
    };
    return 0;
}

int json_trace_close(JsonTrace *jt, Error *err) { return atomic_commit(&jt->file, err); }

void json_trace_abort(JsonTrace *jt) { atomic_abort(&jt->file); }
