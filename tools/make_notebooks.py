#!/usr/bin/python3
"""Writes the notebooks in notebooks/ from the cell sources below, and runs them.

    /usr/bin/python3 tools/make_notebooks.py                 write notebooks/*.ipynb (no outputs)
    /usr/bin/python3 tools/make_notebooks.py --check         fail if a committed notebook's cells
                                                             differ from this file's
    /usr/bin/python3 tools/make_notebooks.py --run [--in-place] [NB.ipynb ...]
                                                             execute from a clean kernel (nbclient);
                                                             --in-place stores the outputs

The notebooks read the folder that notebooks/make_traces.sh writes (ARGEN_TRACES,
default build/notebook-traces).  `make notebooks` does both steps.  Editing a
notebook: change its cells here, so the .ipynb stays a generated, reviewable file.
"""

import argparse
import glob
import os
import re
import sys
import textwrap

import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NB_DIR = os.path.join(ROOT, "notebooks")


def md(text):
    return nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip())


def code(text):
    return nbformat.v4.new_code_cell(textwrap.dedent(text).strip())


def code_parts(*parts):
    return nbformat.v4.new_code_cell("\n".join(textwrap.dedent(p).strip() for p in parts if p.strip()))


def inputs(extra=""):
    """The first code cell of every notebook: every input path, from the environment."""
    return code_parts('''
        # Inputs: environment variables, or edit the defaults here.
        import os
        TRACES = os.environ.get("ARGEN_TRACES", "../build/notebook-traces")   # written by notebooks/make_traces.sh
        SAVE_DIR = os.environ.get("ARGEN_SAVE_DIR", "")                      # e.g. "figures": save every figure there too
        SAVE_FORMATS = os.environ.get("ARGEN_SAVE_FORMATS", "png").split(",")  # any of png, svg, pdf
        ''', extra)


SETUP = code('''
    import sys
    sys.path.insert(0, os.path.abspath("."))   # argen_trace.py sits beside the notebooks
    import numpy as np
    import matplotlib
    import matplotlib.pyplot as plt
    import argen_trace as at
    %matplotlib inline
    %config InlineBackend.figure_formats = ["png"]
    plt.rcParams.update({"figure.dpi": 150, "svg.hashsalt": "argen", "axes.prop_cycle": plt.cycler(color=at.CYCLE),
                         "axes.spines.top": False, "axes.spines.right": False, "font.size": 10})

    def save(fig, name):
        """Also write the figure as SAVE_DIR/name.png|svg|pdf when SAVE_DIR is set."""
        for path in at.save(fig, name, SAVE_DIR, SAVE_FORMATS):
            print("saved", path)
    ''')


# ---- 01: one step ----

