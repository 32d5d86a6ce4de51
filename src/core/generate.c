/* generate.c - the autoregressive loop; see generate.h. */
#include "core/generate.h"

#include <stdlib.h>
#include <string.h>

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
    opt->keep_activations = 0;
}

int context_window(const GPT2Config *c, int n_prompt, int max_new_tokens) {
    /* The last generated token is never forwarded, but the window must hold
     * the whole context the run can reach. */
    long want = (long)n_prompt + (max_new_tokens > 0 ? max_new_tokens : 0);
    return want < c->n_positions ? (int)want : c->n_positions;
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
    g->n_ctx = context_window(c, n_prompt, opt->max_new_tokens);
    RunOptions ro = {.max_tokens = g->n_ctx, .n_ctx = g->n_ctx,
                     .keep_layers = opt->keep_activations, .all_logits = 0};
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

int forward_new_tokens(Generator *g, const Observer *obs, Error *err) {
    /* With the cache only the tokens it does not hold yet; without, all from 0. */
    int pos = g->opt.use_kv_cache ? g->state.n_cached : 0;
    if (pos >= g->n_ids) pos = g->n_ids - 1;
    int T = g->n_ids - pos;
    return forward_pass(g->model, &g->state, g->ids + pos, T, pos, obs, err);    /* [T] -> lnf_out [T, C] */
}

/* ---- stage 2: the final position's hidden state ---- */

const float *final_hidden_state(const Generator *g) {
    /* lnf_out is [T, C]: the last row predicts the next token. */
    size_t C = (size_t)g->model->config.n_embd;
    return g->state.lnf_out + (size_t)(g->state.last_T - 1) * C;
}

/* ---- stage 3: logits at the final position ---- */

const float *project_to_logits(Generator *g, const Observer *obs) {
    const float *h = final_hidden_state(g);        /* [C]: the last row of lnf_out */
    logits_from_hidden(g->model, &g->state, h);    /* [C] -> [V] */
    if (obs && obs->logits) obs->logits(obs->ctx, g->state.logits, g->model->config.vocab_size);
    return g->state.logits;
}

/* ---- stages 4 and 5: softmax with temperature, then the choice ---- */

static void pick_alternatives(const Selection *sel, float u, Alternatives *alt) {
    alt->greedy = sel->order[0];
    alt->top_k_40 = pick_with_rules(sel, 40, 1.0, 0.0, u, NULL);
    alt->top_p_0_9 = pick_with_rules(sel, 0, 0.9, 0.0, u, &alt->nucleus_0_9);
    alt->min_p_0_05 = pick_with_rules(sel, 0, 1.0, 0.05, u, NULL);
}

int select_token(Generator *g, const float *logits, float u, const Observer *obs) {
    /* A watched selection also sorts for greedy: the observer wants the table. */
    int watched = obs != NULL && obs->selection != NULL;
    /* min-new-tokens: end-of-text may not end the story before it has this many tokens */
    g->sel.suppressed = g->step < g->opt.sampling.min_new_tokens ? g->model->config.eos_token_id : -1;
    int token = sampler_select(&g->sel, &g->opt.sampling, logits, g->ids, g->n_ids, u, watched);
    if (watched) {
        Alternatives alt;
        pick_alternatives(&g->sel, u, &alt);
        obs->selection(obs->ctx, &g->sel, &g->opt.sampling, &alt, logits);
    }
    return token;
}

/* ---- stage 6: append, and whether to stop ---- */

void append_token(Generator *g, int token, const Observer *obs) {
    g->ids[g->n_ids++] = token;
    g->step++;
    if (token == g->model->config.eos_token_id) g->stop = STOP_EOS;
    else if (g->step >= g->opt.max_new_tokens) g->stop = STOP_MAX_NEW_TOKENS;
    else if (g->n_ids >= g->model->config.n_positions) g->stop = STOP_CONTEXT_FULL;
    if (obs && obs->append) obs->append(obs->ctx, token, g->ids, g->n_ids);
}

/* ---- the loop ---- */

int generate_step(Generator *g, const Observer *obs, int *token, Error *err) {
    if (g->stop != STOP_NONE) return error_set(err, "generate: the run has stopped (%s)", stop_reason_name(g->stop));
    /* One draw per step whatever the strategy, so every strategy sees the same draws. */
    float u = rng_uniform(&g->rng);
    if (obs && obs->step_begin) obs->step_begin(obs->ctx, g->step, g->ids, g->n_ids);
    /* 1. forward pass over the new token(s)          ids -> lnf_out [T, C] */
    if (forward_new_tokens(g, obs, err) != 0) return -1;
    /* 2-3. the final position's logits               lnf_out[T-1] [C] -> [V] */
    const float *logits = project_to_logits(g, obs);
    if (check_logits_finite(logits, g->model->config.vocab_size, "step", g->step, err) != 0) return -1;
    /* 4-5. softmax with temperature, then the choice [V] -> one id */
    *token = select_token(g, logits, u, obs);
    /* 6. append it, and decide whether to stop */
    append_token(g, *token, obs);
    return 0;
}

static void announce_run(const Generator *g, const Observer *obs, const char *model_dir) {
    RunInfo info = {.config = &g->model->config, .model_dir = model_dir ? model_dir : "",
                    .settings = &g->opt.sampling, .seed = g->opt.seed, .stream = g->opt.stream,
                    .prompt = g->ids, .n_prompt = g->n_prompt, .max_new_tokens = g->opt.max_new_tokens,
                    .use_kv_cache = g->opt.use_kv_cache};
    obs->run_begin(obs->ctx, &info);
}

static void announce_end(const Generator *g, const Observer *obs) {
    Sequence result = {.ids = g->ids, .n = g->n_ids, .sum_logprob = 0.0, .score = 0.0, .parent = -1};
    obs->run_end(obs->ctx, stop_reason_name(g->stop), &result, 1);
}

int generate_run(Generator *g, const Observer *obs, const char *model_dir, Error *err) {
    if (obs && obs->run_begin) announce_run(g, obs, model_dir);
    while (g->stop == STOP_NONE) {
        int token;
        if (generate_step(g, obs, &token, err) != 0) return -1;
        if (g->stop == STOP_NONE && g->opt.interrupt && *g->opt.interrupt) g->stop = STOP_INTERRUPTED;
    }
    if (obs && obs->run_end) announce_end(g, obs);
    return 0;
}
