#!/usr/bin/python3
"""generate_ref.py - an independent reference for argen's generation loop.

Written from the documentation (docs/generation.md, src/core/rng.h, src/core/sampler.h,
traces/schema.json), not from argen's C code.  The forward pass is
gpt2_ref.py's (float64 numpy); on top of it:

  * PCG32 XSH RR 64/32 (rng.h): state = state * 6364136223846793005 + inc
    (mod 2^64), out = rotr32(((old >> 18) ^ old) >> 27, old >> 59); seed:
    state = 0, inc = (seq << 1) | 1, step, state += seed, step; one uniform
    (out >> 8) * 2^-24 per step, drawn whatever the strategy.  Checked
    against O'Neill's pcg32-demo vector (seed 42, seq 54 -> 0xa15c02b7 ...).
  * the processors in Hugging Face's order, in float64: repetition penalty
    (seen token: logit > 0 -> /R, else *R) -> temperature (/T) -> softmax over
    the whole vocabulary -> top-k (exactly K, ties toward the lower id) ->
    top-p (on the mass renormalized over what top-k kept: a token is kept
    while the mass before it is < P) -> min-p (p >= min_p * p_max); kept
    tokens own consecutive slices of [0, 1) in rank order, each as wide as
    its renormalized probability, and the slice holding the draw wins.
    Greedy (or T = 0): the argmax of the penalized logits, lower id on ties.
  * the loop: append the pick, then stop at eos_token_id, else at
    max_new_tokens, else when the context holds n_positions tokens (argen's
    precedence; max_new_tokens 0 stops before any step).

float32 (argen) against float64 (here): a pick can only legitimately differ
when the draw lies within the logits' float32 error of a slice boundary, two
logits are tied to within that error, or a truncation threshold is met to
within it.  Each step therefore yields the set of picks the logits admit
within --logit-tol (absolute, on the raw logits); when argen's pick is in it
the reference follows argen's pick and says so, otherwise it is a mismatch.

Usage:
  generate_ref.py --model DIR --ids 1,2,3 [--strategy S] [--temperature T]
      [--top-k K] [--top-p P] [--min-p P] [--repetition-penalty R] [--seed S]
      [--stream N] [--max-new-tokens N] [--compare ARGEN.json] [--logit-tol X]
    Without --compare: prints {"ids", "stop_reason", "near_boundary_steps"}.
    With --compare (argen generate --json output): compares, exit 1 on mismatch.
  generate_ref.py --check-trace TRACE.json [--model DIR] [--json ARGEN.json]
    validates against traces/schema.json and recomputes every step's
    selection from the trace's own numbers (the whole vocabulary at the full
    level, the top-N table at summary); with --model also compares the
    recorded logits with the float64 forward pass; with --json the trace's
    tokens with argen's --json output.
  generate_ref.py ... --logit-tol-from ARGEN_LOGITS.json
    sets --logit-tol to 10x the largest difference between `argen logits
    --all-positions` output and the float64 forward pass (a model whose float32
    error is not known in advance, such as data/tiny).
  generate_ref.py --batch FILE
    runs each line of FILE as a command line of this script in one process
    (each model read once); exit 1 when any line fails.
  generate_ref.py --self-test
    PCG32 against pcg32-demo, the processors on hand-derived cases.
"""
import argparse
import json
import math
import os
import shlex
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2_ref  # noqa: E402

M64 = 2 ** 64
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---- PCG32 (src/core/rng.h, docs/generation.md) ----

class Pcg32:
    def __init__(self, seed, seq):
        self.inc = ((seq << 1) | 1) % M64
        self.state = 0
        self.u32()
        self.state = (self.state + seed) % M64
        self.u32()

    def u32(self):
        old = self.state
        self.state = (old * 6364136223846793005 + self.inc) % M64
        x = (((old >> 18) ^ old) >> 27) & 0xffffffff
        r = old >> 59
        return ((x >> r) | (x << ((32 - r) & 31))) & 0xffffffff

    def uniform(self):
        """[0, 1) with 24 bits: exactly representable in float32 and float64."""
        return (self.u32() >> 8) * 2.0 ** -24


def draws(seed, stream, n):
    g = Pcg32(seed, stream)
    return [g.uniform() for _ in range(n)]


# ---- settings ----

STRATEGIES = ("greedy", "sample", "top-k", "top-p", "min-p")


def f32(x):
    """argen keeps its settings as C floats."""
    return float(np.float32(x))