NB01 = [
    md('''
        # One generation step, stage by stage

        One step of autoregressive generation turns a context into one new token.
        This notebook follows a single step of a real run through every stage that
        `argen generate --trace-level full` records:

        1. **the context** the model sees;
        2. **the logits** at the final position: one score per vocabulary entry;
        3. **softmax at several temperatures**: how *T* sharpens or flattens the scores into probabilities;
        4. **top-k and top-p** cut-offs on the same ranked bar chart;
        5. **the draw**: one uniform number in [0, 1) lands in one kept token's slice, and that token is appended.

        Every number shown is recomputed here with numpy from the raw logit vector and
        checked against what argen wrote, so the figures double as a test.
        '''),
    inputs('''
        STEP = os.environ.get("ARGEN_STEP", "0")   # which generation step; "max-entropy" picks the most uncertain one
        TEMPERATURES = (0.5, 1.0, 2.0)               # for the temperature figure
        '''),
    SETUP,
    md('## 1. The context'),
    code('''
        trace = at.load_trace(os.path.join(TRACES, "step-full.json"))
        step = at.pick_step(trace, None if STEP == "max-entropy" else int(STEP))
        sel = step["selection"]
        ctx = step["context"]
        print("model:", trace["model"]["dir"], "| vocab", at.config(trace)["vocab_size"])
        print("settings: strategy %(strategy)s, T=%(temperature)g, top-k=%(top_k)d, top-p=%(top_p)g" % trace["settings"])
        print("step %d: the new token takes position %d\\n" % (step["step"], step["position"]))
        for pos, (i, tok) in enumerate(zip(ctx["ids"], ctx["tokens"])):
            print("%4d  id %5d  %r" % (pos, i, tok))
        '''),
    md('''
        ## 2. The logits at the final position

        The last layer's output at the final position, multiplied by the token embedding
        matrix, gives one raw score (logit) per vocabulary entry. Most of the vocabulary
        sits in a broad lump; the handful of tokens that fit the context are far out on the right.
        '''),
    code('''
        logits = at.logits_all(step)                       # [vocab_size]
        order = np.lexsort((np.arange(len(logits)), -logits))   # descending, ties to the lower id (as argen)
        top = step["logits"]["top"]
        assert [r["id"] for r in top] == list(order[:len(top)]), "trace's top logits are not the largest"
        assert np.allclose([r["logit"] for r in top], logits[order[:len(top)]], atol=1e-6)

        fig, ax = plt.subplots(figsize=(8, 3.2))
        ax.hist(logits, bins=60, color=at.COLORS["sky"], edgecolor="white")
        ax.set_yscale("log")
        for rank, i in enumerate(order[:5]):
            ax.axvline(logits[i], color=at.COLORS["vermillion"], lw=1)
            ax.annotate(at.label(step["logits"]["top"][rank]["token"], i), (logits[i], 1),
                        xytext=(2, 30 + 22 * rank), textcoords="offset points", rotation=0,
                        color=at.COLORS["vermillion"], fontsize=9)
        ax.set_xlabel("raw logit")
        ax.set_ylabel("tokens (log scale)")
        ax.set_title("All %d logits at position %d; the five largest marked" % (len(logits), step["position"] - 1))
        save(fig, "01_logits_histogram")
        plt.show()
        '''),
    md('''
        ## 3. Softmax at several temperatures

        `p = softmax(logits / T)`. Below 1, *T* sharpens the distribution toward the top
        token (greedy is the limit T → 0); above 1 it flattens it, giving unlikely tokens
        more of the mass. The entropy (in bits) says how spread out each distribution is.
        '''),
    code('''
        N_BARS = 15
        ids = order[:N_BARS]
        names = [at.label(r["token"], r["id"]) for r in sel["table"][:N_BARS]]
        assert [r["id"] for r in sel["table"][:N_BARS]] == list(ids)

        # argen's probabilities at its own T, recomputed from the raw logits.
        if trace["settings"]["repetition_penalty"] == 1:
            p_trace = at.softmax(logits, sel["temperature"])
            assert np.allclose(at.table(step, "probability"), p_trace[[r["id"] for r in sel["table"]]], rtol=1e-4, atol=1e-7)
            assert abs(at.entropy_bits(p_trace) - sel["entropy_bits"]) < 1e-3

        fig, ax = plt.subplots(figsize=(9, 3.6))
        width = 0.8 / len(TEMPERATURES)
        for j, T in enumerate(TEMPERATURES):
            p = at.softmax(logits, T)
            ax.bar(np.arange(N_BARS) + (j - (len(TEMPERATURES) - 1) / 2) * width, p[ids], width,
                   color=at.CYCLE[j], label="T = %g  (entropy %.2f bits)" % (T, at.entropy_bits(p)))
        ax.set_xticks(np.arange(N_BARS))
        ax.set_xticklabels(names, rotation=45, ha="right")
        ax.set_ylabel("probability")
        ax.set_title("softmax(logits / T): the %d most likely tokens at three temperatures" % N_BARS)
        ax.legend(frameon=False)
        save(fig, "01_temperatures")
        plt.show()
        '''),
    md('''
        ## 4. Top-k and top-p on the same chart

        Truncation removes the long tail before the draw. **Top-k** keeps the *k* most
        likely tokens. **Top-p** (nucleus) keeps the fewest tokens whose probability
        reaches *p*; argen applies the rules in Hugging Face's order, so top-p measures
        mass *within what top-k kept* (the dashed curve, right axis). Bars are coloured by
        the first rule that cut them; the kept ones are renormalised to sum to 1.
        '''),
    code('''
        K = sel["top_k"] if sel["top_k"] > 0 else 20
        P = sel["top_p"] if sel["top_p"] < 1 else 0.9

        # The same rules in numpy, from the tempered probabilities (independent of argen's sampler).
        p = at.softmax(logits, sel["temperature"])
        ranked = p[order]
        in_k = np.arange(len(p)) < K
        within_k = np.where(in_k, ranked, 0) / ranked[:K].sum()
        n_p = at.nucleus_size(within_k, P)
        kept = in_k & (np.arange(len(p)) < n_p)

        rows = sel["table"]
        n_rows = min(len(rows), max(K, n_p) + 8)
        assert [r["kept_top_k"] for r in rows[:n_rows]] == list(in_k[:n_rows]), "argen's top-k differs from numpy's"
        if sel["top_p"] < 1:
            assert [r["kept_top_p"] for r in rows[:n_rows]] == list(kept[:n_rows]), "argen's top-p differs from numpy's"
            assert sel["n_kept"] == int(kept.sum())

        colour = {None: at.COLORS["blue"], "top-k": at.COLORS["grey"], "top-p": at.COLORS["orange"], "min-p": at.COLORS["purple"]}
        cut = [None if kept[i] else ("top-k" if not in_k[i] else "top-p") for i in range(n_rows)]
        fig, ax = plt.subplots(figsize=(10, 3.8))
        ax.bar(np.arange(n_rows), ranked[:n_rows], color=[colour[c] for c in cut])
        ax.set_xticks(np.arange(n_rows))
        ax.set_xticklabels([at.label(r["token"], r["id"]) for r in rows[:n_rows]], rotation=60, ha="right", fontsize=8)
        ax.set_ylabel("probability (T = %g)" % sel["temperature"])
        ax.axvline(K - 0.5, color=at.COLORS["black"], ls=":", lw=1.5)
        ax.text(K - 0.4, ax.get_ylim()[1] * 0.92, "top-k = %d" % K, fontsize=9)
        ax.axvline(n_p - 0.5, color=at.COLORS["vermillion"], ls="--", lw=1.5)
        ax.text(n_p - 0.4, ax.get_ylim()[1] * 0.78, "top-p = %g keeps %d" % (P, n_p), color=at.COLORS["vermillion"], fontsize=9)
        ax2 = ax.twinx()
        ax2.plot(np.arange(min(n_rows, K)), np.cumsum(within_k[:min(n_rows, K)]), color=at.COLORS["black"], ls="--", lw=1)
        ax2.axhline(P, color=at.COLORS["vermillion"], lw=0.8, alpha=0.6)
        ax2.set_ylim(0, 1.02)
        ax2.set_ylabel("cumulative mass within top-k")
        ax2.spines["right"].set_visible(True)
        handles = [matplotlib.patches.Patch(color=colour[c], label=l) for c, l in
                   ((None, "kept"), ("top-p", "cut by top-p"), ("top-k", "cut by top-k"))]
        ax.legend(handles=handles, frameon=False, loc="center right")
        ax.set_title("Top-k and top-p cut-offs on the ranked probabilities: %d tokens kept" % int(kept.sum()))
        save(fig, "01_truncation")
        plt.show()
        '''),
    md('''
        ## 5. The draw and the choice

        The kept tokens, renormalised, split [0, 1) into slices, most likely first. One
        uniform number from argen's PCG32 generator (the seed is in the trace) falls in
        exactly one slice; that token is appended to the context.
        '''),
    code('''
        slices = [(r["slice"], r) for r in sel["table"] if r["slice"] is not None]
        draw = sel["draw"]
        chosen = sel["chosen"]
        owner = [r for s, r in slices if s[0] <= draw < s[1]]
        if sel["strategy"] != "greedy":
            assert len(owner) == 1 and owner[0]["id"] == chosen["id"], "the draw is not in the chosen token's slice"

        fig, ax = plt.subplots(figsize=(10, 2.2))
        for j, (s, r) in enumerate(slices):
            is_chosen = r["id"] == chosen["id"]
            ax.barh(0, s[1] - s[0], left=s[0], height=0.6,
                    color=at.COLORS["vermillion"] if is_chosen else at.CYCLE[j % 2 * 5],
                    edgecolor="white", lw=0.8)
            if s[1] - s[0] > 0.035:
                ax.text((s[0] + s[1]) / 2, 0, at.label(r["token"], r["id"]), ha="center", va="center",
                        color="white", fontsize=9, rotation=90 if s[1] - s[0] < 0.08 else 0)
        ax.axvline(draw, color=at.COLORS["black"], lw=2)
        ax.annotate("draw = %.4f" % draw, (draw, 0.32), xytext=(draw, 0.55), ha="center",
                    arrowprops=dict(arrowstyle="->"))
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.4, 0.7)
        ax.set_yticks([])
        ax.set_xlabel("[0, 1) split among the %d kept tokens (renormalised probabilities)" % len(slices))
        ax.set_title("The draw lands in %s's slice (p = %.3f after renormalising): that token is appended"
                     % (at.label(chosen["token"], chosen["id"]), chosen["renormalized"]))
        save(fig, "01_draw")
        plt.show()
        print("appended:", repr(step["appended"]["token"]), "-> context", "".join(t or "" for t in step["context"]["tokens"]) + (step["appended"]["token"] or ""))
        '''),
]


