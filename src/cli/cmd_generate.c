/*
 * cmd_generate.c - `argen generate`: prompt -> tokens, streamed to stdout,
 * with an optional JSON trace of every stage (see docs/generation.md).
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/observe.h"
#include "cli/prompted_model.h"
#include "cli/text_input.h"
#include "core/generate.h"

#include "decode/beam.h"
#include "decode/jacobi.h"
#include "formats/files.h"
#include "formats/json.h"
#include "trace/trace.h"

static const char *const usage_text =
    "usage: argen generate --model DIR [--prompt TEXT | --file FILE | --ids 464,2068,...] [options]\n"
    "\n"
    TEXT_INPUT_USAGE
    "  --strategy S             greedy|sample|top-k|top-p|min-p|beam|jacobi (default greedy)\n"
    "  --temperature T          T >= 0, 0 means greedy (default 1)\n"
    "  --top-k K                keep the K most likely, K >= 1; K > vocab keeps all (default 40 with top-k)\n"
    "  --top-p P                nucleus mass in (0, 1] (default 0.9 with top-p)\n"
    "  --min-p P                keep p >= P * p_max, P in [0, 1] (default 0.05 with min-p)\n"
    "  --repetition-penalty R   R > 0, 1 = off (CTRL: logit > 0 -> /R, else *R)\n"
    "  --beams N                beam width 1..64 (default 4, with --strategy beam)\n"
    "  --length-penalty A       beam score = sum logprob / len^A (default 1)\n"
    "  --block N                Jacobi block: tokens guessed per parallel pass, 1..1024 (default 8)\n"
    "  --seed S                 PCG32 seed, 0..2^53 (default 0)\n"
    "  --max-new-tokens N       0..1000000 (default 64); stops early when the window is full\n"
    "  --min-new-tokens N       end-of-text is suppressed until N new tokens (default 0)\n"
    "  --ignore-eos             end-of-text is suppressed at every step (min-new-tokens = max-new-tokens)\n"
    "  --trace FILE.json        write a JSON trace of every stage (traces/schema.json)\n"
    "  --trace-level L          summary|full (default summary)\n"
    "  --top-n N                rows of the trace's tables, 1..64 (default 10)\n"
    "  --json                   print {\"ids\": [...], \"text\": ..., \"stop_reason\": ...}\n"
    "  --no-kv-cache            recompute the whole context every step (same tokens)\n"
    "  --timing FILE.tsv        per step: wall seconds, positions processed, KV cache size\n"
    "  --profile                at the end, the time spent in each stage (on stderr)\n"
    "  --no-special             treat \"<|endoftext|>\" in the prompt as plain text\n"
    "  --weights W              f32|f16|bf16: the weight matrices in memory (default: as stored)\n"
    "\n"
    "The processors apply in Hugging Face's order: repetition penalty, temperature,\n"
    "top-k, top-p, min-p; then one PCG32 uniform draw picks from what is left.\n"
    "Beam search, as Hugging Face's, takes log-softmax first and penalizes the\n"
    "log-probabilities (log p * R); it uses no temperature or truncation.\n"
    "jacobi is greedy decoded N tokens at a time by fixed-point iteration\n"
    "(docs/variants.md): the same tokens as greedy, in at most N passes per block.\n";

typedef struct {
    const char *model, *trace, *timing;
    LoadWeights weights;     /* --weights */
    TextInput in;            /* --prompt/--text, --file, --ids or stdin */
    GenerateOptions gen;
    TraceLevel level;
    int top_n;
    int json;
    int profile;             /* --profile */
    int allow_special;
    int top_k_given, top_p_given, min_p_given, strategy_given;
    long top_k;
    int block;               /* Jacobi block size N */
    int block_given;
    int ignore_eos;          /* --ignore-eos */
} CmdOptions;