def settings_for(strategy, temperature=None, top_k=None, top_p=None, min_p=None, penalty=None):
    """The documented defaults of each strategy, overridden by what is given:
    T 1, top-k 40 with top-k, top-p 0.9 with top-p, min-p 0.05 with min-p."""
    return {
        "strategy": strategy,
        "temperature": f32(1.0 if temperature is None else temperature),
        "top_k": (40 if strategy == "top-k" else 0) if top_k is None else int(top_k),
        "top_p": f32((0.9 if strategy == "top-p" else 1.0) if top_p is None else top_p),
        "min_p": f32((0.05 if strategy == "min-p" else 0.0) if min_p is None else min_p),
        "repetition_penalty": f32(1.0 if penalty is None else penalty),
    }


def is_greedy(s):
    return s["strategy"] == "greedy" or s["temperature"] <= 0


# ---- the processors, float64, each [V] -> [V] or a count ----

def repetition_penalty(logits, context, R):
    out = np.array(logits, dtype=np.float64)
    if R == 1.0:
        return out
    seen = np.zeros(len(out), dtype=bool)
    seen[np.asarray(context, dtype=np.int64)] = True
    x = out[seen]
    out[seen] = np.where(x > 0, x / R, x * R)
    return out


def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def rank_order(x):
    """Token ids by x descending, ties toward the lower id."""
    return np.lexsort((np.arange(len(x)), -x))


def top_k_count(k, V):
    return V if k <= 0 or k >= V else k


def top_p_count(p_sorted, n, P, slack=0.0):
    """Ranks kept by top-p among the first n: rank r is kept while the mass
    before it is < P times the mass of the n (renormalized as HF, after top-k).
    slack moves the threshold by that fraction (to find the counts a rounding
    could give).  At least 1."""
    if P >= 1.0:
        return n
    before = np.concatenate(([0.0], np.cumsum(p_sorted[:n])[:-1]))
    limit = P * p_sorted[:n].sum() * (1.0 + slack)
    return max(1, int(np.count_nonzero(before < limit)))


def min_p_count(p_sorted, n, min_p, slack=0.0):
    """Ranks kept by min-p among the first n: p >= min_p * p_max.  At least 1."""
    if min_p <= 0:
        return n
    limit = min_p * p_sorted[0] * (1.0 + slack)
    keep = p_sorted[:n] >= limit
    keep[0] = True
    return int(np.argmin(keep)) if not keep.all() else n


def count_range(f, rel):
    """The counts f gives as its threshold moves by +-rel: [low, high]."""
    a, b = f(rel), f(-rel)
    return range(min(a, b), max(a, b) + 1)


def slices(p_sorted, n):
    """[lo, hi) of each of the first n ranks, the last hi exactly 1."""
    cum = np.cumsum(p_sorted[:n])
    hi = cum / cum[-1]
    hi[-1] = 1.0
    lo = np.concatenate(([0.0], hi[:-1]))
    return lo, hi


def pick_index(p_sorted, n, u):
    """The index in the sorted order of the slice holding u: the token of rank index + 1."""
    lo, hi = slices(p_sorted, n)
    return int(np.count_nonzero(hi <= u)) if u < 1 else n - 1


class Step:
    """One selection: the pick under float64 and every pick the logits admit
    within tol (absolute, on the raw logits)."""

    def __init__(self, logits, context, s, u, tol):
        V = len(logits)
        pen = repetition_penalty(logits, context, s["repetition_penalty"])
        self.greedy = is_greedy(s)
        if self.greedy:
            order = rank_order(pen)
            self.choice = int(order[0])
            # exact ties (identical unembedding rows) are exact in float32
            # too: only the lower id; near-ties within tol: any of them
            top = pen[order[0]]
            near = (pen >= top - tol) & (pen != top)
            self.plausible = sorted([self.choice] + [int(i) for i in np.nonzero(near)[0]])
            return
        T = s["temperature"]
        scaled = pen / T
        probs = softmax(scaled)
        order = rank_order(scaled)
        ps = probs[order]
        # a logit error e moves each probability by a relative 2e/T at most,
        # and a slice boundary (a ratio of sums of them) by about as much
        rel = 4.0 * tol / T
        n_k = top_k_count(s["top_k"], V)
        n_p = top_p_count(ps, n_k, s["top_p"])
        n_kept = min_p_count(ps, n_p, s["min_p"])
        self.choice = int(order[pick_index(ps, n_kept, u)])
        self.n = (n_k, n_p, n_kept)
        ranks = set()
        for n_p2 in count_range(lambda d: top_p_count(ps, n_k, s["top_p"], d), rel):
            for n2 in count_range(lambda d: min_p_count(ps, n_p2, s["min_p"], d), rel):
                lo, hi = slices(ps, n2)
                r = pick_index(ps, n2, u)
                ranks.add(r)
                if r > 0 and u - lo[r] < rel:
                    ranks.add(r - 1)
                if r + 1 < n2 and hi[r] - u < rel:
                    ranks.add(r + 1)
        # near-ties swap neighbours in the order (and so their slices); exact
        # ties (identical rows of the unembedding) stay exact in float32 and
        # break toward the lower id on both sides
        sv = scaled[order]
        grow = True
        while grow:
            grow = False
            for r in list(ranks):
                for q in (r - 1, r + 1):
                    if 0 <= q < V and q not in ranks and 0 < abs(sv[q] - sv[r]) < 2 * tol / T:
                        ranks.add(q)
                        grow = True
        self.plausible = sorted(int(order[r]) for r in ranks)


