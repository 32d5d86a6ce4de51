#!/usr/bin/python3
"""Plot the time per generated token with and without the KV cache.

Runs `argen generate --timing` twice on the same model and prompt, once with
the cache and once with --no-kv-cache (or reads two TSVs made earlier), and
draws:
  left:  seconds per step against the position of the new token: flat with
         the cache (one token per forward pass), a rising line without (the
         whole context every step);
  right: cumulative seconds, with the positions processed in all: n tokens
         cost O(n) work with the cache and O(n^2) without.

  /usr/bin/python3 tools/plot_kv_timing.py --model DIR --tokens 200 --out docs/img/kv-cache-timing.png
  /usr/bin/python3 tools/plot_kv_timing.py --with a.tsv --without b.tsv --out plot.png

Needs matplotlib (Debian: python3-matplotlib).  The TSV columns are those of
argen generate --timing: step, position, tokens_processed, kv_cache_positions,
kv_cache_bytes, seconds.
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt


def read_tsv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        sys.exit(f"{path}: no timing rows")
    return {k: [float(r[k]) for r in rows] for k in rows[0]}


def run_argen(argen, model, ids, tokens, path, cache):
    cmd = [argen, "generate", "--model", model, "--ids", ids, "--max-new-tokens", str(tokens),
           "--json", "--timing", path] + ([] if cache else ["--no-kv-cache"])
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def plot(with_cache, without, out, title):
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for t, label, colour in ((with_cache, "with KV cache", "tab:blue"), (without, "without (recompute all)", "tab:red")):
        # step 0 is the prefill of the prompt: the same in both runs, left out of the per-token panel
        left.plot(t["position"][1:], [1e3 * s for s in t["seconds"][1:]], ".", ms=3, color=colour, label=label)
        cum, work, c, w = [], [], 0.0, 0
        for s, n in zip(t["seconds"], t["tokens_processed"]):
            c += s
            w += n
            cum.append(c)
            work.append(w)
        right.plot(range(1, len(cum) + 1), cum, color=colour,
                   label=f"{label}: {int(work[-1])} positions processed, {cum[-1]:.2f} s")
    left.set_xlabel("position of the new token (context length)")
    left.set_ylabel("ms per generated token")
    left.set_title("time per step")
    left.legend()
    right.set_xlabel("tokens generated")
    right.set_ylabel("cumulative seconds")
    right.set_title("total work: linear (cache) vs quadratic (no cache)")
    right.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="model folder (runs argen)")
    ap.add_argument("--argen", default="build/argen")
    ap.add_argument("--ids", default="464", help="prompt ids (default: one token)")
    ap.add_argument("--tokens", type=int, default=200, help="tokens to generate")
    ap.add_argument("--with", dest="with_tsv", help="TSV of a run with the cache")
    ap.add_argument("--without", help="TSV of a run with --no-kv-cache")
    ap.add_argument("--title", default=None)
    ap.add_argument("--out", required=True, help="PNG to write")
    a = ap.parse_args()
    if a.with_tsv and a.without:
        w, wo = read_tsv(a.with_tsv), read_tsv(a.without)
    elif a.model:
        with tempfile.TemporaryDirectory() as d:
            p1, p0 = os.path.join(d, "cache.tsv"), os.path.join(d, "nocache.tsv")
            run_argen(a.argen, a.model, a.ids, a.tokens, p1, True)
            run_argen(a.argen, a.model, a.ids, a.tokens, p0, False)
            w, wo = read_tsv(p1), read_tsv(p0)
    else:
        ap.error("give --model DIR, or --with A.tsv --without B.tsv")
    plot(w, wo, a.out, a.title or f"argen generate, {a.model or a.with_tsv}: {len(w['step'])} tokens")


if __name__ == "__main__":
    main()
