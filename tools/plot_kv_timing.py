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

  /usr/bin/python3 tools/plot_kv_timing.py --tokens 160 --out docs/img/kv-cache-timing.png
  /usr/bin/python3 tools/plot_kv_timing.py --model DIR --ids 464 --tokens 200 --out plot.png
  /usr/bin/python3 tools/plot_kv_timing.py --with a.tsv --without b.tsv --out plot.png

Needs matplotlib (Debian: python3-matplotlib).  The TSV columns are those of
argen generate --timing: step, position, tokens_processed, kv_cache_positions,
kv_cache_bytes, seconds.  Both runs pass --ignore-eos, so that end-of-text
never cuts a run short: --tokens N plots N tokens, or the script stops with
one line saying why it cannot (the context window is full first).
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


def run_argen(argen, model, prompt, tokens, path, cache):
    """prompt: ["--ids", "464"] or ["--prompt", TEXT]."""
    cmd = [argen, "generate", "--model", model] + prompt + ["--max-new-tokens", str(tokens), "--ignore-eos",
           "--json", "--timing", path] + ([] if cache else ["--no-kv-cache"])
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    rows = read_tsv(path)
    if len(rows["step"]) != tokens:
        sys.exit(f"plot_kv_timing: {model}: {len(rows['step'])} tokens, not {tokens}: "
                 f"the context window ({int(rows['position'][-1]) + 1} positions) is full; ask for fewer --tokens")


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
    ap.add_argument("--model", default="data/tiny", help="model folder (runs argen; default data/tiny)")
    ap.add_argument("--argen", default="build/argen")
    ap.add_argument("--prompt", default="Once upon a time", help="prompt text (default: Once upon a time)")
    ap.add_argument("--ids", help="prompt ids instead of text (a model folder without a tokenizer)")
    ap.add_argument("--tokens", type=int, default=160, help="tokens to generate (default 160)")
    ap.add_argument("--with", dest="with_tsv", help="TSV of a run with the cache")
    ap.add_argument("--without", help="TSV of a run with --no-kv-cache")
    ap.add_argument("--title", default=None)
    ap.add_argument("--out", required=True, help="PNG to write")
    a = ap.parse_args()
    if a.with_tsv and a.without:
        w, wo = read_tsv(a.with_tsv), read_tsv(a.without)
    else:
        prompt = ["--ids", a.ids] if a.ids else ["--prompt", a.prompt]
        with tempfile.TemporaryDirectory() as d:
            p1, p0 = os.path.join(d, "cache.tsv"), os.path.join(d, "nocache.tsv")
            run_argen(a.argen, a.model, prompt, a.tokens, p1, True)
            run_argen(a.argen, a.model, prompt, a.tokens, p0, False)
            w, wo = read_tsv(p1), read_tsv(p0)
        a.with_tsv = None
    plot(w, wo, a.out, a.title or f"argen generate, {a.with_tsv or a.model}: {len(w['step'])} tokens")
    print(f"plot_kv_timing: wrote {a.out}: {len(w['step'])} tokens, positions processed "
          f"{int(sum(w['tokens_processed']))} with the KV cache, {int(sum(wo['tokens_processed']))} without")


if __name__ == "__main__":
    main()
