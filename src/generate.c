/* generate.c - the autoregressive loop; see generate.h. */
#include "generate.h"

#include <stdlib.h>
#include <string.h>

#include "input_file.h"

const char *stop_reason_name(StopReason r) {
    switch (r) {
    case STOP_EOS: return "eos";
    case STOP_MAX_NEW_TOKENS: return "max_new_tokens";
    case STOP_CONTEXT_FULL: return "context_full";
    case STOP_INTERRUPTED: return "interrupted";
    default: return "none";
    }
}

void generate_defaults(GenerateOptions *opt) {
    memset(opt, 0, sizeof *opt);
    sampler_defaults(&opt->sampling, STRATEGY_GREEDY);
    opt->seed = 0;
    opt->stream = 0;
    opt->max_new_tokens = 64;
    opt->use_kv_cache = 1;
    opt->level = TRACE_NONE;
}

/* ---- building and freeing ---- */

int check_prompt(const GPT2Config *c, const int *prompt, int n_prompt, Error *err) {
    if (n_prompt < 1) return error_set(err, "the prompt is empty: expected at least 1 token");
    if (n_prompt > c->n_positions)
        return error_set(err, "the prompt has %d tokens: expected at most %d (n_positions)", n_prompt, c->n_positions);
    for (int i = 0; i < n_prompt; i++)
        if (prompt[i] < 0 || prompt[i] >= c->vocab_size)
            return error_set(err, "prompt token %d is %d: expected an id in [0, %d)", i, prompt[i], c->vocab_size);
    return 0;
}

int generator_init(Generator *g, const GPT2 *m, const GenerateOptions *opt,
                   const int *prompt, int n_prompt, Error *err) {
    memset(g, 0, sizeof *g);
    const GPT2Config *c = &m->config;
    if (check_prompt(c, prompt, n_prompt, err) != 0) return -1;
    if (sampler_check_temperature(opt->sampling.temperature, err) != 0) return -1;
    g->model = m;
    g->opt = *opt;
    g->n_prompt = n_prompt;
    /* The window this run can reach; the last generated token is never forwarded. */
    long want = (long)n_prompt + (opt->max_new_tokens > 0 ? opt->max_new_tokens : 0);
    g->n_ctx = want < c->n_positions ? (int)want : c->n_positions;
    RunOptions ro = {g->n_ctx, g->n_ctx, opt->level == TRACE_FULL, 0};
    if (run_state_init(&g->state, m, &ro, err) != 0) return -1;
    if (selection_init(&g->sel, c->vocab_size, err) != 0) { run_state_free(&g->state); return -1; }
    g->ids = malloc((size_t)g->n_ctx * sizeof *g->ids);
    if (!g->ids) { generator_free(g); return error_set(err, "generate: out of memory"); }
    memcpy(g->ids, prompt, (size_t)n_prompt * sizeof *prompt);
    g->n_ids = n_prompt;
    rng_seed(&g->rng, opt->seed, opt->stream);
    g->stop = opt->max_new_tokens <= 0 ? STOP_MAX_NEW_TOKENS
            : n_prompt >= c->n_positions ? STOP_CONTEXT_FULL : STOP_NONE;
    return 0;
}

void generator_free(Generator *g) {
    run_state_free(&g->state);
    selection_free(&g->sel);
    free(g->ids);
    g->ids = NULL;
}

/* ---- stage 1: the forward pass over the new token(s) ---- */

void generator_profile(Generator *g, StageTimes *times) {
    memset(times, 0, sizeof *times);
    g->times = times;
    g->state.times = times;
}

/* forward_pass's one hook, forwarded to the sink while layer l's activations are live. */
static void observe_layer(void *ctx, const GPT2 *m, const RunState *s, int layer) {
    const TraceSink *trace = ctx;
    trace->layer(trace->ctx, m, s, layer);
}

