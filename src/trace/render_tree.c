/*
 * render_tree.c - the shape of a whole run:
 *
 *   tree (sampling): the prompt as the root; at each step the top-N
 *        alternatives as children of the token chosen the step before, each
 *        edge labelled with its probability; the path taken in bold.
 *   tree (beam search): at each step every candidate the step ranked (the
 *        2N best extensions) as a child of the beam it extends (the trace's
 *        parent index), labelled with its token, sum of log-probabilities
 *        and score; kept candidates (the next live beams) solid, finished
 *        hypotheses (eos) doubly outlined, pruned ones dashed with why; the
 *        best final sequence's path in bold.  Traces written before the
 *        candidates were recorded: the live beams alone, parents found by
 *        their ids, beams no later beam extends drawn as pruned.
 *   compare: the prompt, then one chain per strategy of `argen compare`,
 *        steps aligned in columns; a token that differs from the first
 *        chain's is outlined, the first step where the chains diverge is
 *        marked, loops noted.
 *
 * Node ids: prompt, s<step>_r<rank>, b<step>_<beam>, k<step>_<rank>,
 * c<chain>_<step>.
 */
#include <stdio.h>
#include <string.h>

#include "trace/render.h"

#define PROMPT_SHOWN 12   /* tokens of the prompt shown in the root */
#define SLIDE_STEPS 5     /* slide layout: steps of a sampling tree shown, around --step */
#define SLIDE_TOP 3       /* slide layout: alternatives per step at most */

/* The prompt as one line of tokens (no separators: the ␣ marks show the spaces). */
static void prompt_node(FILE *f, const TracedToken *toks, size_t n) {
    char t[512];
    size_t from = n > PROMPT_SHOWN ? n - PROMPT_SHOWN : 0;
    fprintf(f, "  prompt [shape=box, style=\"rounded,filled\", fillcolor=\"#DDDDDD\", penwidth=2, label=<<B>prompt</B><BR/>%s",
            from > 0 ? "&#8230;" : "");
    for (size_t i = from; i < n; i++) {
        token_html(t, sizeof t, &toks[i]);
        fprintf(f, "%s%s", i > from ? "&#183;" : "", t);
    }
    fprintf(f, ">];\n");
}

/* ---- sampling ---- */

static void sampled_step(FILE *f, const TracedStep *s, size_t top, const char *parent, const RenderOptions *o) {
    char t[512], p[48], id[48];
    for (size_t i = 0; i < s->n_table; i++) {
        const TracedRow *r = &s->table[i];
        int chosen = r->rank == s->chosen_rank;
        int rule_cut = r->cut_by && strcmp(r->cut_by, "argmax") != 0;   /* greedy's others were not cut, only not taken */
        if (i >= top && !chosen) continue;
        token_html(t, sizeof t, &r->token);
        if (o->slide) fmt_percent(p, sizeof p, r->probability);
        else fmt_num(p, sizeof p, r->probability);
        snprintf(id, sizeof id, "s%d_r%d", s->step, r->rank);
        fprintf(f, "  %s [shape=box, style=\"rounded%s\", fillcolor=\"%s\", color=\"%s\", penwidth=%d, "
                   "label=<%s%s%s%s>];\n",
                id, chosen ? ",filled" : rule_cut ? ",dashed" : "", chosen ? COLOR_CHOSEN_BG : "white",
                chosen ? COLOR_BLUE : COLOR_GREY, chosen ? 3 : 1, chosen ? "<B>" : "", t, chosen ? "</B>" : "",
                rule_cut ? (o->slide ? "<BR/>cut" : "<BR/><FONT POINT-SIZE=\"12\">cut</FONT>") : "");
        fprintf(f, "  %s -> %s [label=<%s>, penwidth=%d, color=\"%s\", fontcolor=\"%s\"%s];\n", parent, id, p,
                chosen ? 4 : 1, chosen ? COLOR_BLUE : COLOR_GREY, chosen ? "black" : "#555555",
                chosen ? "" : ", style=dashed");
    }
}