/* One option with a value; returns 0, or EXIT_USAGE after printing. */
static int parse_value_option(const char *cmd, const char *a, const char *v, CmdOptions *o) {
    double d;
    long n;
    SamplerSettings *s = &o->gen.sampling;
    if (strcmp(a, "--model") == 0) o->model = v;
    else if (strcmp(a, "--trace") == 0) o->trace = v;
    else if (strcmp(a, "--timing") == 0) o->timing = v;
    else if (strcmp(a, "--weights") == 0) { if (cli_weights(cmd, v, &o->weights)) return EXIT_USAGE; }
    else if (strcmp(a, "--block") == 0) {
        if (cli_long(cmd, a, v, 1, 1024, &n)) return EXIT_USAGE;
        o->block = (int)n;
        o->block_given = 1;
    }
    else if (strcmp(a, "--strategy") == 0) {
        Strategy st;
        if (strategy_parse(v, &st) != 0) {
            fprintf(stderr, "argen %s: --strategy: expected greedy, sample, top-k, top-p, min-p, beam or jacobi, got '%s'\n", cmd, v);
            return EXIT_USAGE;
        }
        s->strategy = st;
        o->strategy_given = 1;
    } else if (strcmp(a, "--temperature") == 0) {
        Error terr;
        if (cli_double(cmd, a, v, 0, 0, SAMPLER_TEMPERATURE_MAX, 0, &d)) return EXIT_USAGE;
        if (sampler_check_temperature(d, &terr) != 0) { fprintf(stderr, "argen %s: %s\n", cmd, terr.msg); return EXIT_USAGE; }
        s->temperature = (float)d;
    } else if (strcmp(a, "--top-k") == 0) {
        if (cli_long(cmd, a, v, 1, 0x7fffffffL, &o->top_k)) return EXIT_USAGE;
        o->top_k_given = 1;
    } else if (strcmp(a, "--top-p") == 0) {
        if (cli_double(cmd, a, v, 0, 1, 1, 0, &d)) return EXIT_USAGE;
        s->top_p = (float)d; o->top_p_given = 1;
    } else if (strcmp(a, "--min-p") == 0) {
        if (cli_double(cmd, a, v, 0, 0, 1, 0, &d)) return EXIT_USAGE;
        s->min_p = (float)d; o->min_p_given = 1;
    } else if (strcmp(a, "--repetition-penalty") == 0) {
        if (cli_double(cmd, a, v, 0, 1, 1e6, 0, &d)) return EXIT_USAGE;
        s->repetition_penalty = (float)d;
    } else if (strcmp(a, "--beams") == 0) {
        if (cli_long(cmd, a, v, 1, 64, &n)) return EXIT_USAGE;
        s->beams = (int)n;
    } else if (strcmp(a, "--length-penalty") == 0) {
        if (cli_double(cmd, a, v, -10, 0, 10, 0, &d)) return EXIT_USAGE;
        s->length_penalty = (float)d;
    } else if (strcmp(a, "--seed") == 0) {
        if (cli_long(cmd, a, v, 0, CLI_SEED_MAX, &n)) return EXIT_USAGE;
        o->gen.seed = (uint64_t)n;
    } else if (strcmp(a, "--max-new-tokens") == 0) {
        if (cli_long(cmd, a, v, 0, 1000000, &n)) return EXIT_USAGE;
        o->gen.max_new_tokens = (int)n;
    } else if (strcmp(a, "--min-new-tokens") == 0) {
        if (cli_long(cmd, a, v, 0, 1000000, &n)) return EXIT_USAGE;
        s->min_new_tokens = (int)n;
    } else if (strcmp(a, "--trace-level") == 0) {
        if (strcmp(v, "summary") == 0) o->level = TRACE_SUMMARY;
        else if (strcmp(v, "full") == 0) o->level = TRACE_FULL;
        else { fprintf(stderr, "argen %s: --trace-level: expected summary or full, got '%s'\n", cmd, v); return EXIT_USAGE; }
    } else if (strcmp(a, "--top-n") == 0) {
        if (cli_long(cmd, a, v, 1, 64, &n)) return EXIT_USAGE;
        o->top_n = (int)n;
    } else {
        return cli_unknown(cmd, a);
    }
    return 0;
}

static int is_value_option(const char *a) {
    static const char *const names[] = {"--model", "--trace", "--strategy", "--temperature",
        "--top-k", "--top-p", "--min-p", "--repetition-penalty", "--beams", "--length-penalty", "--seed",
        "--max-new-tokens", "--min-new-tokens", "--trace-level", "--top-n", "--timing", "--block", "--weights"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) if (strcmp(a, names[i]) == 0) return 1;
    return 0;
}