# ---- the loop ----

def generate(config, w, prompt, s, max_new, seed=0, stream=0, follow=None, tol=1e-4):
    """Returns {"ids" (generated), "stop_reason", "near", "mismatch"}.  With
    follow (argen's generated ids), a near-boundary step takes argen's pick
    when the logits admit it; a pick they do not admit is a mismatch."""
    eos = config.get("eos_token_id")
    P = config.get("n_positions", config.get("n_ctx"))
    ids = list(prompt)
    rng = Pcg32(seed, stream)
    out = {"ids": [], "stop_reason": None, "near": [], "mismatch": None}
    if max_new <= 0:
        out["stop_reason"] = "max_new_tokens"
        return out
    if len(ids) >= P:
        out["stop_reason"] = "context_full"
        return out
    step = 0
    while True:
        u = rng.uniform()
        logits = gpt2_ref.forward(config, w, ids)[-1]
        st = Step(logits, ids, s, u, tol)
        token = st.choice
        if follow is not None:
            if step >= len(follow):
                out["mismatch"] = "argen stopped after %d tokens; the reference continues with %d (draw %.9g)" % (
                    step, token, u)
                return out
            if follow[step] in st.plausible:
                token = follow[step]
            else:
                out["mismatch"] = ("step %d: argen picked %d, the reference %d (draw %.9g; picks within "
                                   "tolerance: %s)" % (step, follow[step], st.choice, u, st.plausible))
                return out
        if len(st.plausible) > 1:
            out["near"].append({"step": step, "draw": u, "picks": st.plausible, "took": token})
        ids.append(token)
        out["ids"].append(token)
        step += 1
        if token == eos:
            out["stop_reason"] = "eos"
        elif step >= max_new:
            out["stop_reason"] = "max_new_tokens"
        elif len(ids) >= P:
            out["stop_reason"] = "context_full"
        if out["stop_reason"]:
            return out


def short(ids, n=6):
    return "[%s%s]" % (", ".join(map(str, ids[:n])), ", ... %d in all" % len(ids) if len(ids) > n else "")


def compare_run(a, config, w):
    with open(a.compare) as f:
        got = json.load(f)
    s = settings_for(a.strategy, a.temperature, a.top_k, a.top_p, a.min_p, a.repetition_penalty)
    prompt = gpt2_ref.parse_ids(a.ids)
    given = [(k, v) for k, v in (("T", a.temperature), ("top-k", a.top_k), ("top-p", a.top_p), ("min-p", a.min_p),
                                  ("penalty", a.repetition_penalty)) if v is not None]
    label = "%s %s%s seed %d" % (os.path.basename(a.model.rstrip("/")), a.strategy,
                                 "".join(" %s %g" % kv for kv in given), a.seed)
    if got.get("prompt_ids", prompt) != prompt:
        print("FAIL %s: argen's prompt_ids %s, expected %s" % (label, got.get("prompt_ids"), prompt))
        return 1
    r = generate(config, w, prompt, s, a.max_new_tokens, a.seed, a.stream, got["ids"], a.logit_tol)
    if r["mismatch"]:
        print("FAIL %s: %s" % (label, r["mismatch"]))
        return 1
    if len(r["ids"]) != len(got["ids"]) or r["stop_reason"] != got.get("stop_reason"):
        print("FAIL %s: argen %d tokens, stop %s; reference %d tokens, stop %s" % (
            label, len(got["ids"]), got.get("stop_reason"), len(r["ids"]), r["stop_reason"]))
        return 1
    note = ""
    if r["near"]:
        note = "; skipped %d near-boundary pick(s): %s" % (len(r["near"]), "; ".join(
            "step %d draw %.7g could be any of %s, argen took %d" % (n["step"], n["draw"], short(n["picks"]), n["took"])
            for n in r["near"]))
    print("ok   %s: %d tokens equal, stop %s%s" % (label, len(got["ids"]), r["stop_reason"], note))
    return 0