/* The whole run; on a slide SLIDE_STEPS steps around o->step, rooted at the context before them. */
static void sampling_tree(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    char parent[48] = "prompt";
    size_t from = 0, to = doc->n_steps, top = o->top;
    if (o->slide) {
        from = o->step > SLIDE_STEPS / 2 ? o->step - SLIDE_STEPS / 2 : 0;
        to = from + SLIDE_STEPS < doc->n_steps ? from + SLIDE_STEPS : doc->n_steps;
        if (to - from < SLIDE_STEPS && to >= SLIDE_STEPS) from = to - SLIDE_STEPS;
        if (top > SLIDE_TOP) top = SLIDE_TOP;
    }
    if (from > 0) prompt_node(f, doc->steps[from].context, doc->steps[from].n_context);
    else prompt_node(f, doc->prompt, doc->n_prompt);
    for (size_t i = from; i < to; i++) {
        const TracedStep *s = &doc->steps[i];
        sampled_step(f, s, top, parent, o);
        snprintf(parent, sizeof parent, "s%d_r%d", s->step, s->chosen_rank);
    }
}

/* ---- beam search ---- */

/* 1 when a's ids are the first a->n ids of b. */
static int is_prefix(const TracedBeam *a, const TracedBeam *b) {
    if (a->n > b->n) return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->tokens[i].id != b->tokens[i].id) return 0;
    return 1;
}

/* The beam of step s-1 that beam b of step s extends, or -1. */
static int beam_parent(const TraceDoc *doc, size_t s, const TracedBeam *b) {
    if (s == 0) return -1;
    const TracedBeamStep *prev = &doc->beam_steps[s - 1];
    for (size_t i = 0; i < prev->n_beams; i++)
        if (prev->beams[i].n + 1 == b->n && is_prefix(&prev->beams[i], b)) return (int)i;
    return -1;
}

/* 1 when some beam of step s+1 extends beam b of step s (the last step's beams are all kept). */
static int beam_extended(const TraceDoc *doc, size_t s, const TracedBeam *b) {
    if (s + 1 >= doc->n_beam_steps) return 1;
    const TracedBeamStep *next = &doc->beam_steps[s + 1];
    for (size_t i = 0; i < next->n_beams; i++)
        if (is_prefix(b, &next->beams[i])) return 1;
    return 0;
}

static void beam_node(FILE *f, const TraceDoc *doc, size_t s, size_t i, int on_best, int font) {
    const TracedBeam *b = &doc->beam_steps[s].beams[i];
    char t[512], sc[48], lp[48];
    int pruned = !beam_extended(doc, s, b);
    token_html(t, sizeof t, &b->tokens[b->n - 1]);
    fmt_num(sc, sizeof sc, b->score);
    fmt_num(lp, sizeof lp, b->sum_logprob);
    fprintf(f, "  b%zu_%zu [shape=box, style=\"rounded%s\", fillcolor=\"%s\", color=\"%s\", penwidth=%d, "
               "label=<%s%s%s<BR/><FONT POINT-SIZE=\"%d\">score %s<BR/>&#931; log p %s%s</FONT>>];\n",
            s, i, on_best ? ",filled" : pruned ? ",dashed" : "", on_best ? COLOR_CHOSEN_BG : "white",
            on_best ? COLOR_BLUE : pruned ? COLOR_VERMILLION : "#555555", on_best ? 3 : 1, on_best ? "<B>" : "", t,
            on_best ? "</B>" : "", font, sc, lp, pruned ? "<BR/>pruned" : "");
}

static void beam_tree(FILE *f, const TraceDoc *doc, int font) {
    const TracedBeam *best = doc->n_sequences > 0 ? &doc->sequences[0] : NULL;
    prompt_node(f, doc->prompt, doc->n_prompt);
    for (size_t s = 0; s < doc->n_beam_steps; s++)
        for (size_t i = 0; i < doc->beam_steps[s].n_beams; i++) {
            const TracedBeam *b = &doc->beam_steps[s].beams[i];
            int on_best = best && is_prefix(b, best);
            int parent = beam_parent(doc, s, b);
            char from[48] = "prompt";
            if (parent >= 0) snprintf(from, sizeof from, "b%zu_%d", s - 1, parent);
            beam_node(f, doc, s, i, on_best, font);
            fprintf(f, "  %s -> b%zu_%zu [penwidth=%d, color=\"%s\"%s];\n", from, s, i, on_best ? 4 : 1,
                    on_best ? COLOR_BLUE : COLOR_GREY, parent < 0 && s > 0 ? ", style=dotted" : "");
        }
}