# ---- 02: attention ----

NB02 = [
    md('''
        # Attention: who looks at whom

        In each layer every head turns each position's query into weights over the
        positions up to and including it (the causal mask hides the future, so the
        matrix is lower-triangular). A full trace records, for every generated token,
        its row of every head's attention; stacked, they give the whole matrix.

        1. **One head's attention matrix** over the prompt and the generated tokens, the causal triangle visible.
        2. **Every layer × head** at once: different heads learn different patterns (previous token, first token, …).
        3. **How the newest token's attention to each prompt token changes** as generation proceeds.
        '''),
    inputs('''
        LAYER = int(os.environ.get("ARGEN_LAYER", "-1"))   # -1: the last layer
        HEAD = int(os.environ.get("ARGEN_HEAD", "0"))
        '''),
    SETUP,
    code('''
        trace = at.load_trace(os.path.join(TRACES, "step-full.json"))
        cfg = at.config(trace)
        layer = LAYER % cfg["n_layer"]
        steps = at.steps(trace)
        n_prompt = len(trace["prompt"]["ids"])
        tokens = steps[-1]["context"]["tokens"]              # every position that was a query
        names = [at.label(t, i) for t, i in zip(tokens, steps[-1]["context"]["ids"])]
        print("%d layers x %d heads; %d prompt tokens + %d generated" % (cfg["n_layer"], cfg["n_head"], n_prompt, len(steps)))

        # Every head's matrix, checked: rows are distributions, nothing above the diagonal.
        A = np.array([[at.attention_matrix(trace, l, h) for h in range(cfg["n_head"])] for l in range(cfg["n_layer"])])
        T = A.shape[-1]
        upper = np.triu(np.ones((T, T), bool), 1)
        assert np.isnan(A[..., upper]).all(), "a key after its query has a weight"
        assert np.allclose(np.nansum(A, axis=-1), 1, atol=1e-4), "an attention row does not sum to 1"
        '''),
    md('## 1. One head\'s attention matrix'),
    code('''
        cmap = matplotlib.colormaps["viridis"].copy()
        cmap.set_bad("white")                                 # the masked future

        fig, ax = plt.subplots(figsize=(7.5, 6.5))
        im = ax.imshow(A[layer, HEAD], cmap=cmap, vmin=0, vmax=1)
        ax.set_xticks(range(T)); ax.set_xticklabels(names, rotation=90, fontsize=8)
        ax.set_yticks(range(T)); ax.set_yticklabels(names, fontsize=8)
        for x in (n_prompt - 0.5,):
            ax.axhline(x, color=at.COLORS["orange"], lw=1.5); ax.axvline(x, color=at.COLORS["orange"], lw=1.5)
        ax.set_xlabel("key (attended-to position)")
        ax.set_ylabel("query (attending position)")
        ax.set_title("Layer %d, head %d: attention weights (white: masked future;\\norange line: end of the prompt)" % (layer, HEAD))
        fig.colorbar(im, ax=ax, shrink=0.75, label="weight")
        save(fig, "02_attention_L%d_H%d" % (layer, HEAD))
        plt.show()
        '''),
    md('## 2. Every layer × head'),
    code('''
        fig, axes = plt.subplots(cfg["n_layer"], cfg["n_head"], figsize=(2.3 * cfg["n_head"], 2.3 * cfg["n_layer"]),
                                 squeeze=False, sharex=True, sharey=True)
        for l in range(cfg["n_layer"]):
            for h in range(cfg["n_head"]):
                ax = axes[l, h]
                ax.imshow(A[l, h], cmap=cmap, vmin=0, vmax=1)
                ax.set_xticks([]); ax.set_yticks([])
                if l == 0: ax.set_title("head %d" % h, fontsize=10)
                if h == 0: ax.set_ylabel("layer %d" % l, fontsize=10)
        fig.suptitle("Attention of every layer (rows) and head (columns), %d positions" % T)
        fig.tight_layout()
        save(fig, "02_attention_grid")
        plt.show()
        '''),
    md('''
        ## 3. Attention to each earlier token as generation proceeds

        Each generation step adds one query: the newest token. Its weights on the prompt's
        tokens (one line each) show which parts of the prompt it keeps consulting; the black
        dashed line is the weight on the token just before it.
        '''),
    code('''
        rows = np.array([A[layer, HEAD, s["position"] - 1] for s in steps])   # [n_steps, T]: newest query each step
        x = [s["step"] for s in steps]
        fig, ax = plt.subplots(figsize=(9, 3.8))
        for k in range(n_prompt):
            ax.plot(x, rows[:, k], marker="o", ms=3, color=at.CYCLE[k % len(at.CYCLE)], label="%d %s" % (k, names[k]))
        prev = [rows[j, s["position"] - 2] if s["position"] >= 2 else np.nan for j, s in enumerate(steps)]
        ax.plot(x, prev, color=at.COLORS["black"], ls="--", lw=1.5, label="previous token")
        ax.set_xticks(x)
        ax.set_xticklabels(["%d\\n%s" % (s["step"], names[s["position"] - 1]) for s in steps], fontsize=7)
        ax.set_xlabel("generation step (and the newest token, the query)")
        ax.set_ylabel("attention weight")
        ax.set_ylim(0, 1)
        ax.legend(frameon=False, fontsize=8, ncol=1, loc="upper left", bbox_to_anchor=(1, 1))
        ax.set_title("Layer %d, head %d: the newest token's attention to each prompt token" % (layer, HEAD))
        save(fig, "02_attention_over_steps")
        plt.show()
        '''),
]


