/*
 * fuzz_trace_gen.c - a structure-aware trace generator: the input bytes are
 * not the trace but the choices that build one.  Each input becomes a
 * valid JSON document shaped like a trace argen writes (sampling steps,
 * beam steps, Jacobi blocks, or an argen compare file), whose counts,
 * dimensions, indices, seeds and numbers are drawn from a table of hostile
 * values (0, 1, INT_MAX, 2^31, 2^53, 1e308, -1, null...) or small ones, and
 * whose token texts are raw input bytes.  Raw-byte fuzzing (fuzz_trace.c)
 * rarely gets past the schema; this harness starts past it, so it reaches
 * the size arithmetic, the shape checks and every diagram writer.
 *
 * Checks: a refused document fills a one-line message; an accepted one is
 * drawn by every kind that applies, at the last step, layer and head.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_util.h"
#include "trace/render.h"
#include "trace/trace_read.h"

/* The input, consumed one choice at a time (zeros once it runs out). */
typedef struct {
    const uint8_t *p;
    size_t n;
} Choices;

static unsigned take(Choices *c) {
    if (c->n == 0) return 0;
    c->n--;
    return *c->p++;
}

/* A count: mostly small, sometimes hostile (the JSON then disagrees with it). */
static const char *const hostile[] = {"0", "1", "2", "3", "-1", "2147483647", "2147483648", "1073741824",
                                      "4294967296", "9007199254740992", "9007199254740994", "1e308", "1e999",
                                      "0.5", "null", "65536"};

static void put_count(FILE *f, Choices *c, unsigned small) {
    unsigned b = take(c);
    if (b < 200) fprintf(f, "%u", small);
    else fputs(hostile[b % (sizeof hostile / sizeof hostile[0])], f);
}

static void put_number(FILE *f, Choices *c) {
    unsigned b = take(c);
    if (b < 220) fprintf(f, "%g", b / 219.0);
    else fputs(hostile[b % (sizeof hostile / sizeof hostile[0])], f);
}

/* A token text: up to 8 raw input bytes, as a JSON string (control bytes, " and \ escaped). */
static void put_text(FILE *f, Choices *c) {
    unsigned n = take(c) % 9;
    fputc('"', f);
    for (unsigned i = 0; i < n; i++) {
        unsigned b = take(c) & 0x7f;   /* ASCII: the JSON reader refuses invalid UTF-8 */
        if (b < 0x20 || b == '"' || b == '\\') fprintf(f, "\\u%04x", b);
        else fputc((int)b, f);
    }
    fputc('"', f);
}

/* "ids": [...], "tokens": [...] of n tokens (n may be 0), the members of a sequence. */
static void put_sequence_members(FILE *f, Choices *c, unsigned n) {
    fputs("\"ids\":[", f);
    for (unsigned i = 0; i < n; i++) { if (i) fputc(',', f); put_count(f, c, take(c)); }
    fputs("],\"tokens\":[", f);
    for (unsigned i = 0; i < n; i++) { if (i) fputc(',', f); put_text(f, c); }
    fputc(']', f);
}

static void put_sequence(FILE *f, Choices *c, unsigned n) {
    fputc('{', f);
    put_sequence_members(f, c, n);
    fputc('}', f);
}

static void put_pick(FILE *f, Choices *c) {
    fputs("\"id\":", f);
    put_count(f, c, take(c));
    fputs(",\"token\":", f);
    put_text(f, c);
}