# ---- checking a trace ----

class Checker:
    def __init__(self, path):
        self.path = path
        self.errors = []
        self.skips = []

    def expect(self, cond, msg):
        if not cond:
            self.errors.append(msg)
        return cond

    def close(self, got, want, rtol, atol, what):
        ok = got is not None and abs(got - want) <= atol + rtol * abs(want)
        return self.expect(ok, "%s: %r, recomputed %r" % (what, got, want))


def as32(v):
    """A number as argen wrote it: the shortest decimal that round-trips its float32."""
    return float(np.float32(v)) if v is not None else None


def validate_schema(doc, ck):
    try:
        import jsonschema
    except ImportError:
        ck.skips.append("python3-jsonschema is missing: schema not checked")
        return
    with open(os.path.join(REPO, "traces", "schema.json")) as f:
        schema = json.load(f)
    for e in jsonschema.Draft202012Validator(schema).iter_errors(doc):
        ck.errors.append("schema: %s at %s" % (e.message[:200], "/".join(str(p) for p in e.absolute_path)))


def settings_of(doc):
    t = doc["settings"]
    return settings_for(t["strategy"], t["temperature"], t["top_k"], t["top_p"], t["min_p"], t["repetition_penalty"])


def check_rows(ck, where, sel, rows, greedy=False):
    """What the table says on its own: ranks, flags, renormalized, slices.
    Ranks count from 1 (rank 1 = the most likely; r below is rank - 1, the
    index in the sorted order, which n_top_k, n_top_p and n_kept count).
    Greedy (docs/generation.md): no truncation rule runs, so every rule keeps
    every row (n_top_k = n_top_p = V) and each row below rank 1 is cut by
    "argmax"; only rank 1 is kept."""
    n_kept = sel["n_kept"]
    ck.expect(not rows or rows[0]["rank"] == 1, "%s: the table starts at rank %s, expected 1 (the most likely token)"
              % (where, rows[0]["rank"] if rows else None))
    ck.expect(sel["chosen"]["rank"] >= 1, "%s: chosen rank %d, expected 1 or more" % (where, sel["chosen"]["rank"]))
    if greedy:
        ck.expect(sel["chosen"]["rank"] == 1, "%s: an argmax step chose rank %d, expected rank 1" % (where, sel["chosen"]["rank"]))
    for row in rows:
        r, w = row["rank"] - 1, "%s rank %d" % (where, row["rank"])
        if row["id"] == sel["chosen"]["id"]:
            ck.expect(row["rank"] == sel["chosen"]["rank"], "%s: chosen.rank is %d, its row says %d"
                      % (where, sel["chosen"]["rank"], row["rank"]))
        ck.expect(row["kept_top_k"] == (r < sel["n_top_k"]), "%s: kept_top_k" % w)
        ck.expect(row["kept_top_p"] == (r < sel["n_top_p"]), "%s: kept_top_p" % w)
        ck.expect(row["kept_min_p"] == (greedy or r < n_kept), "%s: kept_min_p" % w)
        if greedy:
            cut = None if r == 0 else "argmax"   # rank 1 taken
        else:
            cut = None if r < n_kept else "top-k" if r >= sel["n_top_k"] else "top-p" if r >= sel["n_top_p"] else "min-p"
        ck.expect(row["cut_by"] == cut, "%s: cut_by %s, expected %s" % (w, row["cut_by"], cut))
        if r < n_kept:
            ck.close(row["renormalized"], row["probability"] / sel["kept_mass"], 1e-5, 1e-9, w + " renormalized")
            ck.expect(row["slice"] is not None, w + ": kept without a slice")
            if row["slice"] is not None:
                lo, hi = row["slice"]
                before = row["cumulative"] - row["probability"]
                ck.close(lo, before / sel["kept_mass"], 1e-5, 1e-6, w + " slice lo")
                ck.close(hi, 1.0 if r == n_kept - 1 else row["cumulative"] / sel["kept_mass"], 1e-5, 1e-6,
                         w + " slice hi")
        else:
            ck.expect(row["renormalized"] == 0 and row["slice"] is None, w + ": cut but renormalized/slice set")
    ranks = [row["rank"] for row in rows]
    ck.expect(ranks == sorted(ranks) and len(set(ranks)) == len(ranks), where + ": table ranks not increasing")