int forward_new_tokens(Generator *g, const TraceSink *trace, Error *err) {
    /* With the cache only the tokens it does not hold yet; without, all from 0. */
    int pos = g->opt.use_kv_cache ? g->state.n_cached : 0;
    if (pos >= g->n_ids) pos = g->n_ids - 1;
    int T = g->n_ids - pos;
    const int *tokens = g->ids + pos;
    LayerObserver obs = {observe_layer, (void *)trace};
    int traced = trace != NULL && trace->layer != NULL;
    if (trace && trace->forward_begin) trace->forward_begin(trace->ctx, g->model, &g->state, tokens, T, pos);
    if (forward_pass(g->model, &g->state, tokens, T, pos, traced ? &obs : NULL, err) != 0) return -1;
    if (trace && trace->forward_end) trace->forward_end(trace->ctx, g->model, &g->state);
    return 0;
}

/* ---- stage 2: the final position's hidden state ---- */

const float *final_hidden_state(const Generator *g) {
    /* lnf_out is [T, C]: the last row predicts the next token. */
    size_t C = (size_t)g->model->config.n_embd;
    return g->state.lnf_out + (size_t)(g->state.last_T - 1) * C;
}

/* ---- stage 3: logits at the final position ---- */

const float *project_to_logits(Generator *g, const TraceSink *trace) {
    const float *h = final_hidden_state(g);        /* [C]: the last row of lnf_out */
    logits_from_hidden(g->model, &g->state, h);    /* [C] -> [V] */
    if (trace && trace->logits) trace->logits(trace->ctx, g->state.logits, g->model->config.vocab_size);
    return g->state.logits;
}

/* ---- stages 4 and 5: softmax with temperature, then the choice ---- */

static void pick_alternatives(const Selection *sel, float u, Alternatives *alt) {
    alt->greedy = sel->order[0];
    alt->top_k_40 = pick_with_rules(sel, 40, 1.0, 0.0, u);
    alt->top_p_0_9 = pick_with_rules(sel, 0, 0.9, 0.0, u);
    alt->min_p_0_05 = pick_with_rules(sel, 0, 1.0, 0.05, u);
}

int select_token(Generator *g, const float *logits, float u, const TraceSink *trace) {
    int traced = trace != NULL && trace->selection != NULL;
    double t0 = g->times ? now_seconds() : 0;
    int token = sampler_select(&g->sel, &g->opt.sampling, logits, g->ids, g->n_ids, u, traced);
    if (g->times) g->times->selection += now_seconds() - t0;
    if (traced) {
        Alternatives alt;
        pick_alternatives(&g->sel, u, &alt);
        trace->selection(trace->ctx, &g->sel, &g->opt.sampling, &alt, logits);
    }
    return token;
}

/* ---- stage 6: append, and whether to stop ---- */

void append_token(Generator *g, int token, const TraceSink *trace) {
    g->ids[g->n_ids++] = token;
    g->step++;
    if (token == g->model->config.eos_token_id) g->stop = STOP_EOS;
    else if (g->step >= g->opt.max_new_tokens) g->stop = STOP_MAX_NEW_TOKENS;
    else if (g->n_ids >= g->model->config.n_positions) g->stop = STOP_CONTEXT_FULL;
    if (trace && trace->append) trace->append(trace->ctx, token, g->ids, g->n_ids);
}

/* ---- the loop ---- */

int generate_step(Generator *g, const TraceSink *trace, int *token, Error *err) {
    if (g->stop != STOP_NONE) return error_set(err, "generate: the run has stopped (%s)", stop_reason_name(g->stop));
    /* One draw per step whatever the strategy, so every strategy sees the same draws. */
    float u = rng_uniform(&g->rng);
    if (trace && trace->step_begin) trace->step_begin(trace->ctx, g->step, g->ids, g->n_ids);
    if (forward_new_tokens(g, trace, err) != 0) return -1;
    const float *logits = project_to_logits(g, trace);
    if (check_logits_finite(logits, g->model->config.vocab_size, "step", g->step, err) != 0) return -1;
    *token = select_token(g, logits, u, trace);
    append_token(g, *token, trace);
    return 0;
}

static void announce_run(const Generator *g, const TraceSink *trace, const char *model_dir) {
    TraceRunInfo info = {&g->model->config, model_dir ? model_dir : "", &g->opt.sampling, g->opt.seed,
                         g->opt.stream, g->ids, g->n_prompt, g->opt.max_new_tokens, g->opt.use_kv_cache};
    trace->run_begin(trace->ctx, &info);
}