/* forward: query_positions, key_count and attention [head][query][key], each from its own choice. */
static void put_forward(FILE *f, Choices *c, unsigned n_context) {
    unsigned n_query = take(c) % 3 + (take(c) > 250 ? 200 : 0), heads = take(c) % 3, layers = take(c) % 3;
    unsigned rows = take(c) > 230 ? take(c) % 4 : n_query, keys = take(c) > 230 ? take(c) % 6 : n_context;
    fputs("\"forward\":{\"start_position\":0,\"tokens_processed\":1,\"input_ids\":[1],"
          "\"attention_layout\":\"[layer][head][query][key]\",\"query_positions\":[", f);
    for (unsigned q = 0; q < n_query; q++) fprintf(f, "%s%u", q ? "," : "", n_context ? (q + take(c)) % n_context : 0);
    fputs("],\"key_count\":", f);
    put_count(f, c, n_context);
    fputs(",\"layers\":[", f);
    for (unsigned l = 0; l < layers; l++) {
        fprintf(f, "%s{\"layer\":%u,\"residual_norm_after_attention\":1,\"residual_norm\":2,\"attention\":[", l ? "," : "", l);
        for (unsigned h = 0; h < heads; h++) {
            fputs(h ? ",[" : "[", f);
            for (unsigned q = 0; q < rows; q++) {
                fputs(q ? ",[" : "[", f);
                for (unsigned k = 0; k < keys; k++) { if (k) fputc(',', f); put_number(f, c); }
                fputc(']', f);
            }
            fputc(']', f);
        }
        fputs("]}", f);
    }
    fputs("],\"kv_cache_positions\":0,\"embed_norm\":1,\"final_hidden_norm\":", f);
    put_number(f, c);
    fputc('}', f);
}

static void put_row(FILE *f, Choices *c, unsigned rank) {
    static const char *const cuts[] = {"null", "\"top-k\"", "\"top-p\"", "\"min-p\""};
    fputs("{\"rank\":", f);
    put_count(f, c, rank + 1);   /* ranks count from 1 */
    fputc(',', f);
    put_pick(f, c);
    fputs(",\"logit\":", f); put_number(f, c);
    fputs(",\"penalized\":", f); put_number(f, c);
    fputs(",\"scaled\":", f); put_number(f, c);
    fputs(",\"probability\":", f); put_number(f, c);
    fputs(",\"probability_before_temperature\":", f); put_number(f, c);
    fputs(",\"cumulative\":", f); put_number(f, c);
    fprintf(f, ",\"kept_top_k\":true,\"kept_top_p\":true,\"kept_min_p\":false,\"cut_by\":%s,\"renormalized\":", cuts[take(c) % 4]);
    put_number(f, c);
    fputs(",\"slice\":[0,", f); put_number(f, c);
    fputs("]}", f);
}

static void put_sampling_step(FILE *f, Choices *c, unsigned s, unsigned n_prompt) {
    unsigned n_context = n_prompt + s, n_table = take(c) % 5;
    fprintf(f, "{\"step\":%u,\"position\":%u,\"context\":", s, n_context);
    put_sequence(f, c, n_context);
    fputc(',', f);
    put_forward(f, c, n_context);
    fputs(",\"logits\":{\"top\":[{\"rank\":1,", f);
    put_pick(f, c);
    fputs(",\"logit\":1}]},\"selection\":{\"strategy\":\"top-k\",\"temperature\":1,\"repetition_penalty\":1,\"top_k\":", f);
    put_count(f, c, 2);
    fputs(",\"top_p\":1,\"min_p\":0,\"draw\":0.5,\"n_top_k\":2,\"n_top_p\":2,\"n_kept\":", f);
    put_count(f, c, 2);
    fputs(",\"kept_mass\":1,\"nucleus_size\":2,\"entropy_nats\":1,\"entropy_bits\":1,\"effective_candidates\":2,"
          "\"entropy_bits_before_temperature\":1,\"chosen\":{", f);
    put_pick(f, c);
    fputs(",\"rank\":", f);
    put_count(f, c, 1 + take(c) % 4);
    fputs(",\"probability\":0.5,\"renormalized\":0.5},\"alternatives\":{\"greedy\":{\"id\":1,\"token\":\"a\"},"
          "\"top-k=40\":{\"id\":1,\"token\":\"a\"},\"top-p=0.9\":{\"id\":1,\"token\":\"a\"},\"min-p=0.05\":{\"id\":1,\"token\":\"a\"}},"
          "\"table\":[", f);
    for (unsigned i = 0; i < n_table; i++) { if (i) fputc(',', f); put_row(f, c, i); }
    fputs("]},\"appended\":{", f);
    put_pick(f, c);
    fputs(",\"ids\":[1]}}", f);
}