def check_step_summary(ck, where, sel, rows, s, context, V):
    """Recomputes what the top-N table allows: penalized, scaled, ratios of
    probabilities (softmax: p_r / p_0 = exp(scaled_r - scaled_0)), cumulative."""
    T = 1.0 if is_greedy(s) else s["temperature"]
    ck.close(sel["temperature"], T, 1e-6, 0, where + " temperature")
    prev = 0.0
    seen = set(context)
    for i, row in enumerate(rows):
        w = "%s rank %d" % (where, row["rank"])
        x = as32(row["logit"])
        R = s["repetition_penalty"]
        pen = (x / R if x > 0 else x * R) if (row["id"] in seen and R != 1.0) else x
        ck.close(as32(row["penalized"]), pen, 1e-6, 1e-7, w + " penalized")
        ck.close(as32(row["scaled"]), as32(row["penalized"]) / T, 1e-6, 1e-7, w + " scaled")
        if i > 0 and rows[0]["rank"] == 1:
            ratio = math.exp(as32(row["scaled"]) - as32(rows[0]["scaled"]))
            ck.close(row["probability"], rows[0]["probability"] * ratio, 1e-5, 1e-12, w + " probability ratio")
        if row["rank"] == i + 1:   # the contiguous prefix of ranks, from 1
            prev += row["probability"]
            ck.close(row["cumulative"], prev, 1e-5, 1e-9, w + " cumulative")
            if i > 0:
                a, b = rows[i - 1], row
                ck.expect((as32(a["scaled"]), -a["id"]) > (as32(b["scaled"]), -b["id"]),
                          "%s: ranks %d and %d out of order" % (where, a["rank"], b["rank"]))
    if is_greedy(s) or not rows or rows[0]["rank"] != 1:
        return
    # the truncations, as far as the visible rows show them
    ck.expect(sel["n_top_k"] == top_k_count(s["top_k"], V), "%s: n_top_k %d with top_k %d, vocabulary %d" % (
        where, sel["n_top_k"], s["top_k"], V))
    p0 = rows[0]["probability"]
    for row in rows:
        r, p, w = row["rank"] - 1, row["probability"], "%s rank %d" % (where, row["rank"])
        if s["top_k"] <= 0 and s["top_p"] < 1 and abs((row["cumulative"] - p) - s["top_p"]) > 1e-5:
            # top-k off: the mass top-p renormalizes over is the whole vocabulary's, 1
            ck.expect(row["kept_top_p"] == (row["cumulative"] - p < s["top_p"]),
                      "%s: kept_top_p %s with the mass before it %.9g, top_p %g" % (
                          w, row["kept_top_p"], row["cumulative"] - p, s["top_p"]))
        if r < sel["n_top_p"] and s["min_p"] > 0 and abs(p - s["min_p"] * p0) > 1e-5 * p0:
            ck.expect(row["kept_min_p"] == (p >= s["min_p"] * p0),
                      "%s: kept_min_p %s with p %.9g, min_p * p_max %.9g" % (w, row["kept_min_p"], p, s["min_p"] * p0))
        if r == sel["n_kept"] - 1 and row["rank"] == rows.index(row) + 1:
            ck.close(sel["kept_mass"], row["cumulative"], 1e-5, 1e-9, where + " kept_mass")