# ---- 03: strategies ----

NB03 = [
    md('''
        # Decoding strategies side by side

        The same model, prompt and seed under four strategies, from `argen compare`:
        **greedy** (always the most likely token), **top-k** and **top-p** sampling, and
        **beam search**. With `--shared-draws` every sampling strategy reads the same
        uniform numbers as `argen generate --seed`, so the per-strategy traces give each
        step's entropy too.

        * the chosen token's probability and the entropy of the distribution it came from, step by step;
        * where each strategy first leaves greedy's path;
        * greedy's repetition loop, found by `argen compare`, shaded.

        The last section contrasts **teacher forcing** (the model scores a reference text,
        always seeing the true prefix) with **free generation** (it continues from its own choices).
        '''),
    inputs(),
    SETUP,
    code('''
        cmp = at.load_compare(os.path.join(TRACES, "compare.json"))
        trace_file = {"greedy": "greedy.json", "top-k": "top-k.json", "top-p": "top-p.json", "beam": "beam.json"}
        columns = []
        for col in cmp["strategies"]:
            ids = [s["id"] for s in col["steps"]]
            entropy = [s.get("entropy_bits") for s in col["steps"]]
            if None in entropy and col["strategy"] in trace_file:
                tr = at.load_trace(os.path.join(TRACES, trace_file[col["strategy"]]))
                tr_steps = at.steps(tr)
                same = [s["appended"]["id"] for s in tr_steps] == ids
                entropy = [s["selection"]["entropy_bits"] for s in tr_steps] if same else [None] * len(ids)
                if not same and tr_steps:
                    print("%s: the trace's tokens differ from compare's; no entropy" % col["name"])
            columns.append(dict(name=col["name"], ids=ids, loop=col["loop"],
                                tokens=[at.label(s["token"], s["id"]) for s in col["steps"]],
                                prob=np.array([s["probability"] for s in col["steps"]]),
                                entropy=np.array([np.nan if e is None else e for e in entropy])))
        greedy = columns[0]
        assert cmp["strategies"][0]["strategy"] == "greedy"
        for c in columns:
            n = min(len(c["ids"]), len(greedy["ids"]))
            diff = [i for i in range(n) if c["ids"][i] != greedy["ids"][i]]
            c["diverge"] = diff[0] if diff else None
            print("%-10s %2d tokens, leaves greedy at step %s, loop %s" % (c["name"], len(c["ids"]), c["diverge"], c["loop"]))
        '''),
    md('''
        ## Probability and entropy, step by step

        One row per strategy. Bars: the probability of the token it chose; grey while it is
        still on greedy's path (same tokens, so the same distributions), in colour once it has
        left. Black line: the entropy of the distribution at that step (right axis), which says
        how open the choice was. Beam search scores whole sequences, so it has no per-step entropy.
        '''),
    code('''
        h_max = max([np.nanmax(c["entropy"]) for c in columns if np.isfinite(c["entropy"]).any()] + [1.0])
        n_steps = max(len(c["ids"]) for c in columns)
        fig, axes = plt.subplots(len(columns), 1, figsize=(10, 1.8 * len(columns) + 1), sharex=True, squeeze=False)
        for j, (ax, c) in enumerate(zip(axes[:, 0], columns)):
            x = np.arange(len(c["prob"]))
            off = x >= (c["diverge"] if c["diverge"] is not None else len(x)) if c is not greedy else np.ones(len(x), bool)
            ax.bar(x, c["prob"], color=[at.CYCLE[j] if o else at.COLORS["grey"] for o in off], width=0.8)
            ax.set_ylim(0, 1)
            ax.set_ylabel(c["name"], rotation=0, ha="right", va="center", fontsize=10, color=at.CYCLE[j])
            ax2 = ax.twinx()
            ax2.spines["right"].set_visible(True)
            if np.isfinite(c["entropy"]).any():
                ax2.plot(x, c["entropy"], color=at.COLORS["black"], marker=".", lw=1.2)
            else:
                ax2.text(n_steps - 0.5, h_max * 0.85, "no per-step entropy (scores sequences)", ha="right", fontsize=8)
            ax2.set_ylim(0, h_max * 1.1)
            ax2.set_ylabel("bits", fontsize=8)
            if c is not greedy and c["diverge"] is not None:
                ax.axvline(c["diverge"] - 0.5, color=at.COLORS["black"], ls="--", lw=1.5)
                ax.text(c["diverge"] - 0.3, 0.97, "leaves greedy at step %d" % c["diverge"], fontsize=8, va="top",
                        bbox=dict(fc="white", ec="none", alpha=0.85, pad=1), zorder=5)
            elif c is not greedy:
                ax.text(0, 0.92, "never leaves greedy's path", fontsize=8, va="top")
            if c["loop"] is not None:
                start, length = c["loop"]["start_step"], c["loop"]["length"]
                ax.axvspan(start - 0.5, len(x) - 0.5, color=at.COLORS["yellow"], alpha=0.3, lw=0)
                ax.text(start, 1.02, "repetition loop: %d tokens repeat from step %d" % (length, start), fontsize=8)
            elif c is greedy:
                ax.text(len(x) - 0.5, 1.02, "no repetition loop found in %d steps" % len(x), fontsize=8, ha="right")
        axes[-1, 0].set_xlabel("generation step")
        handles = [matplotlib.patches.Patch(color=at.COLORS["grey"], label="chosen token's probability, on greedy's path"),
                   matplotlib.patches.Patch(color=at.CYCLE[1], label="... after leaving it (strategy's colour)"),
                   matplotlib.lines.Line2D([], [], color=at.COLORS["black"], marker=".", label="entropy, bits (right axis)")]
        if greedy["loop"] is not None:
            handles.append(matplotlib.patches.Patch(color=at.COLORS["yellow"], alpha=0.3, label="repetition loop"))
        fig.suptitle("Strategies side by side: each choice's probability and the entropy at each step")
        fig.tight_layout(rect=(0, 0, 1, 0.95))
        fig.legend(handles=handles, loc="upper center", ncol=len(handles), frameon=False, fontsize=8, bbox_to_anchor=(0.5, 0.955))
        save(fig, "03_strategies")
        plt.show()
        '''),
    md('''
        ## The tokens themselves

        One column per strategy, one row per step; the colour is the chosen token's
        probability. A thick outline marks the first token where a strategy leaves greedy;
        hatching marks greedy's loop.
        '''),
    code('''
        n_steps = max(len(c["ids"]) for c in columns)
        cmap = matplotlib.colormaps["cividis"]
        fig, ax = plt.subplots(figsize=(2.1 * len(columns) + 1, 0.27 * n_steps + 1))
        for j, c in enumerate(columns):
            for i, (tok, p) in enumerate(zip(c["tokens"], c["prob"])):
                looped = c is greedy and c["loop"] is not None and i >= c["loop"]["start_step"]
                ax.add_patch(matplotlib.patches.Rectangle((j, i), 0.96, 0.92, color=cmap(p), hatch="///" if looped else None,
                                                          ec=at.COLORS["grey"] if looped else cmap(p), lw=0))
                ax.text(j + 0.48, i + 0.46, tok, ha="center", va="center", fontsize=8, color="white" if p < 0.6 else "black")
            if c["diverge"] is not None:
                ax.add_patch(matplotlib.patches.Rectangle((j, c["diverge"]), 0.96, 0.92, fill=False, ec=at.COLORS["vermillion"], lw=2.5))
        ax.set_xlim(0, len(columns)); ax.set_ylim(n_steps, 0)
        ax.set_xticks(np.arange(len(columns)) + 0.48); ax.set_xticklabels([c["name"] for c in columns])
        ax.xaxis.tick_top()
        ax.set_yticks(np.arange(n_steps) + 0.46); ax.set_yticklabels(range(n_steps), fontsize=7)
        ax.set_ylabel("step")
        for side in ("left", "bottom"): ax.spines[side].set_visible(False)
        fig.colorbar(matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(0, 1), cmap=cmap), ax=ax,
                     shrink=0.5, label="chosen token's probability")
        ax.set_title("Generated tokens by strategy (outline: first step off greedy's path)", pad=24)
        save(fig, "03_tokens")
        plt.show()
        '''),
    md('''
        ## Teacher forcing against free generation

        **Teacher forcing** (`argen score`) runs the whole reference text (a story from the
        corpus) through the model in one pass under the causal mask: position *t* predicts
        token *t + 1* from the *true* prefix, and we read the probability of the true next
        token (what training optimises). **Free generation** (`--free-from 7`) starts from the
        same first words and continues with greedy choices, so after its first departure from
        the reference it conditions on its own output. Its choices are confident (greedy picks
        the peak) but drift away from the text.

        Checked here against independent routes: every score against the log-softmax of
        `argen logits --all-positions` (numpy), and the free continuation against
        `argen generate --strategy greedy` from the same prefix (the KV cache, step by step).
        '''),
    code('''
        sc = at.load_trace(os.path.join(TRACES, "score.json"))                    # kind "score"
        ref_ids = np.array(sc["ids"])
        ids_check, tf_logits = at.load_logits(os.path.join(TRACES, "teacher.json"))  # [T], [T, vocab]
        assert list(ids_check) == sc["ids"]
        logp = at.log_softmax(tf_logits)                                           # [T, vocab]
        pos = np.array([r["position"] for r in sc["scores"]])
        assert np.allclose([r["logprob"] for r in sc["scores"]], logp[pos - 1, ref_ids[pos]], atol=2e-5), "score != log-softmax"
        assert np.allclose([r["entropy_bits"] for r in sc["scores"]],
                           [at.entropy_bits(np.exp(row)) for row in logp[pos - 1]], atol=1e-4)
        ranks = [1 + int(np.sum(logp[p - 1] > logp[p - 1, ref_ids[p]])) for p in pos]
        assert [r["rank"] for r in sc["scores"]] == ranks, "ranks differ"
        assert abs(sc["summary"]["mean_loss_nats"] + logp[pos - 1, ref_ids[pos]].mean()) < 1e-4

        fr = sc["free"]
        n_prefix = fr["from_position"]
        free = at.load_trace(os.path.join(TRACES, "free.json"))
        free_steps = at.steps(free)[: len(fr["ids"])]
        assert [s["appended"]["id"] for s in free_steps] == fr["ids"], "score's free run differs from argen generate"
        assert np.allclose([s["selection"]["chosen"]["probability"] for s in free_steps], fr["probability"], atol=1e-5)

        t = np.arange(n_prefix, n_prefix + len(fr["ids"]))     # positions both predict
        tf_prob = np.exp(logp[t - 1, ref_ids[t]])               # p(reference token | true prefix)
        free_ids, free_prob = fr["ids"], np.array(fr["probability"])
        ref = {"tokens": sc["tokens"]}
        leave = None if fr["first_divergence"] is None else fr["first_divergence"] - n_prefix
        print("teacher forcing over %d tokens: mean loss %.3f nats, perplexity %.2f, top-1 on %.0f%% of tokens"
              % (sc["summary"]["n_scored"], sc["summary"]["mean_loss_nats"], sc["summary"]["perplexity"],
                 100 * sc["summary"]["top1_fraction"]))
        print("over positions %d..%d: reference %.3f nats/token; free generation's own choices %.3f nats/token"
              % (t[0], t[-1], -np.log(tf_prob).mean(), -np.log(free_prob).mean()))
        print("free generation leaves the reference at position", fr["first_divergence"])
        '''),
    code('''
        n = len(free_ids)
        x = t[:n]
        fig, (ax, axt, axc) = plt.subplots(3, 1, figsize=(12, 7.5), sharex=True, gridspec_kw=dict(height_ratios=(2.2, 1, 1.6)))
        ax.plot(x, tf_prob[:n], marker="o", ms=4, color=at.COLORS["blue"], label="teacher forcing: p(reference token | true prefix)")
        ax.plot(x, free_prob, marker="s", ms=4, color=at.COLORS["orange"], label="free generation: p(own greedy choice | own prefix)")
        if leave is not None:
            for a in (ax, axt, axc):
                a.axvspan(x[leave] - 0.5, x[-1] + 0.5, color=at.COLORS["grey"], alpha=0.15, lw=0)
            axt.text(x[leave] - 0.4, 0.98, "grey: free generation has left the reference (its context is its own)", fontsize=8, va="top")
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("probability")
        ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, fontsize=9)
        for k, xi in enumerate(x):
            same = free_ids[k] == ref_ids[xi]
            axt.text(xi, 0.62, at.label(ref["tokens"][xi], ref_ids[xi]), rotation=90, ha="center", va="center", fontsize=8,
                     color=at.COLORS["blue"])
            axt.text(xi, 0.15, at.label(fr["tokens"][k], free_ids[k]), rotation=90, ha="center",
                     va="center", fontsize=8, color=at.COLORS["black"] if same else at.COLORS["vermillion"],
                     fontweight="normal" if same else "bold")
        axt.set_yticks([0.62, 0.15]); axt.set_yticklabels(["reference", "free (red: differs)"])
        axt.set_ylim(-0.15, 1.0)
        axc.plot(x, np.cumsum(-np.log2(tf_prob[:n])), color=at.COLORS["blue"], label="teacher forcing (the reference text)")
        axc.plot(x, np.cumsum(-np.log2(free_prob)), color=at.COLORS["orange"], label="free generation (its own text)")
        axc.set_ylabel("cumulative\\nsurprisal (bits)")
        axc.legend(frameon=False, fontsize=8, loc="upper left")
        axc.set_xlabel("position in the story (the first %d tokens are the shared prompt)" % n_prefix)
        fig.suptitle("Teacher forcing vs free generation from the same %d-token prefix" % n_prefix, y=1.0)
        fig.tight_layout()
        save(fig, "03_teacher_forcing")
        plt.show()
        '''),
]