static void put_beam_step(FILE *f, Choices *c, unsigned s, unsigned n_prompt) {
    static const char *const fates[] = {"kept", "finished", "pruned", "pruned_eos"};
    unsigned n_beams = take(c) % 4, n_cand = take(c) % 5;
    fprintf(f, "{\"step\":%u,\"beams\":[", s);
    for (unsigned b = 0; b < n_beams; b++) {
        fputs(b ? ",{" : "{", f);
        put_sequence_members(f, c, take(c) > 240 ? 0 : n_prompt + s + 1);
        fputs(",\"sum_logprob\":", f); put_number(f, c);
        fputs(",\"score\":", f); put_number(f, c);
        fputs(",\"parent\":", f);
        if (s == 0) fputs("null", f); else put_count(f, c, take(c) % 3);
        fputc('}', f);
    }
    fputs("],\"extensions_scored\":", f);
    put_count(f, c, 8);
    fputs(",\"candidates\":[", f);
    for (unsigned k = 0; k < n_cand; k++) {
        fprintf(f, "%s{\"rank\":%u,\"parent\":", k ? "," : "", k + 1);
        if (s == 0) fputs("null", f); else put_count(f, c, take(c) % 3);
        fputc(',', f);
        put_pick(f, c);
        fputs(",\"logprob\":-1,\"sum_logprob\":", f); put_number(f, c);
        fprintf(f, ",\"score\":-1,\"fate\":\"%s\",\"beam\":", fates[take(c) % 4]);
        put_count(f, c, take(c) % 3);
        fputc('}', f);
    }
    fputs("]}", f);
}

static void put_jacobi_block(FILE *f, Choices *c, unsigned b) {
    unsigned size = take(c) % 4 + 1, passes = take(c) % 3 + 1;
    fprintf(f, "{\"block\":%u,\"start_position\":", b);
    put_count(f, c, 4 * b);
    fprintf(f, ",\"size\":%u,\"block_size\":", size);
    put_count(f, c, size);
    fprintf(f, ",\"passes\":%u,\"last_committed\":{", passes);
    put_pick(f, c);
    fputs("},\"initial_guess\":", f);
    put_sequence(f, c, size);
    fputs(",\"iterations\":[", f);
    for (unsigned k = 0; k < passes; k++) {
        fprintf(f, "%s{\"pass\":%u,", k ? "," : "", k + 1);
        put_sequence_members(f, c, size);
        fputs(",\"changed\":[", f);
        for (unsigned i = 0; i < size; i++) fprintf(f, "%s%s", i ? "," : "", take(c) & 1 ? "true" : "false");
        fputs("],\"correct\":[", f);
        for (unsigned i = 0; i < size; i++) fprintf(f, "%s%s", i ? "," : "", take(c) & 1 ? "true" : "false");
        fputs("],\"n_changed\":", f);
        put_count(f, c, 1);
        fputs(",\"n_correct\":1}", f);
    }
    fputs("],\"converged_by\":\"fixed_point\",\"accepted\":", f);
    put_sequence(f, c, take(c) % (size + 1));
    fputs(",\"cut_by_eos\":false}", f);
}

static void put_generation(FILE *f, Choices *c) {
    unsigned what = take(c) % 3, n_prompt = take(c) % 4, n_steps = take(c) % 4;
    fputs("{\"format\":\"argen-trace\",\"version\":2,\"level\":\"summary\",\"top_n\":2,\"model\":{\"dir\":\"m\","
          "\"config\":{\"n_embd\":4,\"n_head\":1,\"n_layer\":1,\"n_positions\":8,\"vocab_size\":", f);
    put_count(f, c, 10);
    fprintf(f, ",\"layer_norm_epsilon\":1e-5,\"bos_token_id\":0,\"eos_token_id\":0}},\"settings\":{\"strategy\":\"%s\","
               "\"temperature\":1,\"top_k\":2,\"top_p\":1,\"min_p\":0,\"repetition_penalty\":1,\"beams\":2,"
               "\"length_penalty\":1,\"max_new_tokens\":2,\"kv_cache\":true},\"seed\":",
            what == 0 ? "top-k" : what == 1 ? "beam" : "jacobi");
    put_count(f, c, 0);
    fputs(",\"rng\":{\"algorithm\":\"PCG32\",\"seed\":", f);
    put_count(f, c, 0);
    fputs(",\"stream\":0,\"uniform\":\"u\"},\"prompt\":", f);
    put_sequence(f, c, n_prompt);
    fputs(",\"steps\":[", f);
    for (unsigned s = 0; s < n_steps; s++) {
        if (s) fputc(',', f);
        if (what == 0) put_sampling_step(f, c, s, n_prompt);
        else if (what == 1) put_beam_step(f, c, s, n_prompt);
        else put_jacobi_block(f, c, s);
    }
    fputs("],\"result\":{\"stop_reason\":\"max_new_tokens\",\"sequences\":[", f);
    if (take(c) & 1) {
        fputc('{', f);
        put_sequence_members(f, c, n_prompt + n_steps);
        fputs(",\"sum_logprob\":0,\"score\":0}", f);
    }
    fputs("]}}", f);
}