/* ---- beam search with every candidate (traces that record them) ---- */

/* 1 when the trace's beam steps carry candidates and parents. */
static int has_candidates(const TraceDoc *doc) {
    for (size_t s = 0; s < doc->n_beam_steps; s++)
        if (doc->beam_steps[s].n_candidates == 0) return 0;
    return doc->n_beam_steps > 0;
}

/* The node of the candidate at step s that became beam `beam` ("prompt" before step 0). */
static void beam_origin(char *out, size_t n, const TraceDoc *doc, size_t s, int beam) {
    snprintf(out, n, "prompt");
    if (beam < 0) return;
    const TracedBeamStep *bs = &doc->beam_steps[s];
    for (size_t c = 0; c < bs->n_candidates; c++)
        if (bs->candidates[c].beam == beam) { snprintf(out, n, "k%zu_%zu", s, c); return; }
}

/* 1 when the candidate (parent beam + token, at step s) starts the best sequence. */
static int candidate_on_best(const TraceDoc *doc, size_t s, const TracedCandidate *c, const TracedBeam *best) {
    size_t n = doc->n_prompt + s + 1;
    if (!best || best->n < n || best->tokens[n - 1].id != c->token.id) return 0;
    if (c->parent < 0) {
        for (size_t i = 0; i < doc->n_prompt; i++)
            if (doc->prompt[i].id != best->tokens[i].id) return 0;
        return 1;
    }
    return s > 0 && is_prefix(&doc->beam_steps[s - 1].beams[c->parent], best);
}

/* On a slide (slide = 1) the score line is left out and the reason is one word. */
static void candidate_node(FILE *f, size_t s, size_t k, const TracedCandidate *c, int on_best, int slide) {
    char t[512], sc[48], lp[48];
    int kept = strcmp(c->fate, "kept") == 0, finished = strcmp(c->fate, "finished") == 0;
    const char *why = kept ? "" : finished ? "<BR/>finished (eos)"
                    : slide ? "<BR/>pruned"
                    : strcmp(c->fate, "pruned_eos") == 0 ? "<BR/>pruned: eos after the first N" : "<BR/>pruned: rank";
    token_html(t, sizeof t, &c->token);
    fmt_num(sc, sizeof sc, c->score);
    fmt_num(lp, sizeof lp, c->sum_logprob);
    fprintf(f, "  k%zu_%zu [shape=box, style=\"rounded%s\", fillcolor=\"%s\", color=\"%s\", penwidth=%d%s, "
               "label=<%s%s%s<BR/><FONT POINT-SIZE=\"%d\">&#931; log p <FONT COLOR=\"black\">%s</FONT>"
               "%s%s%s</FONT>>];\n",
            s, k, on_best ? ",filled" : kept || finished ? "" : ",dashed", on_best ? COLOR_CHOSEN_BG : "white",
            on_best ? COLOR_BLUE : kept ? "#555555" : finished ? COLOR_GREEN : COLOR_GREY,
            on_best ? 3 : kept || finished ? 2 : 1, finished ? ", peripheries=2" : "",
            on_best || kept ? "<B>" : "", t, on_best || kept ? "</B>" : "", slide ? 18 : 13, lp, slide ? "" : "<BR/>score ",
            slide ? "" : sc, why);
}

static void beam_tree_candidates(FILE *f, const TraceDoc *doc, int slide) {
    const TracedBeam *best = doc->n_sequences > 0 ? &doc->sequences[0] : NULL;
    prompt_node(f, doc->prompt, doc->n_prompt);
    for (size_t s = 0; s < doc->n_beam_steps; s++) {
        const TracedBeamStep *bs = &doc->beam_steps[s];
        for (size_t k = 0; k < bs->n_candidates; k++) {
            const TracedCandidate *c = &bs->candidates[k];
            int on_best = candidate_on_best(doc, s, c, best);
            int kept = strcmp(c->fate, "kept") == 0;
            char from[48];
            beam_origin(from, sizeof from, doc, s > 0 ? s - 1 : 0, s > 0 ? c->parent : -1);
            candidate_node(f, s, k, c, on_best, slide);
            fprintf(f, "  %s -> k%zu_%zu [penwidth=%d, color=\"%s\"%s];\n", from, s, k, on_best ? 4 : kept ? 2 : 1,
                    on_best ? COLOR_BLUE : COLOR_GREY, kept || on_best ? "" : ", style=dashed");
        }
        fprintf(f, "  { rank=same; ");
        for (size_t k = 0; k < bs->n_candidates; k++) fprintf(f, "k%zu_%zu; ", s, k);
        fprintf(f, "}\n");
    }
}