# ---- 04: temperature and truncation ----

NB04 = [
    md('''
        # Temperature and truncation on one real step

        One step's raw logits (from the full trace) pushed through every setting at once:
        how **temperature** changes the entropy of the distribution, and how many tokens
        **top-k** and **top-p** keep — and what is left of the uncertainty after they cut.

        * entropy against *T*, of the whole distribution and of what top-k / top-p keep;
        * the size of the nucleus against *T*, for several *p*;
        * the kept set's entropy as *k* grows, and the nucleus size as *p* grows, at three temperatures.

        Entropy in bits; 2^entropy is the number of equally likely tokens it is worth.
        '''),
    inputs('''
        STEP = os.environ.get("ARGEN_STEP", "max-entropy")   # a step number, or the most uncertain step
        K, P = 20, 0.9                                         # the k and p of the temperature panels
        '''),
    SETUP,
    code('''
        trace = at.load_trace(os.path.join(TRACES, "step-full.json"))
        step = at.pick_step(trace, None if STEP == "max-entropy" else int(STEP))
        sel = step["selection"]
        logits = at.logits_all(step)
        V = len(logits)
        print("step %d, context: %r" % (step["step"], "".join(t or "" for t in step["context"]["tokens"])))

        def after_top_k(p, k):
            """p restricted to its k largest, renormalised."""
            keep = np.argsort(-p, kind="stable")[:k]
            q = np.zeros_like(p); q[keep] = p[keep]
            return q / q.sum()

        def after_top_p(p, top_p):
            keep = np.argsort(-p, kind="stable")[: at.nucleus_size(p, top_p)]
            q = np.zeros_like(p); q[keep] = p[keep]
            return q / q.sum()

        # argen's own numbers at its temperature, recomputed.
        if trace["settings"]["repetition_penalty"] == 1:
            p_run = at.softmax(logits, sel["temperature"])
            assert abs(at.entropy_bits(p_run) - sel["entropy_bits"]) < 1e-3
            assert at.nucleus_size(p_run, 0.9) == sel["nucleus_size"], "nucleus size differs from argen's"
        temps = np.geomspace(0.1, 5, 60)
        '''),
    code('''
        fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
        ax = axes[0, 0]
        H = [at.entropy_bits(at.softmax(logits, T)) for T in temps]
        Hk = [at.entropy_bits(after_top_k(at.softmax(logits, T), K)) for T in temps]
        Hp = [at.entropy_bits(after_top_p(at.softmax(logits, T), P)) for T in temps]
        ax.plot(temps, H, color=at.COLORS["blue"], label="whole vocabulary")
        ax.plot(temps, Hk, color=at.COLORS["orange"], ls="--", label="after top-k = %d" % K)
        ax.plot(temps, Hp, color=at.COLORS["green"], ls="-.", label="after top-p = %g" % P)
        ax.axhline(np.log2(V), color=at.COLORS["grey"], lw=0.8)
        ax.text(0.11, np.log2(V) * 0.95, "uniform over %d tokens" % V, fontsize=8, va="top")
        ax.axvline(1, color=at.COLORS["black"], lw=0.6, ls=":")
        ax.set_xscale("log"); ax.set_xlabel("temperature T"); ax.set_ylabel("entropy (bits)")
        ax.set_title("Entropy against temperature"); ax.legend(frameon=False, fontsize=8)

        ax = axes[0, 1]
        for j, pp in enumerate((0.5, 0.8, 0.9, 0.95)):
            ax.plot(temps, [at.nucleus_size(at.softmax(logits, T), pp) for T in temps], color=at.CYCLE[j], label="top-p = %g" % pp)
        ax.axhline(K, color=at.COLORS["black"], ls=":", lw=1, label="top-k = %d (any T)" % K)
        ax.set_xscale("log"); ax.set_yscale("log"); ax.set_xlabel("temperature T"); ax.set_ylabel("tokens kept")
        ax.set_title("Size of the kept set against temperature"); ax.legend(frameon=False, fontsize=8)

        ks = np.unique(np.geomspace(1, V, 50).astype(int))
        ps = np.linspace(0.05, 0.99, 60)
        for j, T in enumerate((0.7, 1.0, 1.5)):
            p = at.softmax(logits, T)
            axes[1, 0].plot(ks, [at.entropy_bits(after_top_k(p, k)) for k in ks], color=at.CYCLE[j], label="T = %g" % T)
            axes[1, 1].plot(ps, [at.nucleus_size(p, pp) for pp in ps], color=at.CYCLE[j], label="T = %g" % T)
        axes[1, 0].set_xscale("log"); axes[1, 0].set_xlabel("top-k: k"); axes[1, 0].set_ylabel("entropy of what is kept (bits)")
        axes[1, 0].set_title("Entropy left after top-k, as k grows"); axes[1, 0].legend(frameon=False, fontsize=8)
        axes[1, 1].set_yscale("log"); axes[1, 1].set_xlabel("top-p: p"); axes[1, 1].set_ylabel("tokens kept")
        axes[1, 1].set_title("Nucleus size as p grows"); axes[1, 1].legend(frameon=False, fontsize=8)
        fig.suptitle("One step (%d), %d-token vocabulary: temperature, top-k and top-p" % (step["step"], V))
        fig.tight_layout()
        save(fig, "04_temperature_truncation")
        plt.show()
        '''),
    md('''
        ## The nucleus over (T, p)

        The number of tokens top-p keeps, for every pair of temperature and *p*, on a log
        colour scale: at low *T* almost any *p* keeps a handful; at high *T* the nucleus
        swells toward the whole vocabulary.
        '''),
    code('''
        grid = np.array([[at.nucleus_size(at.softmax(logits, T), pp) for T in temps] for pp in ps])
        fig, ax = plt.subplots(figsize=(8, 4))
        im = ax.pcolormesh(temps, ps, grid, norm=matplotlib.colors.LogNorm(1, V), cmap="viridis", shading="nearest")
        cs = ax.contour(temps, ps, grid, levels=[2, 5, 20, 100], colors="white", linewidths=0.8)
        ax.clabel(cs, fmt="%d", fontsize=8)
        ax.set_xscale("log"); ax.set_xlabel("temperature T"); ax.set_ylabel("top-p: p")
        fig.colorbar(im, ax=ax, label="tokens kept")
        ax.set_title("Tokens kept by top-p, over temperature and p (step %d)" % step["step"])
        save(fig, "04_nucleus_map")
        plt.show()
        '''),
]