/* Options that only one strategy takes.  Returns 0 or EXIT_USAGE. */
static int check_strategy_options(const char *cmd, const CmdOptions *o) {
    Strategy st = o->gen.sampling.strategy;
    if (o->block_given && st != STRATEGY_JACOBI) {
        fprintf(stderr, "argen %s: --block: expected --strategy jacobi with it\n", cmd);
        return EXIT_USAGE;
    }
    if (st == STRATEGY_JACOBI && o->gen.sampling.repetition_penalty != 1.0f) {
        fprintf(stderr, "argen %s: --repetition-penalty: expected 1 with --strategy jacobi (greedy only)\n", cmd);
        return EXIT_USAGE;
    }
    if (st == STRATEGY_JACOBI && !o->gen.use_kv_cache) {
        fprintf(stderr, "argen %s: --no-kv-cache: Jacobi decoding keeps the prefix in the KV cache; drop the option\n", cmd);
        return EXIT_USAGE;
    }
    if (o->gen.sampling.min_new_tokens > 0 && (st == STRATEGY_BEAM || st == STRATEGY_JACOBI)) {
        fprintf(stderr, "argen %s: --min-new-tokens/--ignore-eos: expected a one-token-per-step strategy (greedy, sample, top-k, top-p, min-p)\n", cmd);
        return EXIT_USAGE;
    }
    if (o->timing && (st == STRATEGY_BEAM || st == STRATEGY_JACOBI)) {
        fprintf(stderr, "argen %s: --timing: expected a one-token-per-step strategy (greedy, sample, top-k, top-p, min-p)\n", cmd);
        return EXIT_USAGE;
    }
    return 0;
}

/* Returns 0, -1 after --help, or EXIT_USAGE. */
static int parse_options(int argc, char **argv, CmdOptions *o) {
    memset(o, 0, sizeof *o);
    generate_defaults(&o->gen);
    o->level = TRACE_SUMMARY;
    o->top_n = 10;
    o->allow_special = 1;
    o->block = 8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(usage_text, stdout); return -1; }
        int in = text_input_option(argv[0], argc, argv, &i, &o->in);
        if (in < 0) return EXIT_USAGE;
        if (in) continue;
        if (strcmp(a, "--json") == 0) o->json = 1;
        else if (strcmp(a, "--profile") == 0) o->profile = 1;
        else if (strcmp(a, "--no-kv-cache") == 0) o->gen.use_kv_cache = 0;
        else if (strcmp(a, "--no-special") == 0) o->allow_special = 0;
        else if (strcmp(a, "--ignore-eos") == 0) o->ignore_eos = 1;
        else if (is_value_option(a)) {
            const char *v = cli_value(argv[0], argc, argv, &i);
            if (!v) return EXIT_USAGE;
            int rc = parse_value_option(argv[0], a, v, o);
            if (rc) return rc;
        } else return cli_unknown(argv[0], a);
    }
    SamplerSettings *s = &o->gen.sampling;
    /* The strategy's defaults fill what the options left unset. */
    SamplerSettings d;
    sampler_defaults(&d, s->strategy);
    s->top_k = o->top_k_given ? (int)o->top_k : d.top_k;
    if (!o->top_p_given) s->top_p = d.top_p;
    if (!o->min_p_given) s->min_p = d.min_p;
    if (o->ignore_eos) s->min_new_tokens = o->gen.max_new_tokens;
    if (!o->model) { fprintf(stderr, "argen %s: --model: expected a model folder\n", argv[0]); return EXIT_USAGE; }
    if (text_input_check(argv[0], &o->in) != 0) return EXIT_USAGE;
    return check_strategy_options(argv[0], o);
}

/* ---- output ---- */

typedef struct {
    const PromptedModel *pm;
    Utf8Stream u;
    int print;               /* stream the text (not with --json) */
    const Generator *g;      /* --timing: the run, read after each step */
    FILE *timing;            /* --timing: one TSV row per step, or NULL */
    double t_last;           /* when the step now ending began */
} Streamer;