static void put_compare(FILE *f, Choices *c) {
    unsigned n_prompt = take(c) % 3, chains = take(c) % 4;
    fputs("{\"format\":\"argen-compare\",\"version\":1,\"seed\":", f);
    put_count(f, c, 1);
    fputs(",\"shared_draws\":false,\"prompt_ids\":[", f);
    for (unsigned i = 0; i < n_prompt; i++) fprintf(f, "%s%u", i ? "," : "", take(c));
    fputs("],\"prompt_tokens\":[", f);
    for (unsigned i = 0; i < n_prompt; i++) { if (i) fputc(',', f); put_text(f, c); }
    fputs("],\"strategies\":[", f);
    for (unsigned k = 0; k < chains; k++) {
        unsigned n = take(c) % 4;
        fputs(k ? ",{\"name\":" : "{\"name\":", f);
        put_text(f, c);
        fputs(",\"strategy\":\"top-k\",\"top_k\":2,\"top_p\":1,\"min_p\":0,\"temperature\":1,\"beams\":0,"
              "\"stop_reason\":\"eos\",\"loop\":{\"start_step\":", f);
        put_count(f, c, 0);
        fputs(",\"length\":", f);
        put_count(f, c, 1);
        fputs("},\"steps\":[", f);
        for (unsigned s = 0; s < n; s++) {
            fputs(s ? ",{" : "{", f);
            put_pick(f, c);
            fputs(",\"probability\":", f);
            put_number(f, c);
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("]}", f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Choices c = {data, size};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    FUZZ_CHECK(f != NULL, "open_memstream");
    if (take(&c) % 4 == 3) put_compare(f, &c);
    else put_generation(f, &c);
    FUZZ_CHECK(fclose(f) == 0, "memstream");

    TraceDoc doc;
    Error err = {{0}};
    int refused = trace_doc_parse(&doc, text, len, "gen.json", &err) != 0;
    if (getenv("FUZZ_TRACE_GEN_SHOW"))   /* to see what the generator makes: the document and the verdict */
        fprintf(stderr, "%s\n%s\n", text, refused ? err.msg : "accepted");
    if (refused) {
        FUZZ_CHECK_MESSAGE(err.msg);
        free(text);
        return 0;
    }
    FILE *sink = fopen("/dev/null", "w");
    FUZZ_CHECK(sink != NULL, "cannot open /dev/null");
    size_t n_kinds;
    const DiagramKind *kinds = diagram_kinds(&n_kinds);
    RenderOptions o;
    memset(&o, 0, sizeof o);
    if (doc.n_steps > 0) {
        o.step = doc.n_steps - 1;
        const TracedStep *s = &doc.steps[o.step];
        if (s->n_layers > 0) {
            o.layer = s->n_layers - 1;
            if (s->layers[o.layer].n_head > 0) o.head = s->layers[o.layer].n_head - 1;
        }
    }
    for (size_t k = 0; k < n_kinds; k++) {
        if (!kinds[k].applies(&doc)) continue;
        o.top = size % 2 ? kinds[k].default_top : 64;
        kinds[k].write(sink, &doc, &o);
    }
    fclose(sink);
    trace_doc_free(&doc);
    free(text);
    return 0;
}