# ---- 05: learned vs true ----

NB05 = [
    md('''
        # Learned against true next-word probabilities

        The story corpus comes from a probabilistic grammar, so at every **branch point**
        (a story prefix where the grammar chooses the next word) the true next-word
        distribution is known. `argen corpus --evaluate --model DIR` reads the model's
        probability of each option's tokens, renormalised over the options, and the
        KL divergence KL(true ‖ learned) in nats: 0 means the model learned the grammar's
        odds exactly. For the shipped model, `data/tiny/branch_eval.json` holds the same table.

        The bars below put the two distributions side by side; the last figure ranks the
        branch points by KL and shows how much of the model's probability falls on the
        grammar's options at all.
        '''),
    inputs('''
        BRANCH_EVAL = os.environ.get("ARGEN_BRANCH_EVAL", os.path.join(TRACES, "branch_eval.json"))
        '''),
    SETUP,
    code('''
        ev = at.load_branch_eval(BRANCH_EVAL)
        points = ev["branch_points"]
        # KL recomputed from the two columns: it must match argen's.
        for bp in points:
            true = [o["true"] for o in bp["options"]]
            learned = [o["learned"] for o in bp["options"]]
            assert abs(sum(true) - 1) < 1e-6 and abs(sum(learned) - 1) < 1e-4, bp["name"]
            assert abs(at.kl_nats(true, learned) - bp["kl"]) < 1e-4 + 1e-4 * bp["kl"], bp["name"]
        mean_kl = np.mean([bp["kl"] for bp in points])
        print("%d branch points, mean KL %.4f nats" % (len(points), mean_kl))
        '''),
    code('''
        n = len(points)
        n_cols = 4
        n_rows = (n + n_cols - 1) // n_cols
        fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.3 * n_cols, 2.7 * n_rows), squeeze=False)
        for ax, bp in zip(axes.flat, points):
            words = [at.label(o["word"]) for o in bp["options"]]
            x = np.arange(len(words))
            ax.bar(x - 0.2, [o["true"] for o in bp["options"]], 0.4, color=at.COLORS["blue"], label="true")
            ax.bar(x + 0.2, [o["learned"] for o in bp["options"]], 0.4, color=at.COLORS["orange"], label="learned")
            ax.set_xticks(x); ax.set_xticklabels(words, rotation=45, ha="right", fontsize=8)
            ax.set_ylim(0, 1)
            tail = bp["context"] if len(bp["context"]) <= 30 else "\u2026" + bp["context"][-29:]
            ax.set_title("%s: KL = %.3f nats\\n%s \u25b8" % (bp["name"], bp["kl"], tail), fontsize=9)
        for ax in axes.flat[n:]:
            ax.set_visible(False)
        axes[0, 0].legend(frameon=False, fontsize=8)
        fig.suptitle("Next-word probabilities at each branch point: true (grammar) vs learned (model)")
        fig.tight_layout()
        save(fig, "05_learned_vs_true")
        plt.show()
        '''),
    code('''
        order = sorted(points, key=lambda bp: -bp["kl"])
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 0.35 * n + 1.5), sharey=True)
        y = np.arange(n)
        ax1.barh(y, [bp["kl"] for bp in order], color=at.COLORS["vermillion"])
        ax1.axvline(mean_kl, color=at.COLORS["black"], ls="--", lw=1)
        ax1.text(mean_kl, n - 0.4, " mean %.3f" % mean_kl, fontsize=8)
        ax1.set_yticks(y); ax1.set_yticklabels([bp["name"] for bp in order], fontsize=8)
        ax1.invert_yaxis()
        ax1.set_xlabel("KL(true || learned), nats")
        ax1.set_title("Branch points, worst learned first")
        if all("mass" in bp for bp in order):
            ax2.barh(y, [bp["mass"] for bp in order], color=at.COLORS["sky"])
            ax2.set_xlim(0, 1)
            ax2.set_xlabel("model probability on the grammar's options")
            ax2.set_title("Mass on the options (before renormalising)")
        fig.tight_layout()
        save(fig, "05_kl_ranking")
        plt.show()
        '''),
]

