#!/usr/bin/python3
"""Writes the model card of the shipped tiny model: OUT/README.md and OUT/loss.png.

Reads OUT/train_log_phase1.tsv and OUT/train_log_phase2.tsv (written by
`argen train`) and OUT/branch_eval.json (written by `argen corpus --evaluate
--json`).  Run by tools/make-tiny-model.sh.
"""
import argparse
import json
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


# Which lecture phenomena the model shows, each backed by an example and a
# test (tests/test_phenomena.sh): a retrained model that loses one fails it.
PHENOMENA = """## The six phenomena of the lecture

What docs/lecture.md shows, whether this model shows it, and where:
each example is written by `traces/examples/make-examples.sh` and checked by
`tests/test_phenomena.sh`, which fails when a phenomenon stops showing (in
the committed example and in one made afresh).

| phenomenon | shown | example (traces/examples/) | what the test checks |
|---|---|---|---|
| greedy falls into a repetition loop | yes, with `--ignore-eos` (without it every greedy story ends with end-of-text) | `loop-greedy.json` | compare's loop detector fires, and the tokens repeat with its period |
| top-k and top-p keep different sets and pick different tokens | yes | `top-p-vs-top-k.json`, `compare-top-k-top-p.json` | a step where top-p keeps fewer than top-k's 40 and the same draw picks another token |
| beam search finds a likelier sequence than greedy | yes | `beam-vs-greedy.json` | beam's total log-probability, rescored with `argen score --ids`, is above greedy's |
| teacher forcing vs free generation drift apart | yes | `drift.json` | the free run leaves the text, where the true token is not the model's top choice |
| the KV cache turns quadratic work linear | yes (any model) | `kv-cache.tsv`, `no-kv-cache.tsv` | 1 position per step with the cache, the whole context without |
| Jacobi decoding fixes several tokens in one pass | yes, with the prompt-lookup guess on text that repeats | `jacobi-lookup.json` | a pass that makes more than one position correct, fewer passes than tokens |
"""


def read_log(path):
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    return rows


def num(x):
    try:
        v = float(x)
        return v if math.isfinite(v) else None
    except (TypeError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train-seconds", type=int, required=True)
    ap.add_argument("--shape", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--train2", required=True)
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--corpus-bytes", required=True)
    ap.add_argument("--greedy")
    ap.add_argument("--topk")
    a = ap.parse_args()

    log1 = read_log(os.path.join(a.out, "train_log_phase1.tsv"))
    log2 = read_log(os.path.join(a.out, "train_log_phase2.tsv"))
    n1 = int(log1[-1]["step"]) if log1 else 0
    for r in log2:  # phase 2 continues the step count
        r["step"] = str(int(r["step"]) + n1)
    log = log1 + log2
    steps = [int(r["step"]) for r in log]
    train = [num(r.get("train_loss")) for r in log]
    val = [(int(r["step"]), num(r.get("val_loss"))) for r in log if num(r.get("val_loss")) is not None]
    tps = [num(r.get("tokens_per_s")) for r in log if num(r.get("tokens_per_s"))]

    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    ax.plot(steps, train, color="#0072B2", linewidth=1, label="train loss")
    if val:
        ax.plot([s for s, _ in val], [v for _, v in val], "o-", color="#D55E00", label="validation loss")
    ax.axvline(n1, color="#555555", linestyle="--", linewidth=1)
    ax.text(n1, 0.97, "phase 2: 256-token windows  ", transform=ax.get_xaxis_transform(),
            ha="right", va="top", color="#555555", fontsize=9)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats / token)")
    ax.set_title("data/tiny: teacher-forced training on the story corpus")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "loss.png"))

    with open(os.path.join(a.out, "branch_eval.json")) as f:
        ev = json.load(f)
    with open(os.path.join(a.out, "config.json")) as f:
        cfg = json.load(f)
    sizes = os.path.getsize(os.path.join(a.out, "model.safetensors"))

    lines = []
    w = lines.append
    w("# data/tiny — the model argen ships\n")
    w("A GPT-2-architecture model that argen trained itself, with teacher forcing, on the")
    w("story corpus of `argen corpus` ([docs/corpus.md](../../docs/corpus.md)), whose true")
    w("next-word distribution is known exactly at every branch point. It exists so that")
    w("`make run` tells a story offline, and so that a lecture can put the model's learned")
    w("probabilities next to the true ones.\n")
    w("| | |\n|---|---|")
    w(f"| shape | n_layer {cfg['n_layer']}, n_head {cfg['n_head']}, n_embd {cfg['n_embd']}, "
      f"n_positions {cfg['n_positions']}, vocab_size {cfg['vocab_size']} (tied unembedding) |")
    w(f"| file | model.safetensors, {sizes / 1e6:.2f} MB, F32 |")
    w(f"| corpus | `argen corpus --bytes {a.corpus_bytes} --seed 1` |")
    w(f"| tokenizer | `argen train-tokenizer --vocab-size {a.vocab}` on that corpus |")
    w(f"| init | `argen init {a.shape} --vocab {a.vocab} --seed 1` |")
    w(f"| training, phase 1 | `argen train {a.train}` |")
    w(f"| training, phase 2 | `argen train {a.train2}` (from phase 1's checkpoint: the full window) |")
    w(f"| steps | {steps[-1] if steps else 0} |")
    w(f"| training time | {a.train_seconds} s on a 2-core machine shared with other work |")
    if tps:
        tps_sorted = sorted(tps)
        w(f"| training throughput | {tps_sorted[len(tps_sorted) // 2]:.0f} tokens/s (median of the logged steps) |")
    if train:
        last = [t for t in train[-20:] if t is not None]
        w(f"| final train loss | {sum(last) / len(last):.4f} nats/token (mean of the last {len(last)} logged steps) |")
    if val:
        w(f"| final validation loss | {val[-1][1]:.4f} nats/token (step {val[-1][0]}) |")
    w("\nRebuild it from scratch with `make tiny-model` (same commands, same seeds).\n")
    w("![loss curve](loss.png)\n")
    w("## Learned vs true, at every branch point\n")
    w("At each branch point the model reads `<|endoftext|>\\n` + the context, and each option")
    w("gets the probability of its whole token sequence (chain rule); `learned` is that")
    w("normalised over the options, `mass` how much of the model's belief fell on the options")
    w("at all. KL(true ‖ learned) is in nats.\n")
    w(f"Mean KL over {len(ev['branch_points'])} branch points: **{ev['mean_kl']:.4f} nats**.\n")
    for bp in ev["branch_points"]:
        w(f"### {bp['name']} — KL {bp['kl']:.4f}, mass {bp['mass']:.3f}\n")
        w(f"context: `{bp['context']}`\n")
        w("| next word | true | learned |\n|---|---:|---:|")
        for o in bp["options"]:
            w(f"| `{o['word']}` | {o['true']:.3f} | {o['learned']:.3f} |")
        w("")
    w(PHENOMENA)
    for label, path in (("Greedy", a.greedy), ("Top-k (k=40, seed 42)", a.topk)):
        if path and os.path.exists(path):
            with open(path) as f:
                text = f.read().strip()
            w(f"## {label} from \"Once upon a time\"\n")
            w("```text\n" + text + "\n```\n")
    with open(os.path.join(a.out, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
