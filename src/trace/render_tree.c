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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- beam search on a slide: the final sequences' paths ----
 *
 * A beam tree with every candidate is far wider than a slide (2N candidates
 * a step, each pruned one a leaf).  The slide draws what decides the result:
 * the paths of the final sequences (the best SLIDE_SEQUENCES of them, the
 * best in blue), each box a token with the probability of the text so far
 * (exp of its sum of log-probabilities).  The candidates that branch off a
 * drawn path are collapsed into one grey box per branch point that counts
 * them: pruned at that step, kept but dropped later, or finished (eos)
 * without making the final list.  When the run has more steps than ranks fit
 * (SLIDE_BEAM_RANKS), runs of steps with a single path are drawn as one box
 * (its tokens and steps a..b), and their collapsed candidates summed. */

#define SLIDE_SEQUENCES 4    /* final sequences drawn at most */
#define SLIDE_BEAM_RANKS 7   /* ranks of boxes that fit the slide's height: the prompt and 6 steps */
#define SEGMENT_LINE 360     /* points of tokens on one line of a box */

typedef struct {
    int shown;      /* on a drawn final sequence's path */
    long parent;    /* flat index of the candidate it extends; -1: the prompt */
    long segment;   /* the box it is drawn in (shown only) */
} BeamNode;

typedef struct {
    size_t first, last;   /* flat indices of its first and last candidates */
    size_t s0, s1;        /* their steps */
    long parent;          /* the segment it hangs from; -1: the prompt */
    int pruned, dropped, finished;   /* candidates branching off it, hidden */
    int on_best;
} BeamSegment;

/* Flat index of candidate k of step s. */
static size_t beam_flat(const TraceDoc *doc, size_t s, size_t k) {
    size_t at = 0;
    for (size_t i = 0; i < s; i++) at += doc->beam_steps[i].n_candidates;
    return at + k;
}

static void beam_segment_node(FILE *f, const TraceDoc *doc, size_t id, const BeamSegment *g, const TracedCandidate *const *flat) {
    char t[512], p[48];
    int line = 0;
    const TracedCandidate *last = flat[g->last];
    fprintf(f, "  g%zu [shape=box, style=\"rounded%s\", fillcolor=\"%s\", color=\"%s\", penwidth=%d, margin=\"0.12,0.06\", label=<%s",
            id, g->on_best ? ",filled" : "", g->on_best ? COLOR_CHOSEN_BG : "white", g->on_best ? COLOR_BLUE : "#555555",
            g->on_best ? 3 : 2, g->on_best ? "<B>" : "");
    /* the tokens of the segment, in step order: walk back from the last, then print forward */
    size_t n = g->s1 - g->s0 + 1, at = g->last;
    const TracedCandidate **path = malloc(n * sizeof(const TracedCandidate *));
    if (!path) return;
    for (size_t i = n; i-- > 0;) {
        path[i] = flat[at];
        if (i > 0) {   /* the candidate one step earlier that became this one's parent beam */
            size_t s = g->s0 + i, prev0 = beam_flat(doc, s - 1, 0);
            for (size_t k = 0; k < doc->beam_steps[s - 1].n_candidates; k++)
                if (flat[prev0 + k]->beam == path[i]->parent) { at = prev0 + k; break; }
        }
    }
    for (size_t i = 0; i < n; i++) {
        token_html(t, sizeof t, &path[i]->token);
        int w = text_points(t, 20);
        if (i > 0 && line + w > SEGMENT_LINE) { fprintf(f, "<BR/>"); line = 0; }
        else if (i > 0) fprintf(f, "&#183;");
        fprintf(f, "%s", t);
        line += w + 8;
    }
    free(path);
    fmt_percent(p, sizeof p, exp(last->sum_logprob));
    fprintf(f, "%s" SLIDE_LINE_BREAK "<FONT POINT-SIZE=\"18\">p %s", g->on_best ? "</B>" : "", p);
    if (n > 1) fprintf(f, " &#183; steps %zu&#8211;%zu", g->s0 + 1, g->s1 + 1);
    fprintf(f, "</FONT>>];\n");
}