NOTEBOOKS = {
    "01_one_step.ipynb": NB01,
    "02_attention.ipynb": NB02,
    "03_strategies.ipynb": NB03,
    "04_temperature_truncation.ipynb": NB04,
    "05_learned_vs_true.ipynb": NB05,
}


def build(cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    # Stable cell ids keep regenerated files diff-free.
    for i, cell in enumerate(nb.cells):
        cell["id"] = "cell-%02d" % i
    return nb


def write_all(out_dir):
    for name, cells in NOTEBOOKS.items():
        nbformat.write(build(cells), os.path.join(out_dir, name))


def check_all(nb_dir):
    """Committed notebooks must have exactly the cells this file writes."""
    bad = []
    for name, cells in NOTEBOOKS.items():
        path = os.path.join(nb_dir, name)
        if not os.path.exists(path):
            bad.append("%s: missing" % path)
            continue
        have = [(c.cell_type, c.source) for c in nbformat.read(path, as_version=4).cells]
        want = [(c.cell_type, c.source) for c in build(cells).cells]
        if have != want:
            bad.append("%s: cells differ from tools/make_notebooks.py (run it, then make notebooks)" % path)
    return bad


def run(paths, in_place, timeout):
    """Execute each notebook from a fresh kernel in notebooks/; returns the failures."""
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")   # quiets ipykernel's debugger warning
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    failures = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:                       # a clean state: no stale outputs
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
        try:
            client.execute()
        except CellExecutionError as e:
            lines = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).strip().splitlines()
            failures.append("%s: %s" % (path, "\n    ".join(lines[-12:])))
            continue
        except Exception as e:                      # kernel died, timeout
            failures.append("%s: %s: %s" % (path, type(e).__name__, e))
            continue
        nb.metadata.pop("widgets", None)
        if in_place:
            nbformat.write(nb, path)
        print("ok", path)
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare the committed notebooks' cells with this file")
    ap.add_argument("--run", action="store_true", help="execute notebooks (all of notebooks/ when none given)")
    ap.add_argument("--in-place", action="store_true", help="with --run: store the outputs in the notebooks")
    ap.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    ap.add_argument("--out", default=NB_DIR, help="where to write the notebooks (default notebooks/)")
    ap.add_argument("notebooks", nargs="*")
    a = ap.parse_args()
    if a.check:
        bad = check_all(a.out)
        for b in bad:
            print(b, file=sys.stderr)
        return 1 if bad else 0
    if a.run:
        paths = a.notebooks or sorted(glob.glob(os.path.join(NB_DIR, "*.ipynb")))
        failures = run(paths, a.in_place, a.timeout)
        for f in failures:
            print("FAILED", f, file=sys.stderr)
        return 1 if failures else 0
    write_all(a.out)
    print("wrote %d notebooks to %s" % (len(NOTEBOOKS), a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
