/*
 * check_render.c - the trace reader and the diagram writers, on a small
 * hand-written trace: what the reader keeps equals what the text says, a
 * trace that breaks the schema is refused with its JSON path named, token
 * text is escaped for Graphviz HTML-like labels, and the same trace gives
 * the same bytes.  (tests/test_render.sh runs dot on real traces.)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "trace/render.h"
#include "testutil.h"
#include "trace/trace_read.h"

/* A two-token prompt, one step, one layer with one head; every value typed
 * by hand.  Row 1 is the chosen one; top-k 1 cut nothing because top_k is
 * 2 here and only 2 rows are shown. */
static const char *const trace_text =
    "{\"format\":\"argen-trace\",\"version\":2,\"level\":\"summary\",\"top_n\":2,"
    "\"model\":{\"dir\":\"m\",\"config\":{\"n_embd\":4,\"n_head\":1,\"n_layer\":1,\"n_positions\":8,"
    "\"vocab_size\":10,\"layer_norm_epsilon\":1e-5,\"bos_token_id\":9,\"eos_token_id\":9}},"
    "\"settings\":{\"strategy\":\"top-k\",\"temperature\":0.5,\"top_k\":2,\"top_p\":1,\"min_p\":0,"
    "\"repetition_penalty\":1,\"beams\":1,\"length_penalty\":1,\"max_new_tokens\":1,\"kv_cache\":true},"
    "\"seed\":7,\"rng\":{\"algorithm\":\"PCG32\",\"seed\":7,\"stream\":0,\"uniform\":\"u\"},"
    "\"prompt\":{\"ids\":[3,4],\"tokens\":[\"a\",\" <b>\"]},"
    "\"steps\":[{\"step\":0,\"position\":2,\"context\":{\"ids\":[3,4],\"tokens\":[\"a\",\" <b>\"]},"
    "\"forward\":{\"start_position\":0,\"tokens_processed\":2,\"input_ids\":[3,4],"
    "\"attention_layout\":\"[layer][head][query][key]\",\"query_positions\":[1],\"key_count\":2,"
    "\"layers\":[{\"layer\":0,\"residual_norm_after_attention\":1.5,\"residual_norm\":2.5,"
    "\"attention\":[[[0.25,0.75]]]}],\"kv_cache_positions\":2,\"embed_norm\":0.5,\"final_hidden_norm\":3.25},"
    "\"logits\":{\"top\":[{\"rank\":1,\"id\":5,\"token\":\"x\",\"logit\":2},{\"rank\":2,\"id\":6,\"token\":null,\"logit\":1}]},"
    "\"selection\":{\"strategy\":\"top-k\",\"temperature\":0.5,\"repetition_penalty\":1,\"top_k\":2,\"top_p\":1,"
    "\"min_p\":0,\"draw\":0.9,\"n_top_k\":2,\"n_top_p\":2,\"n_kept\":2,\"kept_mass\":0.8,\"nucleus_size\":2,"
    "\"entropy_nats\":0.5,\"entropy_bits\":0.72,\"effective_candidates\":1.65,"
    "\"chosen\":{\"id\":6,\"token\":null,\"rank\":2,\"probability\":0.2,\"renormalized\":0.25},"
    "\"alternatives\":{\"greedy\":{\"id\":5,\"token\":\"x\"},\"top-k=40\":{\"id\":5,\"token\":\"x\"},"
    "\"top-p=0.9\":{\"id\":5,\"token\":\"x\"},\"min-p=0.05\":{\"id\":5,\"token\":\"x\"}},"
    "\"table\":[{\"rank\":1,\"id\":5,\"token\":\"x\",\"logit\":2,\"penalized\":2,\"scaled\":4,\"probability\":0.6,"
    "\"cumulative\":0.6,\"kept_top_k\":true,\"kept_top_p\":true,\"kept_min_p\":true,\"cut_by\":null,"
    "\"renormalized\":0.75,\"slice\":[0,0.75]},"
    "{\"rank\":2,\"id\":6,\"token\":null,\"logit\":1,\"penalized\":1,\"scaled\":2,\"probability\":0.2,"
    "\"cumulative\":0.8,\"kept_top_k\":true,\"kept_top_p\":true,\"kept_min_p\":true,\"cut_by\":null,"
    "\"renormalized\":0.25,\"slice\":[0.75,1]}]},"
    "\"appended\":{\"id\":6,\"token\":null,\"ids\":[3,4,6]}}],"
    "\"result\":{\"stop_reason\":\"max_new_tokens\",\"sequences\":[{\"ids\":[3,4,6],\"tokens\":[\"a\",\" <b>\",null],"
    "\"sum_logprob\":-1.6,\"score\":0}]}}";