/* The grey box of the candidates that branch off `from` and are not drawn. */
static void beam_hidden_node(FILE *f, const char *from, const char *id, int pruned, int dropped, int finished) {
    char why[160];
    size_t k = 0;
    why[0] = '\0';
    if (pruned) k += (size_t)snprintf(why + k, sizeof why - k, "%d pruned", pruned);
    if (dropped) k += (size_t)snprintf(why + k, sizeof why - k, "%s%d dropped later", k ? " &#183; " : "", dropped);
    if (finished) snprintf(why + k, sizeof why - k, "%s%d finished", k ? " &#183; " : "", finished);
    fprintf(f, "  %s [shape=box, style=\"rounded,dashed\", color=\"%s\", fontcolor=\"#444444\", margin=\"0.1,0.04\", "
               "label=<+%d more<BR/><FONT POINT-SIZE=\"18\">%s</FONT>>];\n", id, COLOR_GREY, pruned + dropped + finished, why);
    fprintf(f, "  %s -> %s [style=dashed, color=\"%s\"];\n", from, id, COLOR_GREY);
}

static void beam_slide(FILE *f, const TraceDoc *doc) {
    size_t total = beam_flat(doc, doc->n_beam_steps, 0), n_seq = doc->n_sequences, n_seg = 0, n_shown = 0;
    int merge = doc->n_beam_steps + 1 > SLIDE_BEAM_RANKS;
    int root_pruned = 0, root_dropped = 0, root_finished = 0;
    char strat[64];
    BeamNode *node = calloc(total + 1, sizeof *node);
    BeamSegment *seg = calloc(total + 1, sizeof *seg);
    const TracedCandidate **flat = calloc(total + 1, sizeof(const TracedCandidate *));
    int *n_children = calloc(total + 1, sizeof *n_children);
    if (!node || !seg || !flat || !n_children) goto done;
    if (n_seq > SLIDE_SEQUENCES) n_seq = SLIDE_SEQUENCES;
    /* which candidates are drawn, and whom each extends */
    for (size_t s = 0, at = 0; s < doc->n_beam_steps; s++) {
        const TracedBeamStep *bs = &doc->beam_steps[s];
        for (size_t k = 0; k < bs->n_candidates; k++, at++) {
            const TracedCandidate *c = &bs->candidates[k];
            flat[at] = c;
            node[at].parent = -1;
            if (s > 0 && c->parent >= 0) {
                size_t prev0 = beam_flat(doc, s - 1, 0);
                for (size_t j = 0; j < doc->beam_steps[s - 1].n_candidates; j++)
                    if (doc->beam_steps[s - 1].candidates[j].beam == c->parent) node[at].parent = (long)(prev0 + j);
            }
            for (size_t q = 0; q < n_seq; q++)
                if (candidate_on_best(doc, s, c, &doc->sequences[q])) node[at].shown = 1;
            if (node[at].shown) {
                n_shown++;
                if (node[at].parent >= 0) n_children[node[at].parent]++;
            }
        }
    }
    /* boxes: a drawn candidate starts one unless merging and its parent has it as its only drawn child */
    for (size_t s = 0, at = 0; s < doc->n_beam_steps; s++)
        for (size_t k = 0; k < doc->beam_steps[s].n_candidates; k++, at++) {
            if (!node[at].shown) continue;
            long par = node[at].parent;
            if (merge && par >= 0 && n_children[par] == 1) {
                BeamSegment *g = &seg[node[par].segment];
                node[at].segment = node[par].segment;
                g->last = at;
                g->s1 = s;
            } else {
                BeamSegment *g = &seg[n_seg];
                node[at].segment = (long)n_seg++;
                g->first = g->last = at;
                g->s0 = g->s1 = s;
                g->parent = par >= 0 ? node[par].segment : -1;
            }
            if (doc->n_sequences > 0 && candidate_on_best(doc, s, flat[at], &doc->sequences[0])) seg[node[at].segment].on_best = 1;
        }
    /* the hidden candidates that branch off a drawn box, counted on it */
    for (size_t at = 0; at < total; at++) {
        long par = node[at].parent;
        int *pr = &root_pruned, *dr = &root_dropped, *fi = &root_finished;
        if (node[at].shown) continue;
        if (par >= 0 && !node[par].shown) continue;   /* below a hidden one: hidden with it */
        if (par >= 0) { BeamSegment *g = &seg[node[par].segment]; pr = &g->pruned; dr = &g->dropped; fi = &g->finished; }
        else if (at >= doc->beam_steps[0].n_candidates) continue;   /* a later step with no parent found: not counted */
        if (strcmp(flat[at]->fate, "kept") == 0) ++*dr;
        else if (strcmp(flat[at]->fate, "finished") == 0) ++*fi;
        else ++*pr;
    }
    text_html(strat, sizeof strat, doc->strategy);
    fprintf(f, "  graph [label=<beam search, %d beams, %zu steps: the paths of the %s%zu final sequences<BR/>"
               "<FONT POINT-SIZE=\"18\">the best in blue &#183; p = probability of the text so far%s<BR/>"
               "%zu of the %zu candidates ranked are hidden: a dashed box counts those that branch off a drawn path</FONT>>];\n",
            doc->beams, doc->n_beam_steps, n_seq < doc->n_sequences ? "best " : "", n_seq,
            merge ? " &#183; steps with a single path share one box" : "", total - n_shown, total);
    prompt_node(f, doc->prompt, doc->n_prompt);
    for (size_t i = 0; i < n_seg; i++) {
        char from[32], hid[32];
        beam_segment_node(f, doc, i, &seg[i], flat);
        if (seg[i].parent >= 0) snprintf(from, sizeof from, "g%ld", seg[i].parent);
        else snprintf(from, sizeof from, "prompt");
        fprintf(f, "  %s -> g%zu [penwidth=%d, color=\"%s\"];\n", from, i, seg[i].on_best ? 4 : 2,
                seg[i].on_best ? COLOR_BLUE : "#555555");
        if (seg[i].pruned + seg[i].dropped + seg[i].finished > 0) {
            snprintf(from, sizeof from, "g%zu", i);
            snprintf(hid, sizeof hid, "hidden%zu", i);
            beam_hidden_node(f, from, hid, seg[i].pruned, seg[i].dropped, seg[i].finished);
        }
    }
    if (root_pruned + root_dropped + root_finished > 0)
        beam_hidden_node(f, "prompt", "hidden_prompt", root_pruned, root_dropped, root_finished);
done:
    free(node);
    free(seg);
    free(flat);
    free(n_children);
}