/* The step that appended token just ended: its wall time, and what the
 * forward pass processed (one token with the cache, the whole context without). */
static void write_timing_row(Streamer *st) {
    double t = now_seconds();
    const Generator *g = st->g;
    const GPT2Config *c = &g->model->config;
    fprintf(st->timing, "%d\t%d\t%d\t%d\t%zu\t%.9f\n", g->step - 1, g->n_ids - 1, g->state.last_T,
            g->state.n_cached, kv_cache_bytes(c, g->state.n_cached), t - st->t_last);
}

/* The printer's observer: each appended token is printed as it comes (and
 * its step's timing row written). */
static void stream_token(void *ctx, int token, const int *ids, int n) {
    Streamer *st = ctx;
    (void)ids; (void)n;
    if (st->timing) write_timing_row(st);
    if (st->print) {
        print_tokens(st->pm, &st->u, &token, 1, stdout);
        fflush(stdout);
    }
    if (st->timing) st->t_last = now_seconds();   /* printing is not part of the next step */
}

static void print_json_result(const PromptedModel *pm, const int *ids, int n, int n_prompt, const char *stop,
                              const BeamResult *beams) {
    JsonWriter w;
    jw_init(&w, stdout, 0);
    jw_object_begin(&w);
    jw_key(&w, "prompt_ids");
    jw_array_begin(&w); for (int i = 0; i < n_prompt; i++) jw_int(&w, ids[i]); jw_array_end(&w);
    jw_key(&w, "ids");
    jw_array_begin(&w); for (int i = n_prompt; i < n; i++) jw_int(&w, ids[i]); jw_array_end(&w);
    jw_key(&w, "text");
    if (!pm->has_tokenizer) jw_null(&w);
    else {
        size_t cap = 16, len = 0;
        char *buf = malloc(cap);
        for (int i = n_prompt; buf && i < n; i++) {
            size_t l;
            const char *b = tokenizer_token_bytes(&pm->tok, ids[i], &l);
            while (buf && len + l + 1 > cap) { char *nb = realloc(buf, cap * 2); if (!nb) { free(buf); buf = NULL; } else { buf = nb; cap *= 2; } }
            if (buf) { memcpy(buf + len, b, l); len += l; }
        }
        if (buf) jw_string_n(&w, buf, len); else jw_null(&w);
        free(buf);
    }
    jw_key(&w, "stop_reason"); jw_string(&w, stop);
    if (beams) {
        jw_key(&w, "beams");
        jw_array_begin(&w);
        for (int b = 0; b < beams->n_best; b++) {
            const BeamHypothesis *h = &beams->best[b];
            jw_object_begin(&w);
            jw_key(&w, "ids");
            jw_array_begin(&w); for (int i = n_prompt; i < h->n; i++) jw_int(&w, h->ids[i]); jw_array_end(&w);
            jw_key(&w, "sum_logprob"); jw_float(&w, h->sum_logprob);
            jw_key(&w, "score"); jw_float(&w, h->score);
            jw_key(&w, "stop_reason"); jw_string(&w, stop_reason_name(h->stop));
            jw_object_end(&w);
        }
        jw_array_end(&w);
    }
    jw_object_end(&w);   /* jw ends the document with a newline */
}

/* ---- the two ways to run ---- */