/* trace_text with the first `from` replaced by `to` (free() it). */
static char *mutated(const char *from, const char *to) {
    const char *at = strstr(trace_text, from);
    ck_assert_msg(at != NULL, "test bug: '%s' not in the trace", from);
    size_t pre = (size_t)(at - trace_text), n = strlen(trace_text) - strlen(from) + strlen(to);
    char *s = malloc(n + 1);
    memcpy(s, trace_text, pre);
    strcpy(s + pre, to);
    strcat(s, at + strlen(from));
    return s;
}

/* The reader refuses the mutated trace with exactly `want`. */
static void expect_refused(const char *from, const char *to, const char *want) {
    char *text = mutated(from, to);
    TraceDoc doc;
    Error err;
    ck_assert_int_eq(trace_doc_parse(&doc, text, strlen(text), "t.json", &err), -1);
    ck_assert_str_eq(err.msg, want);
    free(text);
}

START_TEST(test_reads_what_the_file_says) {
    TraceDoc doc;
    Error err;
    ck_assert_msg(trace_doc_parse(&doc, trace_text, strlen(trace_text), "t.json", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(doc.kind, TRACE_DOC_GENERATION);
    ck_assert_uint_eq(doc.n_steps, 1);
    ck_assert_uint_eq(doc.n_prompt, 2);
    ck_assert_int_eq(doc.prompt[1].id, 4);
    ck_assert_uint_eq(doc.prompt[1].len, 4);
    const TracedStep *s = &doc.steps[0];
    ck_assert_uint_eq(s->n_table, 2);
    ck_assert(s->table[0].probability == 0.6 && s->table[1].scaled == 2 && s->table[1].slice_lo == 0.75);
    ck_assert_ptr_null(s->table[1].token.text);   /* null token: no vocabulary */
    ck_assert_int_eq(s->chosen_rank, 2);   /* ranks count from 1: the second most likely */
    ck_assert_int_eq(s->table[0].rank, 1);
    ck_assert_int_eq(s->logits[0].rank, 1);
    ck_assert(s->draw == 0.9 && s->temperature == 0.5);
    ck_assert_uint_eq(s->layers[0].n_key, 2);
    ck_assert(s->layers[0].attention[0] == 0.25 && s->layers[0].attention[1] == 0.75);
    ck_assert_uint_eq(s->n_alternatives, 4);
    ck_assert_str_eq(s->alternatives[1].name, "top-k=40");
    trace_doc_free(&doc);
}
END_TEST

/* A greedy step records no draw (null) and its rows below the argmax as cut by "argmax". */
START_TEST(test_argmax_step_has_no_draw) {
    char *a = mutated("\"draw\":0.9", "\"draw\":null");
    const char *from = "\"cut_by\":null,\"renormalized\":0.25";
    char *at = strstr(a, from);
    ck_assert_ptr_nonnull(at);
    char *b = malloc(strlen(a) + 16);
    size_t pre = (size_t)(at - a);
    memcpy(b, a, pre);
    sprintf(b + pre, "\"cut_by\":\"argmax\",\"renormalized\":0.25%s", at + strlen(from));
    TraceDoc doc;
    Error err;
    int rc = trace_doc_parse(&doc, b, strlen(b), "t.json", &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_int_eq(doc.steps[0].has_draw, 0);
    ck_assert_str_eq(doc.steps[0].table[1].cut_by, "argmax");
    trace_doc_free(&doc);
    free(a);
    free(b);
    TraceDoc doc2;
    char *c = mutated("\"draw\":0.9", "\"draw\":0.25");
    ck_assert_int_eq(trace_doc_parse(&doc2, c, strlen(c), "t.json", &err), 0);
    ck_assert_int_eq(doc2.steps[0].has_draw, 1);
    trace_doc_free(&doc2);
    free(c);
}
END_TEST

START_TEST(test_refuses_with_the_path) {
    expect_refused("\"probability\":0.6", "\"probability\":\"0.6\"",
                   "t.json: steps[0].selection.table[0].probability: expected a number");
    expect_refused("\"draw\":0.9,", "", "t.json: steps[0].selection.draw: expected a number (missing)");
    expect_refused("\"draw\":0.9", "\"draw\":1.5",
                   "t.json: steps[0].selection.draw: expected a number in [0, 1), or null (an argmax step)");
    expect_refused("argen-trace", "argen-trcae", "t.json: format: expected \"argen-trace\" or \"argen-compare\"");
    expect_refused("\"version\":2", "\"version\":3", "t.json: version: expected 2");
    /* version 1 counted ranks from 0: refused, not read one off */
    expect_refused("\"version\":2", "\"version\":1",
                   "t.json: version: expected 2 (a version 1 trace counts ranks from 0; trace the run again with this argen)");
    expect_refused("\"table\":[{\"rank\":1,", "\"table\":[{\"rank\":0,",
                   "t.json: steps[0].selection.table[0].rank: expected an integer >= 1");
    expect_refused("\"logit\":2},{\"rank\":2", "\"logit\":2},{\"rank\":0",
                   "t.json: steps[0].logits.top[1].rank: expected an integer >= 1");
    expect_refused("\"rank\":2,\"probability\":0.2", "\"rank\":0,\"probability\":0.2",
                   "t.json: steps[0].selection.chosen.rank: expected an integer >= 1");
    expect_refused("[[[0.25,0.75]]]", "[[[0.25]]]",
                   "t.json: steps[0].forward.layers[0].attention: declares 1x1x2 weights "
                   "(heads x query_positions x key_count) but holds 1");
    expect_refused("[[[0.25,0.75]]]", "[[[0.25],[0.75]]]",
                   "t.json: steps[0].forward.layers[0].attention[0]: expected an array of 1 query rows (query_positions)");
    expect_refused("[[[0.25,0.75]]]", "[[[0.25,\"x\"]]]",
                   "t.json: steps[0].forward.layers[0].attention[0][0][1]: expected a number or null");
    expect_refused("\"tokens\":[\"a\",\" <b>\"]}", "\"tokens\":[\"a\"]}",
                   "t.json: prompt.tokens: expected 2 tokens, one per id");
    expect_refused("\"cut_by\":null", "\"cut_by\":\"top-q\"",
                   "t.json: steps[0].selection.table[0].cut_by: expected null, \"top-k\", \"top-p\", \"min-p\", \"min-new-tokens\" or \"argmax\"");
    expect_refused("\"level\":\"summary\"", "\"level\":3", "t.json: level: expected \"summary\" or \"full\"");
    expect_refused("\"top-p=0.9\"", "\"top-p=0.8\"",
                   "t.json: steps[0].selection.alternatives.top-p=0.9: expected an object {id, token} (missing)");
}
END_TEST

START_TEST(test_token_escaping) {
    /* quotes, angle brackets, ampersand, newline, backslash, a control byte,
     * a byte that is not UTF-8, a space, then valid UTF-8 (é = C3 A9) */
    const char raw[] = "\"<a>&\n\\\x01\xff \xc3\xa9";
    TracedToken t = {1, raw, sizeof raw - 1};
    char out[512];
    token_html(out, sizeof out, &t);
    ck_assert_str_eq(out, "&#34;&#60;a&#62;&#38;&#92;n&#92;&#92;&#92;x01&#92;xFF&#9251;\xc3\xa9");
    TracedToken nul = {2, "a\0b", 3};
    token_html(out, sizeof out, &nul);
    ck_assert_str_eq(out, "a&#92;x00b");
    TracedToken none = {42, NULL, 0};
    token_html(out, sizeof out, &none);
    ck_assert_str_eq(out, "#42");
    /* A half UTF-8 sequence at the end (C3 alone) is an invalid byte. */
    TracedToken half = {3, "x\xc3", 2};
    token_html(out, sizeof out, &half);
    ck_assert_str_eq(out, "x&#92;xC3");
    /* A long token is cut with an ellipsis and never overflows. */
    char lng[200];
    memset(lng, '<', sizeof lng);
    TracedToken longt = {4, lng, sizeof lng};
    char small[64];
    token_html(small, sizeof small, &longt);
    ck_assert(strlen(small) < sizeof small);
    ck_assert_ptr_nonnull(strstr(small, "&#8230;"));
}
END_TEST

/* Every byte from 0 to 127: letters and digits pass through; every other
 * printable byte is a numeric character reference, so no byte of a token
 * can end a label, a tag, an attribute or the attribute list (a ']' once
 * broke every diagram); control bytes are shown with an escaped backslash. */
START_TEST(test_every_ascii_byte_escaped) {
    for (int c = 0; c < 128; c++) {
        char raw[1] = {(char)c}, out[64], want[64];
        TracedToken t = {c, raw, 1};
        token_html(out, sizeof out, &t);
        int alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        if (alnum) snprintf(want, sizeof want, "%c", c);
        else if (c == ' ') snprintf(want, sizeof want, "&#9251;");
        else if (c == '\n') snprintf(want, sizeof want, "&#92;n");
        else if (c == '\t') snprintf(want, sizeof want, "&#92;t");
        else if (c == '\r') snprintf(want, sizeof want, "&#92;r");
        else if (c == '\\') snprintf(want, sizeof want, "&#92;&#92;");
        else if (c < 0x20 || c == 0x7f) snprintf(want, sizeof want, "&#92;x%02X", c);
        else snprintf(want, sizeof want, "&#%d;", c);
        ck_assert_msg(strcmp(out, want) == 0, "byte 0x%02x: got '%s', expected '%s'", c, out, want);
    }
    char out[64];
    text_html(out, sizeof out, "top-k=40 ]");
    ck_assert_str_eq(out, "top&#45;k&#61;40 &#93;");
}
END_TEST

/* Seeds to 2^53 are read (generate accepts them); beyond, a clear refusal. */
START_TEST(test_seeds_to_2_pow_53) {
    char *text = mutated("\"seed\":7,\"rng\":{\"algorithm\":\"PCG32\",\"seed\":7",
                         "\"seed\":9007199254740992,\"rng\":{\"algorithm\":\"PCG32\",\"seed\":9007199254740992");
    TraceDoc doc;
    Error err;
    ck_assert_msg(trace_doc_parse(&doc, text, strlen(text), "t.json", &err) == 0, "%s", err.msg);
    ck_assert(doc.seed == 9007199254740992L);
    trace_doc_free(&doc);
    free(text);
    expect_refused("\"seed\":7,", "\"seed\":9007199254740994,", "t.json: seed: expected an integer in [0, 2^53]");
}
END_TEST

/* The declared attention shape is checked against the weights present
 * before anything is allocated: a key_count that would ask for gigabytes is
 * refused naming the field (tests/test_render_hostile.sh also has a product
 * that wraps to 0 in 64 bits). */
START_TEST(test_attention_shape_before_allocation) {
    expect_refused("\"key_count\":2,", "\"key_count\":2000000000,",
                   "t.json: steps[0].forward.layers[0].attention: declares 1x1x2000000000 weights "
                   "(heads x query_positions x key_count) but holds 2");
}
END_TEST

/* argen writes NaN and infinity as null: a null where a number belongs says
 * so; a number that overflows a double (1e999) is refused too. */
START_TEST(test_non_finite_named) {
    expect_refused("\"embed_norm\":0.5", "\"embed_norm\":null",
                   "t.json: steps[0].forward.embed_norm: expected a number, got null (argen writes NaN and infinity "
                   "as null: the run produced a non-finite value here)");
    expect_refused("\"embed_norm\":0.5", "\"embed_norm\":1e999",
                   "t.json: steps[0].forward.embed_norm: expected a finite number (it overflows a double)");
}
END_TEST

START_TEST(test_viridis_ends) {
    char c[8];
    viridis(c, 0);
    ck_assert_str_eq(c, "#440154");
    viridis(c, 1);
    ck_assert_str_eq(c, "#FDE725");
    viridis(c, 0.5);
    ck_assert_str_eq(c, "#21918C");
}
END_TEST

/* The DOT of one kind for the hand-written trace. */
static char *dot_of(const char *kind, const TraceDoc *doc) {
    const DiagramKind *k = diagram_kind_find(kind);
    ck_assert_ptr_nonnull(k);
    RenderOptions o = {0, 0, 0, 10, 0};   /* the detail layout */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    k->write(f, doc, &o);
    fclose(f);
    return buf;
}

START_TEST(test_probs_labels_carry_the_numbers) {
    TraceDoc doc;
    Error err;
    ck_assert_int_eq(trace_doc_parse(&doc, trace_text, strlen(trace_text), "t.json", &err), 0);
    char *dot = dot_of("probs", &doc);
    /* Values typed in the trace above, printed %.4g. */
    ck_assert_ptr_nonnull(strstr(dot, "ID=\"r1_probability\" ALIGN=\"RIGHT\">0.6<"));
    ck_assert_ptr_nonnull(strstr(dot, "ID=\"r1_scaled\" ALIGN=\"RIGHT\">4<"));
    ck_assert_ptr_nonnull(strstr(dot, ">[0.75, 1)<"));
    ck_assert_ptr_nonnull(strstr(dot, "<B>0.25</B>"));   /* the chosen row is bold */
    ck_assert_ptr_nonnull(strstr(dot, "#6"));            /* a null token shows its id */
    char *again = dot_of("probs", &doc);
    ck_assert_str_eq(dot, again);                         /* deterministic */
    free(dot);
    free(again);
    dot = dot_of("attention", &doc);
    ck_assert_ptr_nonnull(strstr(dot, "k0 -> q1"));
    ck_assert_ptr_nonnull(strstr(dot, "&#9251;&#60;b&#62;"));
    free(dot);
    dot = dot_of("heatmap", &doc);
    ck_assert_ptr_nonnull(strstr(dot, "ID=\"a_L0_H0_k1\""));
    ck_assert_ptr_nonnull(strstr(dot, ">0.750<"));
    free(dot);
    trace_doc_free(&doc);
}
END_TEST

START_TEST(test_compare_document) {
    const char *text = "{\"format\":\"argen-compare\",\"version\":1,\"seed\":1,\"shared_draws\":false,\"prompt_ids\":[1],"
                       "\"strategies\":[{\"name\":\"greedy\",\"strategy\":\"greedy\",\"top_k\":0,\"top_p\":1,\"min_p\":0,"
                       "\"temperature\":1,\"beams\":0,\"stop_reason\":\"max_new_tokens\",\"loop\":null,"
                       "\"steps\":[{\"id\":2,\"token\":\"b\",\"probability\":0.5},{\"id\":3,\"token\":\"c\",\"probability\":0.25}]},"
                       "{\"name\":\"top-k=2\",\"strategy\":\"top-k\",\"top_k\":2,\"top_p\":1,\"min_p\":0,"
                       "\"temperature\":1,\"beams\":0,\"stop_reason\":\"max_new_tokens\",\"loop\":{\"start_step\":0,\"length\":1},"
                       "\"steps\":[{\"id\":2,\"token\":\"b\",\"probability\":0.5},{\"id\":4,\"token\":\"d\",\"probability\":0.125}]}]}";
    TraceDoc doc;
    Error err;
    ck_assert_msg(trace_doc_parse(&doc, text, strlen(text), "c.json", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(doc.kind, TRACE_DOC_COMPARE);
    ck_assert_uint_eq(doc.n_chains, 2);
    ck_assert_int_eq(doc.chains[1].loop_length, 1);
    char *dot = dot_of("compare", &doc);
    /* they agree at step 0 and diverge at step 1: c1_1 is outlined, the edge into it marked */
    ck_assert_ptr_nonnull(strstr(dot, "c1_0 -> c1_1 [color=\"#D55E00\""));
    ck_assert_ptr_nonnull(strstr(dot, "diverge"));
    ck_assert_ptr_nonnull(strstr(dot, "0.125"));
    free(dot);
    trace_doc_free(&doc);
}
END_TEST

static Suite *render_suite(void) {
    Suite *s = suite_create("render");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_reads_what_the_file_says);
    tcase_add_test(core, test_token_escaping);
    tcase_add_test(core, test_viridis_ends);
    tcase_add_test(core, test_probs_labels_carry_the_numbers);
    tcase_add_test(core, test_compare_document);
    suite_add_tcase(s, core);
    TCase *edge = tcase_create("edge");
    tcase_add_test(edge, test_refuses_with_the_path);
    tcase_add_test(edge, test_argmax_step_has_no_draw);
    tcase_add_test(edge, test_every_ascii_byte_escaped);
    tcase_add_test(edge, test_seeds_to_2_pow_53);
    tcase_add_test(edge, test_attention_shape_before_allocation);
    tcase_add_test(edge, test_non_finite_named);
    suite_add_tcase(s, edge);
    return s;
}

int main(void) { return run_suite(render_suite()); }