def check_step_full(ck, where, st, s, context, u, V):
    """At the full level: everything from the whole logit vector."""
    sel = st["selection"]
    logits = np.array([as32(v) for v in st["logits"]["all"]], dtype=np.float64)
    if not ck.expect(len(logits) == V and np.isfinite(logits).all(), where + ": logits.all not [V] finite"):
        return
    for k, row in enumerate(st["logits"]["top"]):
        ck.expect(as32(row["logit"]) == logits[row["id"]], "%s: logits.top id %d differs from logits.all" % (
            where, row["id"]))
        ck.expect(row["rank"] == k + 1, "%s: logits.top[%d] has rank %d, expected %d (ranks count from 1)" % (
            where, k, row["rank"], k + 1))
    raw_order = rank_order(logits)
    ck.expect([row["id"] for row in st["logits"]["top"]] == [int(i) for i in raw_order[:len(st["logits"]["top"])]],
              where + ": logits.top is not the top of logits.all")
    greedy = is_greedy(s)
    T = 1.0 if greedy else s["temperature"]
    pen = repetition_penalty(logits, context, s["repetition_penalty"])
    scaled = pen / T
    probs = softmax(scaled)
    order = rank_order(scaled)
    ps = probs[order]
    rank_of = np.empty(V, dtype=np.int64)
    rank_of[order] = np.arange(1, V + 1)   # rank 1 = the most likely
    cum = np.cumsum(ps)
    for row in sel["table"]:
        w = "%s rank %d id %d" % (where, row["rank"], row["id"])
        i = row["id"]
        ck.expect(int(rank_of[i]) == row["rank"], "%s: rank, recomputed %d" % (w, rank_of[i]))
        ck.close(as32(row["logit"]), logits[i], 0, 0, w + " logit")
        ck.close(as32(row["penalized"]), pen[i], 1e-6, 1e-7, w + " penalized")
        ck.close(as32(row["scaled"]), scaled[i], 1e-6, 1e-7, w + " scaled")
        ck.close(row["probability"], probs[i], 1e-5, 1e-12, w + " probability")
        ck.close(row["cumulative"], cum[rank_of[i] - 1], 1e-5, 1e-9, w + " cumulative")
    H = float(-(probs[probs > 0] * np.log(probs[probs > 0])).sum())
    ck.close(sel["entropy_nats"], H, 1e-5, 1e-6, where + " entropy_nats")
    ck.close(sel["entropy_bits"], H / math.log(2), 1e-5, 1e-6, where + " entropy_bits")
    ck.close(sel["effective_candidates"], math.exp(H), 1e-5, 1e-6, where + " effective_candidates")
    rel = 1e-5
    nuc = count_range(lambda d: top_p_count(ps, V, 0.9, d), rel)
    ck.expect(sel["nucleus_size"] in nuc, "%s: nucleus_size %d, recomputed %s" % (where, sel["nucleus_size"], list(nuc)))
    if greedy:
        ck.expect(sel["n_kept"] == 1 and sel["chosen"]["id"] == int(order[0]) and sel["chosen"]["rank"] == 1,
                  where + ": greedy pick (the argmax, rank 1)")
    else:
        n_k = top_k_count(s["top_k"], V)
        ck.expect(sel["n_top_k"] == n_k, "%s: n_top_k %d, recomputed %d" % (where, sel["n_top_k"], n_k))
        n_p = count_range(lambda d: top_p_count(ps, n_k, s["top_p"], d), rel)
        ck.expect(sel["n_top_p"] in n_p, "%s: n_top_p %d, recomputed %s" % (where, sel["n_top_p"], list(n_p)))
        n_m = count_range(lambda d: min_p_count(ps, sel["n_top_p"], s["min_p"], d), rel)
        ck.expect(sel["n_kept"] in n_m, "%s: n_kept %d, recomputed %s" % (where, sel["n_kept"], list(n_m)))
        n = sel["n_kept"]
        ck.close(sel["kept_mass"], float(ps[:n].sum()), 1e-5, 1e-9, where + " kept_mass")
        lo, hi = slices(ps, n)
        r = pick_index(ps, n, u)               # an index into order: rank r + 1
        chosen_rank = sel["chosen"]["rank"]   # counts from 1
        if chosen_rank != r + 1:
            ok = abs(u - lo[r]) < rel or abs(u - hi[r]) < rel
            if ok:
                ck.skips.append("%s: draw %.9g within %g of a slice boundary: pick not checked" % (where, u, rel))
            else:
                ck.expect(False, "%s: chosen rank %d, recomputed %d (draw %.9g)" % (where, chosen_rank, r + 1, u))
        ck.expect(1 <= chosen_rank <= V and sel["chosen"]["id"] == int(order[chosen_rank - 1]),
                  where + ": chosen id is not the token of its rank (order[rank - 1])")
    # the alternatives: each rule alone on the same probabilities and draw
    alts = {"greedy": (0, 1.0, 0.0, True), "top-k=40": (40, 1.0, 0.0, False),
            "top-p=0.9": (0, 0.9, 0.0, False), "min-p=0.05": (0, 1.0, 0.05, False)}
    for name, (k, p, m, g) in alts.items():
        got = sel["alternatives"][name]["id"]
        if g:
            ck.expect(got == int(order[0]), "%s: alternative greedy %d, expected %d" % (where, got, order[0]))
            continue
        picks = set()
        n_k = top_k_count(k, V)
        for n_p in count_range(lambda d: top_p_count(ps, n_k, f32(p), d), rel):
            for n in count_range(lambda d: min_p_count(ps, n_p, f32(m), d), rel):
                lo, hi = slices(ps, n)
                r = pick_index(ps, n, u)
                picks.add(int(order[r]))
                if r > 0 and u - lo[r] < rel:
                    picks.add(int(order[r - 1]))
                if r + 1 < n and hi[r] - u < rel:
                    picks.add(int(order[r + 1]))
        ck.expect(got in picks, "%s: alternative %s picked %d, recomputed %s" % (where, name, got, sorted(picks)))