static int run_sampling(CmdOptions *o, PromptedModel *pm, const TraceSink *trace, Error *err) {
    Generator g;
    o->gen.keep_activations = trace && o->level == TRACE_FULL;
    if (generator_init(&g, &pm->model, &o->gen, pm->prompt, pm->n_prompt, err) != 0) return -1;
    Streamer st = {pm, {{0}, 0}, !o->json, &g, NULL, 0.0};
    AtomicFile timing;
    if (o->timing) {
        if (atomic_open(&timing, o->timing, err) != 0) { generator_free(&g); return -1; }
        st.timing = timing.f;
        fprintf(st.timing, "step\tposition\ttokens_processed\tkv_cache_positions\tkv_cache_bytes\tseconds\n");
    }
    if (!o->json) { print_tokens(pm, &st.u, pm->prompt, pm->n_prompt, stdout); fflush(stdout); }
    /* Who watches: the printer, the trace and the --profile clock, teed. */
    Observer printer = {.ctx = &st, .append = st.print || st.timing ? stream_token : NULL};
    Observer clock = {0}, clock_after = {0}, traced, timed, all;
    Profile prof;
    Tee tee1, tee2, tee3;
    observer_tee(&traced, &tee1, &printer, trace ? &trace->run : NULL);
    if (o->profile) profile_observer(&clock, &clock_after, &prof, &traced);
    observer_tee(&timed, &tee2, o->profile ? &clock : NULL, &traced);   /* the clock first, then who watches, */
    observer_tee(&all, &tee3, &timed, o->profile ? &clock_after : NULL);   /* then the clock again */
    st.t_last = now_seconds();
    double t0 = st.t_last;
    int rc = generate_run(&g, &all, pm->model.dir, err);
    if (rc == 0 && o->profile) profile_print(&prof, now_seconds() - t0, g.step, stderr);
    if (rc == 0 && o->json) print_json_result(pm, g.ids, g.n_ids, g.n_prompt, stop_reason_name(g.stop), NULL);
    if (rc == 0 && !o->json) { utf8_stream_flush(&st.u, stdout); fputc('\n', stdout); }
    if (o->timing) {
        if (rc == 0 && atomic_commit(&timing, err) != 0) rc = -1;
        else if (rc != 0) atomic_abort(&timing);
    }
    generator_free(&g);
    return rc;
}

static int run_jacobi(CmdOptions *o, PromptedModel *pm, const TraceSink *trace, Error *err) {
    JacobiDecoder jd;
    if (jacobi_init(&jd, &pm->model, o->block, o->gen.max_new_tokens, pm->prompt, pm->n_prompt, err) != 0) return -1;
    jd.interrupt = o->gen.interrupt;
    Streamer st = {pm, {{0}, 0}, !o->json, NULL, NULL, 0.0};
    if (!o->json) { print_tokens(pm, &st.u, pm->prompt, pm->n_prompt, stdout); fflush(stdout); }
    Observer printer = {.ctx = &st, .append = o->json ? NULL : stream_token}, both;
    Tee tee;
    observer_tee(&both, &tee, &printer, trace ? &trace->run : NULL);
    int rc = jacobi_run(&jd, &both, trace ? &trace->jacobi : NULL, pm->model.dir, err);
    if (rc == 0 && o->json) print_json_result(pm, jd.ids, jd.n_ids, jd.n_prompt, stop_reason_name(jd.stop), NULL);
    if (rc == 0 && !o->json) {
        utf8_stream_flush(&st.u, stdout);
        fputc('\n', stdout);
        fflush(stdout);   /* the text and its newline before the summary, where both go to one terminal or file */
        fprintf(stderr, "jacobi: %d tokens in %d blocks of %d, %d passes (greedy: %d)\n", jd.generated, jd.n_blocks,
                o->block, jd.total_passes, jd.generated);
    }
    jacobi_free(&jd);
    return rc;
}