static void announce_end(const Generator *g, const TraceSink *trace) {
    TraceBeam result = {g->ids, g->n_ids, 0.0, 0.0, -1};
    trace->run_end(trace->ctx, stop_reason_name(g->stop), &result, 1);
}

int generate_run(Generator *g, const TraceSink *trace, const char *model_dir,
                 TokenCallback on_token, void *cb_ctx, Error *err) {
    if (trace && trace->run_begin) announce_run(g, trace, model_dir);
    while (g->stop == STOP_NONE) {
        int token;
        if (generate_step(g, trace, &token, err) != 0) return -1;
        if (on_token) on_token(cb_ctx, token);
        if (g->stop == STOP_NONE && g->opt.interrupt && *g->opt.interrupt) g->stop = STOP_INTERRUPTED;
    }
    if (trace && trace->run_end) announce_end(g, trace);
    return 0;
}

/* ---- a model with its prompt ---- */

int prompted_model_load(PromptedModel *pm, const char *dir, Error *err) {
    memset(pm, 0, sizeof *pm);
    if (gpt2_load(&pm->model, dir, 0, err) != 0) return -1;
    char vocab[4096];
    Error ignored;
    /* Whether the folder has a tokenizer; tokenizer_load then checks what it is. */
    if (path_join(vocab, sizeof vocab, dir, "vocab.json", &ignored) == 0 && input_exists(vocab)) {
        if (tokenizer_load(&pm->tok, dir, err) != 0) { gpt2_free(&pm->model); return -1; }
        pm->has_tokenizer = 1;
        /* A tokenizer with more tokens than the model's vocabulary could hand it ids it has no row for. */
        if (tokenizer_vocab_size(&pm->tok) > pm->model.config.vocab_size) {
            error_set(err, "%s: vocab.json has %d tokens but config.json's vocab_size is %d: expected at most %d",
                      dir, tokenizer_vocab_size(&pm->tok), pm->model.config.vocab_size, pm->model.config.vocab_size);
            prompted_model_free(pm);
            return -1;
        }
        if (tokenizer_pad(&pm->tok, pm->model.config.vocab_size, err) != 0) { prompted_model_free(pm); return -1; }
    }
    return 0;
}

int prompted_model_prompt(PromptedModel *pm, const char *text, const char *ids_text, int allow_special, Error *err) {
    int V = pm->model.config.vocab_size;
    if (ids_text) return parse_id_list(ids_text, V, "--ids", &pm->prompt, &pm->n_prompt, err);
    if (!text || !*text) return error_set(err, "--prompt: expected a non-empty text (or --ids)");
    if (!pm->has_tokenizer)
        return error_set(err, "--prompt: %s has no vocab.json/merges.txt: give token ids with --ids", pm->model.dir);
    if (tokenizer_encode(&pm->tok, text, strlen(text), allow_special, &pm->prompt, &pm->n_prompt, err) != 0) return -1;
    for (int i = 0; i < pm->n_prompt; i++)
        if (pm->prompt[i] >= V)
            return error_set(err, "--prompt: token %d is outside the model's vocabulary [0, %d)", pm->prompt[i], V);
    if (pm->n_prompt < 1) return error_set(err, "--prompt: expected a non-empty text (or --ids)");
    return 0;
}

void prompted_model_free(PromptedModel *pm) {
    free(pm->prompt);
    pm->prompt = NULL;
    if (pm->has_tokenizer) tokenizer_free(&pm->tok);
    gpt2_free(&pm->model);
}

static const char *prompted_token_bytes(void *ctx, int id, size_t *len) {
    const PromptedModel *pm = ctx;
    if (!pm->has_tokenizer || id < 0 || id >= tokenizer_vocab_size(&pm->tok)) return NULL;
    return tokenizer_token_bytes(&pm->tok, id, len);
}

TokenText prompted_model_text(PromptedModel *pm) {
    TokenText t = {prompted_token_bytes, pm};
    return t;
}

void print_tokens(const PromptedModel *pm, Utf8Stream *u, const int *ids, int n, FILE *f) {
    for (int i = 0; i < n; i++) {
        size_t len;
        const char *b = prompted_token_bytes((void *)pm, ids[i], &len);
        if (b) utf8_stream_put(u, b, len, f);
        else fprintf(f, "%d ", ids[i]);
    }
}