void write_tree_diagram(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    char strat[64];
    text_html(strat, sizeof strat, doc->strategy);
    /* A beam step's candidates stand side by side on a slide (top to bottom), one above the other otherwise. */
    dot_begin_for(f, "tree", o->slide && has_candidates(doc) ? "TB" : "LR", o);
    if (o->slide && has_candidates(doc) && doc->n_sequences > 0) {
        beam_slide(f, doc);
    } else if (has_candidates(doc)) {
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

/* ---- argen compare on a slide: the chains wrapped into rows ----
 *
 * One table per row of the slide: a column per token index, a row per
 * strategy, so the strategies stay aligned within each row; the next tokens
 * continue in the row below.  How many columns fit is estimated from the
 * text (text_points, on the wide side) against the 1440 x 810 points of a
 * 1920 x 1080 slide, so Graphviz never has to shrink the picture.  Three
 * layouts are tried in turn: tokens at 20 pt with their probability under
 * them; tokens alone at 20 pt; tokens alone at 18 pt.  When even the last
 * does not fit, the rows that fit are drawn and the slide says which tokens
 * are not. */

#define SLIDE_W 1370          /* points for a row: 1440 less the 0.25 in pad on both sides, less a margin for the estimate */
#define SLIDE_H 774           /* 810 less the pad */
#define CMP_SPACING 4         /* CELLSPACING of a row's table */
#define CMP_CELL_EXTRA(L) (2 * (L)->pad + 2 * 3 + CMP_SPACING)   /* padding, a border of up to 3, spacing */
#define CMP_ROW_GAP 14        /* points between two rows of the slide */
#define LOOP_TINT "#FFF2BF"   /* a light tint of the Okabe-Ito yellow: inside a repetition loop */

typedef struct {
    int tok_pt;    /* the token's font size */
    int pct;       /* 1: the probability under each token */
    int numbers;   /* 1: the token numbers above the columns */
    int pad;       /* CELLPADDING */
} CompareLayout;

/* 1 when token s of ch is inside a repetition loop; 2 when a repetition starts at it. */
static int cmp_looped(const ComparedChain *ch, size_t s) {
    if (ch->loop_length <= 0 || (int)s < ch->loop_start) return 0;
    return ((int)s - ch->loop_start) % ch->loop_length == 0 ? 2 : 1;
}

/* The token as a cell shows it: a repetition's first token starts with the loop mark. */
static void cmp_token_text(char *out, size_t n, const ComparedChain *ch, size_t s) {
    char t[512];
    token_html(t, sizeof t, &ch->tokens[s]);
    snprintf(out, n, "%s%s", cmp_looped(ch, s) == 2 ? "&#8635;" : "", t);
}

/* Points a column (token s of every chain) needs. */
static int cmp_column_points(const TraceDoc *doc, size_t s, const CompareLayout *L) {
    int w = text_points("00", 18);   /* the token number above it */
    for (size_t c = 0; c < doc->n_chains; c++) {
        const ComparedChain *ch = &doc->chains[c];
        char t[600], p[48];
        if (s >= ch->n) continue;
        cmp_token_text(t, sizeof t, ch, s);
        int tw = text_points(t, L->tok_pt);
        if ((long)s == chain_divergence(doc, c)) tw += text_points("&#9654;", L->tok_pt);   /* the divergence mark */
        if (L->pct) {
            fmt_percent(p, sizeof p, ch->probability[s]);
            if (text_points(p, 18) > tw) tw = text_points(p, 18);
        }
        if (tw > w) w = tw;
    }
    return w + CMP_CELL_EXTRA(L);
}

/* The name cell of chain c: its name, and in the first row how it differs and where it loops. */
static void cmp_name_text(char *out, size_t n, const TraceDoc *doc, size_t c, int first_row, int *lines) {
    const ComparedChain *ch = &doc->chains[c];
    char name[128];
    size_t k;
    long div = chain_divergence(doc, c);
    text_html(name, sizeof name, ch->name);
    k = (size_t)snprintf(out, n, "<B>%s</B>", name);
    *lines = 1;
    if (!first_row) return;
    if (div >= 0 && k < n) {
        k += (size_t)snprintf(out + k, n - k, "<BR/><FONT POINT-SIZE=\"18\" COLOR=\"" COLOR_VERMILLION "\">from token %ld</FONT>", div + 1);
        ++*lines;
    } else if (c > 0 && k < n) {
        k += (size_t)snprintf(out + k, n - k, "<BR/><FONT POINT-SIZE=\"18\" COLOR=\"#555555\">same text</FONT>");
        ++*lines;
    }
    if (ch->loop_length > 0 && k < n) {
        snprintf(out + k, n - k, "<BR/><FONT POINT-SIZE=\"18\">&#8635; loop of %d from %d</FONT>", ch->loop_length, ch->loop_start + 1);
        ++*lines;
    }
}

static int cmp_name_points(const TraceDoc *doc, const CompareLayout *L) {
    int w = 0, lines;
    char t[512];
    for (size_t c = 0; c < doc->n_chains; c++) {
        cmp_name_text(t, sizeof t, doc, c, 1, &lines);
        /* the bold name at 20 pt, a line at 18 pt: the longest line decides */
        const char *br = strstr(t, "<BR/>");
        char first[256];
        snprintf(first, sizeof first, "%.*s", br ? (int)(br - t) : (int)strlen(t), t);
        int nw = (int)(text_points(first, 20) * 1.1);
        for (const char *q = br; q; q = strstr(q + 5, "<BR/>")) {
            const char *e = strstr(q + 5, "<BR/>");
            char line[256];
            snprintf(line, sizeof line, "%.*s", e ? (int)(e - q - 5) : (int)strlen(q + 5), q + 5);
            if (text_points(line, 18) > nw) nw = text_points(line, 18);
        }
        if (nw > w) w = nw;
    }
    return w + CMP_CELL_EXTRA(L);
}

/* Height in points of the row of the slide that starts at token `from` (Graphviz sets a line of
 * HTML-like text a little over its font size high: 1.1 times it, on the safe side). */
static int cmp_row_points(const TraceDoc *doc, size_t from, const CompareLayout *L) {
    const int extra = 2 * L->pad + 2 * 2 + CMP_SPACING;   /* padding, a border of up to 2 on average, spacing */
    int h = L->numbers ? (int)(18 * 1.1) + extra : 0;      /* the token numbers */
    for (size_t c = 0; c < doc->n_chains; c++) {
        int lines;
        char t[512];
        cmp_name_text(t, sizeof t, doc, c, from == 0, &lines);
        int cell = (int)(L->tok_pt * 1.1) + (L->pct ? (int)(18 * 1.1) : 0);
        int name = (int)(20 * 1.1) + (lines - 1) * (int)(18 * 1.1);
        h += (cell > name ? cell : name) + extra;
    }
    return h + CMP_ROW_GAP;
}

/* Splits the tokens into rows of the slide: starts[r] is row r's first token,
 * starts[*n_rows] the end of the last row drawn.  Returns the total height in
 * points; rows stop once the next would pass max_h (then starts[*n_rows] <
 * longest: tokens left out). */
static int cmp_rows(const TraceDoc *doc, size_t longest, const CompareLayout *L, int top, int max_h, size_t *starts,
                    size_t *n_rows) {
    int name_w = cmp_name_points(doc, L), h = top;
    size_t s = 0, r = 0;
    while (s < longest) {
        int w = name_w + 2 * CMP_SPACING;
        size_t e = s;
        while (e < longest) {
            int cw = cmp_column_points(doc, e, L);
            if (e > s && w + cw > SLIDE_W) break;
            w += cw;
            e++;
        }
        int rh = cmp_row_points(doc, s, L);
        if (r > 0 && h + rh > max_h) break;
        h += rh;
        starts[r++] = s;
        s = e;
    }
    starts[r] = s;
    *n_rows = r;
    return h;
}

static void cmp_cell(FILE *f, const TraceDoc *doc, size_t c, size_t s, long div, const CompareLayout *L) {
    const ComparedChain *ch = &doc->chains[c];
    char t[600], p[48];
    int differs = token_differs(doc, c, s), first = (long)s == div;
    cmp_token_text(t, sizeof t, ch, s);
    fprintf(f, "<TD ID=\"c%zu_%zu\" BGCOLOR=\"%s\" COLOR=\"%s\" BORDER=\"%d\"><FONT POINT-SIZE=\"%d\">%s%s%s%s</FONT>",
            c, s, differs ? "#FBE3D0" : cmp_looped(ch, s) ? LOOP_TINT : "white", differs ? COLOR_VERMILLION : "#999999", first ? 3 : 1, L->tok_pt,
            first ? "<FONT COLOR=\"" COLOR_VERMILLION "\">&#9654;</FONT>" : "", differs ? "<B>" : "", t,
            differs ? "</B>" : "");
    if (L->pct) {
        fmt_percent(p, sizeof p, ch->probability[s]);
        fprintf(f, SLIDE_LINE_BREAK "<FONT POINT-SIZE=\"18\" COLOR=\"#333333\">%s</FONT>", p);
    }
    fprintf(f, "</TD>");
}

/* Row r of the slide, tokens [from, to): a node of its own, so that each row's columns take the width their tokens need. */
static void cmp_slide_row(FILE *f, const TraceDoc *doc, size_t r, size_t from, size_t to, const CompareLayout *L) {
    fprintf(f, "  row%zu [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"%d\" CELLPADDING=\"%d\">\n",
            r, CMP_SPACING, L->pad);
    if (L->numbers) {
        fprintf(f, "<TR><TD BORDER=\"0\"></TD>");
        for (size_t s = from; s < to; s++) fprintf(f, "<TD BORDER=\"0\"><FONT POINT-SIZE=\"18\" COLOR=\"#555555\">%zu</FONT></TD>", s + 1);
        fprintf(f, "</TR>\n");
    }
    for (size_t c = 0; c < doc->n_chains; c++) {
        const ComparedChain *ch = &doc->chains[c];
        long div = chain_divergence(doc, c);
        char name[512];
        int lines;
        cmp_name_text(name, sizeof name, doc, c, from == 0, &lines);
        fprintf(f, "<TR><TD BORDER=\"0\" ALIGN=\"RIGHT\">%s</TD>", name);
        for (size_t s = from; s < to; s++) {
            if (s < ch->n) cmp_cell(f, doc, c, s, div, L);
            else fprintf(f, "<TD BORDER=\"0\"></TD>");
        }
        fprintf(f, "</TR>\n");
    }
    if (r == 0) fprintf(f, "</TABLE>>];\n  prompt -> row0 [style=invis];\n");
    else fprintf(f, "</TABLE>>];\n  row%zu -> row%zu [style=invis];\n", r - 1, r);
}

void write_compare_slide(FILE *f, const TraceDoc *doc, const RenderOptions *o) {
    static const CompareLayout layouts[] = {{20, 1, 1, 4}, {20, 0, 1, 4}, {18, 0, 1, 4}, {18, 0, 0, 2}};
    const size_t n_layouts = sizeof layouts / sizeof layouts[0];
    char ref[128], t[512];
    size_t longest = 0, n_rows = 0, *starts;
    /* the title (24 pt and 18 pt lines), the prompt line (20 pt) and a note line kept free */
    const int top = (int)(24 * 1.2) + (int)(18 * 1.2) + (int)(20 * 1.2) + CMP_ROW_GAP + 8;
    const int max_h = SLIDE_H - (int)(20 * 1.2) - CMP_ROW_GAP;   /* when a note says what is left out */
    (void)o;
    int any_loop = 0;
    for (size_t c = 0; c < doc->n_chains; c++) {
        if (doc->chains[c].n > longest) longest = doc->chains[c].n;
        if (doc->chains[c].loop_length > 0) any_loop = 1;
    }
    starts = malloc((longest + 2) * sizeof *starts);
    if (!starts) return;
    const CompareLayout *L = &layouts[0];
    for (size_t i = 0; i < n_layouts; i++) {
        L = &layouts[i];
        if (cmp_rows(doc, longest, L, top, SLIDE_H, starts, &n_rows) <= SLIDE_H && starts[n_rows] == longest) break;
    }
    if (starts[n_rows] < longest) cmp_rows(doc, longest, L, top, max_h, starts, &n_rows);   /* room for the note */
    text_html(ref, sizeof ref, doc->n_chains > 0 ? doc->chains[0].name : "");
    dot_begin_slide(f, "compare", "TB");
    fprintf(f, "  graph [ranksep=0.2, label=<argen compare, seed %ld%s<BR/><FONT POINT-SIZE=\"18\">shaded: text that differs "
               "from %s &#183; &#9654; where it first differs%s%s</FONT>>];\n",
            doc->seed, doc->shared_draws ? ", shared draws" : "", ref, L->pct ? " &#183; %: the probability the token had" : "",
            any_loop ? " &#183; yellow: a repetition loop, &#8635; where each repeat starts" : "");
    fprintf(f, "  prompt [label=<prompt: <B>");
    size_t from = doc->n_prompt > PROMPT_SHOWN ? doc->n_prompt - PROMPT_SHOWN : 0;
    if (from > 0) fprintf(f, "&#8230;");
    for (size_t i = from; i < doc->n_prompt; i++) {
        token_html(t, sizeof t, &doc->prompt[i]);
        fprintf(f, "%s%s", i > from ? "&#183;" : "", t);
    }
    fprintf(f, "</B>>];\n");
    for (size_t r = 0; r < n_rows; r++) cmp_slide_row(f, doc, r, starts[r], starts[r + 1], L);
    if (starts[n_rows] < longest) {
        fprintf(f, "  hidden [label=<tokens %zu to %zu do not fit on this slide (argen compare prints the whole text)>];\n",
                starts[n_rows] + 1, longest);
        fprintf(f, "  row%zu -> hidden [style=invis];\n", n_rows - 1);
    }
    dot_end(f);
    free(starts);
}