void write_tree_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    char strat[64];
    text_html(strat, sizeof strat, doc->strategy);
    /* A beam step's candidates stand side by side on a slide (top to bottom), one above the other otherwise. */
    dot_begin_for(f, "tree", o->slide && has_candidates(doc) ? "TB" : "LR", o);
    if (has_candidates(doc)) {
        fprintf(f, "  graph [label=<%s (%s, %d beams): every candidate ranked per step, the best sequence "
                   "in bold; solid = kept, dashed = pruned, double = finished (eos)>];\n",
                o->slide ? "beam search" : "generation tree", strat, doc->beams);
        beam_tree_candidates(f, doc, o->slide);
    } else if (doc->n_beam_steps > 0) {
        fprintf(f, "  graph [label=<generation tree (%s): the path taken in bold>];\n", strat);
        beam_tree(f, doc, small_font(o) > 13 ? small_font(o) : 13);
    } else {
        if (o->slide && doc->n_steps > SLIDE_STEPS)
            fprintf(f, "  graph [label=<%s: %d steps of %zu, the path taken in bold, percentages = probability>];\n",
                    strat, SLIDE_STEPS, doc->n_steps);
        else fprintf(f, "  graph [label=<generation tree (%s): the path taken in bold>];\n", strat);
        sampling_tree(f, doc, o);
    }
    dot_end(f);
}

/* ---- argen compare ---- */

/* Chains are aligned by text, not by token index: token s of a chain covers
 * bytes [start, start + len) of the chain's text, and it differs from the
 * reference chain (the first, greedy in `argen compare`) when the reference's
 * text does not hold the same bytes at the same place.  A word split into
 * three tokens by one strategy and kept whole by another is the same text,
 * and nothing after it is flagged because of the split.  Tokens without
 * text (no vocabulary) are compared by id at the same index. */
static size_t text_offset(const ComparedChain *ch, size_t s) {
    size_t at = 0;
    for (size_t i = 0; i < s; i++) at += ch->tokens[i].len;
    return at;
}

/* 1 when the reference's text holds the bytes of token `tok` at offset `at`. */
static int text_matches(const ComparedChain *ref, size_t at, const TracedToken *tok) {
    size_t pos = 0, i = 0;
    for (; i < ref->n && pos + ref->tokens[i].len <= at; i++) pos += ref->tokens[i].len;
    for (size_t k = 0; k < tok->len; k++) {   /* byte k of tok against the reference's byte at + k */
        while (i < ref->n && at + k >= pos + ref->tokens[i].len) pos += ref->tokens[i++].len;
        if (i >= ref->n || !ref->tokens[i].text || ref->tokens[i].text[at + k - pos] != tok->text[k]) return 0;
    }
    return 1;
}

static int token_differs(const TraceDoc *doc, size_t c, size_t s) {
    const ComparedChain *ch = &doc->chains[c], *ref = &doc->chains[0];
    if (c == 0) return 0;
    if (!ch->tokens[s].text) return s >= ref->n || ref->tokens[s].id != ch->tokens[s].id;
    return !text_matches(ref, text_offset(ch, s), &ch->tokens[s]);
}

/* The first token of chain c that differs from the reference, or -1. */
static long chain_divergence(const TraceDoc *doc, size_t c) {
    for (size_t s = 0; s < doc->chains[c].n; s++)
        if (token_differs(doc, c, s)) return (long)s;
    return -1;
}

static void chain_head(FILE *f, const ComparedChain *ch, size_t c, long div, int font) {
    char name[128], stop[64];
    text_html(name, sizeof name, ch->name);
    text_html(stop, sizeof stop, ch->stop_reason);
    fprintf(f, "  h%zu [shape=box, style=\"rounded,filled\", fillcolor=\"#DDDDDD\", label=<<B>%s</B><BR/>"
               "<FONT POINT-SIZE=\"%d\">stop: %s", c, name, font, stop);
    if (c > 0 && div < 0) fprintf(f, "<BR/>same text as %s", "the first");
    if (div >= 0) fprintf(f, "<BR/><FONT COLOR=\"" COLOR_VERMILLION "\">differs from token %ld</FONT>", div + 1);
    if (ch->loop_length > 0) fprintf(f, "<BR/>&#8635; loop from token %d, length %d", ch->loop_start + 1, ch->loop_length);
    fprintf(f, "</FONT>>];\n");
}