def check_trace(path, model=None, argen_json=None, logit_tol=1e-4, load=gpt2_ref.load):
    ck = Checker(path)
    with open(path) as f:
        doc = json.load(f)
    validate_schema(doc, ck)
    if ck.errors:
        return ck
    if doc["settings"]["strategy"] == "beam":
        ck.skips.append("beam trace: only the schema is checked")
        return ck
    s = settings_of(doc)
    V = doc["model"]["config"]["vocab_size"]
    full = doc["level"] == "full"
    steps = doc["steps"]
    u_list = draws(doc["rng"]["seed"], doc["rng"]["stream"], len(steps))
    ck.expect(doc["rng"]["seed"] == doc["seed"], "rng.seed differs from seed")
    context = list(doc["prompt"]["ids"])
    config = w = None
    if model:
        config, w = load(model)
    for i, st in enumerate(steps):
        where = "step %d" % i
        sel = st["selection"]
        ck.expect(st["step"] == i and st["position"] == len(context), where + ": step/position")
        ck.expect(st["context"]["ids"] == context, where + ": context is not prompt + appended so far")
        if is_greedy(s):   # greedy takes the argmax: no draw is recorded
            ck.expect(sel["draw"] is None, "%s: greedy step records draw %r, expected none" % (where, sel["draw"]))
        else:
            ck.expect(as32(sel["draw"]) == u_list[i], "%s: draw %r, PCG32 gives %r" % (where, sel["draw"], u_list[i]))
        u = u_list[i]
        rows = sel["table"]
        check_rows(ck, where, sel, rows, is_greedy(s))
        check_step_summary(ck, where, sel, rows, s, context, V)
        chosen = [row for row in rows if row["id"] == sel["chosen"]["id"]]
        if ck.expect(len(chosen) == 1, where + ": chosen token not in the table") and not is_greedy(s):
            lo, hi = chosen[0]["slice"] or (None, None)
            ck.expect(lo is not None and lo - 1e-6 <= u < hi + 1e-6,
                      "%s: draw %.9g outside the chosen slice %s" % (where, u, chosen[0]["slice"]))
        if full:
            check_step_full(ck, where, st, s, context, u, V)
        if config is not None:
            ref = gpt2_ref.forward(config, w, context)[-1]
            got = st["logits"]["all"] if full else None
            if got is not None:
                d = float(np.abs(np.array(got, dtype=np.float64) - ref).max())
            else:
                d = max(abs(as32(row["logit"]) - ref[row["id"]]) for row in st["logits"]["top"])
            ck.expect(d <= logit_tol, "%s: recorded logits differ from the float64 forward pass by %.3g" % (where, d))
        ck.expect(st["appended"]["id"] == sel["chosen"]["id"] and st["appended"]["ids"] == context + [sel["chosen"]["id"]],
                  where + ": appended is not context + chosen")
        context = context + [sel["chosen"]["id"]]
    seq = doc["result"]["sequences"][0]["ids"]
    ck.expect(seq == context, "result.sequences[0].ids is not the final context")
    if argen_json:
        with open(argen_json) as f:
            got = json.load(f)
        ck.expect(got["prompt_ids"] + got["ids"] == context and got["stop_reason"] == doc["result"]["stop_reason"],
                  "the trace's tokens or stop reason differ from argen --json's")
    return ck


# ---- self test ----

def self_test():
    # O'Neill's pcg32-demo: pcg32_srandom_r(42, 54)
    g = Pcg32(42, 54)
    assert [g.u32() for _ in range(6)] == [0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b,
                                           0xcbed606e]
    # by hand: V = 5, all the processors
    logits = np.array([2.0, -1.0, 2.0, 0.5, 1.0])
    pen = repetition_penalty(logits, [0, 1], 2.0)
    assert pen.tolist() == [1.0, -2.0, 2.0, 0.5, 1.0]
    order = rank_order(pen)
    assert order.tolist() == [2, 0, 4, 3, 1]      # 0 and 4 tie at 1.0: lower id first
    ps = np.array([0.4, 0.3, 0.2, 0.06, 0.04])
    assert top_k_count(3, 5) == 3 and top_k_count(0, 5) == 5 and top_k_count(9, 5) == 5
    assert top_p_count(ps, 5, 0.7) == 2           # before: 0, 0.4 < 0.7; 0.7 is not < 0.7
    assert top_p_count(ps, 5, 0.71) == 3
    assert top_p_count(ps, 2, 0.5) == 1           # over the top-2 mass 0.7: 0.4 >= 0.35
    assert min_p_count(ps, 5, 0.5) == 3           # 0.2 >= 0.5 * 0.4 (kept at equality)
    assert min_p_count(ps, 5, 0.51) == 2
    assert min_p_count(ps, 5, 0.15) == 4          # 0.06 >= 0.06
    assert pick_index(ps, 5, 0.0) == 0 and pick_index(ps, 5, 0.4) == 1 and pick_index(ps, 5, 0.99) == 4
    assert pick_index(ps, 2, 0.5) == 0 and pick_index(ps, 2, 0.6) == 1   # slices [0, 4/7), [4/7, 1)
    s = settings_for("top-p", temperature=1.0)
    st = Step(np.log(ps), [], s, 0.5, 1e-9)
    assert st.choice == 1 and st.plausible == [1] and st.n == (5, 3, 3)   # 0.5 / 0.9 in [0.444, 0.778)
    st = Step(np.log(ps), [], s, 0.4 / 0.9, 1e-3)
    assert st.plausible == [0, 1], st.plausible     # on the boundary of ranks 1 and 2 (ids 0 and 1)
    print("generate_ref self-test: ok")