static int run_beam(CmdOptions *o, PromptedModel *pm, const TraceSink *trace, Error *err) {
    const GPT2Config *c = &pm->model.config;
    int n_ctx = context_window(c, pm->n_prompt, o->gen.max_new_tokens);
    if (n_ctx < pm->n_prompt) return error_set(err, "the prompt has %d tokens: expected at most %d", pm->n_prompt, c->n_positions);
    Gpt2Beams gb;
    BeamModel bm;
    if (gpt2_beams_init(&gb, &bm, &pm->model, o->gen.sampling.beams, n_ctx, o->gen.use_kv_cache, err) != 0) return -1;
    BeamOptions bo = {.beams = o->gen.sampling.beams, .length_penalty = o->gen.sampling.length_penalty,
                      .repetition_penalty = o->gen.sampling.repetition_penalty,
                      .max_new_tokens = o->gen.max_new_tokens, .max_len = c->n_positions,
                      .interrupt = o->gen.interrupt};
    BeamResult r;
    if (trace) {
        RunInfo info = {.config = c, .model_dir = pm->model.dir, .settings = &o->gen.sampling,
                        .seed = o->gen.seed, .stream = o->gen.stream, .prompt = pm->prompt,
                        .n_prompt = pm->n_prompt, .max_new_tokens = o->gen.max_new_tokens,
                        .use_kv_cache = o->gen.use_kv_cache};
        trace->run.run_begin(trace->run.ctx, &info);
    }
    int rc = beam_search(&bm, &bo, pm->prompt, pm->n_prompt, trace ? &trace->run : NULL,
                         trace ? &trace->beam : NULL, &r, err);
    gpt2_beams_free(&gb);
    if (rc != 0) return -1;
    const BeamHypothesis *best = &r.best[0];
    if (o->json) {
        print_json_result(pm, best->ids, best->n, pm->n_prompt, stop_reason_name(best->stop), &r);
    } else {
        for (int b = 0; b < r.n_best; b++) {
            Utf8Stream u = {{0}, 0};
            printf("[%d] score %.4f  logprob %.4f  %s: ", b + 1, r.best[b].score, r.best[b].sum_logprob,
                   stop_reason_name(r.best[b].stop));
            print_tokens(pm, &u, r.best[b].ids, r.best[b].n, stdout);
            utf8_stream_flush(&u, stdout);
            fputc('\n', stdout);
        }
    }
    beam_result_free(&r);
    return 0;
}

int cmd_generate(int argc, char **argv) {
    const char *cmd = argv[0];
    CmdOptions o;
    int rc = parse_options(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    const NamedPath inputs[] = {{"--model", o.model}, {"--file", o.in.file}};
    const NamedPath outputs[] = {{"--trace", o.trace}, {"--timing", o.timing}};
    if (cli_check_outputs(cmd, inputs, 2, outputs, 2) != 0) return EXIT_USAGE;
    char *text = NULL;
    size_t text_len;
    if (!o.in.ids && (rc = text_input_read(cmd, &o.in, 0, &text, &text_len)) != 0) return rc;
    /* Ctrl-C or a closed pipe: every loop stops after its current step, with
     * stop reason "interrupted", and the trace is closed whole. */
    o.gen.interrupt = cli_stop_flag();
    Error err;
    PromptedModel pm;
    if (prompted_model_load(&pm, o.model, o.weights, &err) != 0) {
        fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
        free(text);
        return EXIT_FAIL;
    }
    rc = prompted_model_prompt(&pm, text, o.in.ids, o.allow_special, &err);
    free(text);
    if (rc != 0) {
        fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
        prompted_model_free(&pm);
        return EXIT_USAGE;
    }
    JsonTrace jt;
    TraceSink sink;
    const TraceSink *trace = NULL;
    if (o.trace) {
        TokenText text = prompted_model_text(&pm);
        if (json_trace_open(&jt, &sink, o.trace, o.level, &text, o.top_n, &err) != 0) {
            fprintf(stderr, "argen %s: --trace: %s\n", cmd, err.msg);
            prompted_model_free(&pm);
            return EXIT_FAIL;
        }
        trace = &sink;
    }
    Strategy st = o.gen.sampling.strategy;
    rc = st == STRATEGY_BEAM ? run_beam(&o, &pm, trace, &err)
       : st == STRATEGY_JACOBI ? run_jacobi(&o, &pm, trace, &err) : run_sampling(&o, &pm, trace, &err);
    if (rc != 0) {
        fprintf(stderr, "argen %s: %s\n", cmd, err.msg);
        if (trace) json_trace_abort(&jt);
        prompted_model_free(&pm);
        return EXIT_FAIL;
    }
    if (trace && json_trace_close(&jt, &err) != 0) {
        fprintf(stderr, "argen %s: --trace: %s\n", cmd, err.msg);
        prompted_model_free(&pm);
        return EXIT_FAIL;
    }
    prompted_model_free(&pm);
    if (*o.gen.interrupt == SIGINT) {
        fprintf(stderr, "argen %s: interrupted: the text so far is above%s\n", cmd, o.trace ? ", the trace is complete" : "");
        return EXIT_SIGINT;
    }
    return 0;   /* main checks stdout, and turns a closed pipe into 141 */
}