/* A loop is marked on every token inside one: loop_start and every later repetition of its length. */
static void chain_cell(FILE *f, const TraceDoc *doc, size_t c, size_t s, int font, int slide) {
    const ComparedChain *ch = &doc->chains[c];
    char t[512], p[48];
    int differs = token_differs(doc, c, s);
    int looped = ch->loop_length > 0 && (int)s >= ch->loop_start;
    token_html(t, sizeof t, &ch->tokens[s]);
    if (slide) fmt_percent(p, sizeof p, ch->probability[s]);
    else fmt_num(p, sizeof p, ch->probability[s]);
    fprintf(f, "  c%zu_%zu [shape=box, style=\"rounded,filled%s\", fillcolor=\"%s\", color=\"%s\", penwidth=%d, "
               "label=<%s%s%s<BR/><FONT POINT-SIZE=\"%d\">%s%s</FONT>>];\n",
            c, s, looped ? ",dashed" : "", differs ? "#FBE3D0" : "white", differs ? COLOR_VERMILLION : "#555555",
            differs ? 3 : 1, differs ? "<B>" : "", t, differs ? "</B>" : "", font, p, looped ? " &#8635;" : "");
}

void write_compare_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    size_t longest = 0;
    int font = small_font(o) > 13 ? small_font(o) : 13;
    char ref[128];
    text_html(ref, sizeof ref, doc->n_chains > 0 ? doc->chains[0].name : "");
    dot_begin_for(f, "compare", "LR", o);
    if (o->slide)
        fprintf(f, "  graph [label=<seed %ld: outlined = text that differs from %s; &#8635; = a loop>];\n", doc->seed, ref);
    else
        fprintf(f, "  graph [label=<argen compare, seed %ld%s: text that differs from %s (same bytes at the same place) "
                   "is outlined; the red arrow is where a strategy first leaves it; &#8635; a repetition loop>];\n",
                doc->seed, doc->shared_draws ? ", shared draws" : "", ref);
    prompt_node(f, doc->prompt, doc->n_prompt);
    for (size_t c = 0; c < doc->n_chains; c++) {
        const ComparedChain *ch = &doc->chains[c];
        long div = chain_divergence(doc, c);
        chain_head(f, ch, c, div, font);
        fprintf(f, "  prompt -> h%zu [color=\"%s\"];\n", c, COLOR_GREY);
        if (ch->n > longest) longest = ch->n;
        for (size_t s = 0; s < ch->n; s++) {
            chain_cell(f, doc, c, s, font, o->slide);
            if (s == 0) fprintf(f, "  h%zu -> c%zu_0", c, c);
            else fprintf(f, "  c%zu_%zu -> c%zu_%zu", c, s - 1, c, s);
            fprintf(f, "%s;\n", (long)s == div ? " [color=\"" COLOR_VERMILLION "\", penwidth=3, class=\"diverge\"]" : "");
        }
    }
    /* Step numbers above the columns; each column one rank so the chains line up. */
    fprintf(f, "  { rank=same; ");
    for (size_t c = 0; c < doc->n_chains; c++) fprintf(f, "h%zu; ", c);
    fprintf(f, "}\n");
    /* Invisible links keep the chains in file order, the first on top. */
    for (size_t c = 0; c + 1 < doc->n_chains; c++) fprintf(f, "  h%zu -> h%zu [style=invis];\n", c, c + 1);
    for (size_t s = 0; s < longest; s++) {
        fprintf(f, "  t%zu [shape=plain, label=<token %zu>];\n  { rank=same; t%zu; ", s, s + 1, s);
        for (size_t c = 0; c < doc->n_chains; c++)
            if (s < doc->chains[c].n) fprintf(f, "c%zu_%zu; ", c, s);
        fprintf(f, "}\n");
        if (s > 0) fprintf(f, "  t%zu -> t%zu [style=invis];\n", s - 1, s);
    }
    dot_end(f);
}