# ---- command line ----

def parser():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model")
    ap.add_argument("--ids")
    ap.add_argument("--strategy", choices=STRATEGIES, default="greedy")
    ap.add_argument("--temperature", type=float)
    ap.add_argument("--top-k", type=int)
    ap.add_argument("--top-p", type=float)
    ap.add_argument("--min-p", type=float)
    ap.add_argument("--repetition-penalty", type=float)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stream", type=int, default=0)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--compare", help="argen generate --json output to compare with")
    ap.add_argument("--logit-tol", type=float, default=1e-4,
                    help="float32 error allowed on a logit when deciding whether a pick is near a boundary")
    ap.add_argument("--logit-tol-from", metavar="ARGEN_LOGITS.json",
                    help="set --logit-tol to 10x the max |diff| of `argen logits --all-positions` output from the "
                         "float64 forward pass (at least 1e-7)")
    ap.add_argument("--check-trace")
    ap.add_argument("--json", help="with --check-trace: argen's --json output of the same run")
    ap.add_argument("--batch", metavar="FILE",
                    help="run each line of FILE as a command line of this script, in one process")
    ap.add_argument("--self-test", action="store_true")
    return ap


def measured_tol(path, model, load, memo={}):
    """10x the largest difference between argen's logits and the float64 ones."""
    if (path, model) in memo:
        return memo[(path, model)]
    with open(path) as f:
        got = json.load(f)
    config, w = load(model)
    want = gpt2_ref.forward(config, w, got["ids"])
    diff = float(np.abs(np.array(got["logits"], dtype=np.float64) - want.reshape(np.shape(got["logits"]))).max())
    tol = max(10 * diff, 1e-7)
    print("     %s: argen's logits within %.3g of float64: --logit-tol %.3g" % (
        os.path.basename(model.rstrip("/")), diff, tol))
    memo[(path, model)] = tol
    return tol


def run(argv, load):
    ap = parser()
    a = ap.parse_args(argv)
    if a.self_test:
        self_test()
        return 0
    if a.batch:
        bad = 0
        with open(a.batch) as f:
            for line in f:
                if line.strip():
                    bad += run(shlex.split(line), load) != 0
        return 1 if bad else 0
    if a.logit_tol_from:
        a.logit_tol = measured_tol(a.logit_tol_from, a.model, load)
    if a.check_trace:
        ck = check_trace(a.check_trace, a.model, a.json, a.logit_tol, load)
        name = os.path.basename(a.check_trace)
        for m in ck.skips:
            print("     %s: skipped: %s" % (name, m))
        if ck.errors:
            for m in ck.errors[:10]:
                print("FAIL %s: %s" % (name, m))
            if len(ck.errors) > 10:
                print("     ... %d more" % (len(ck.errors) - 10))
            return 1
        print("ok   %s: validates; every step's selection agrees with its recorded logits" % name)
        return 0
    if not a.model or not a.ids:
        ap.error("--model and --ids are required")
    config, w = load(a.model)
    if a.compare:
        return compare_run(a, config, w)
    s = settings_for(a.strategy, a.temperature, a.top_k, a.top_p, a.min_p, a.repetition_penalty)
    r = generate(config, w, gpt2_ref.parse_ids(a.ids), s, a.max_new_tokens, a.seed, a.stream, None, a.logit_tol)
    print(json.dumps({"ids": r["ids"], "stop_reason": r["stop_reason"], "near_boundary_steps": r["near"]}))
    return 0


def main():
    models = {}

    def load(model):
        """Each model read once per process (a batch compares many runs)."""
        if model not in models:
            models[model] = gpt2_ref.load(model)
        return models[model]
    return run(sys.argv[1:], load)


if __name__ == "__main__":
    sys.exit(main())
