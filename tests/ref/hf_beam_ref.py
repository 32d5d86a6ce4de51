#!/usr/bin/python3
"""hf_beam_ref.py - Hugging Face's beam search (generate(num_beams=N,
do_sample=False, repetition_penalty=R, length_penalty=A, early_stopping=False))
written from its documented behaviour with numpy alone, on a model whose
next-token logits are one fixed vector L whatever the context.

    hf_beam_ref.py fix-logits --model DIR --seed S [--eos-logit X]
        rewrites DIR/model.safetensors (an F32 checkpoint from `argen init`) so
        that ln_f.weight = 0 and ln_f.bias = e_0: the final hidden state is
        e_0 at every position, so the logits are wte[:, 0] = L (tied
        unembedding).  L ~ N(3, 2) (mostly positive, where dividing a logit
        and multiplying a log-probability disagree most), eos at X (default
        -30: never chosen).  The logits do not depend on the context, so
        sequences that are permutations of each other tie exactly: compare
        scores, not the order of tied hypotheses.
        Writes DIR/logits.json = {"logits": L, "eos": id}.

    hf_beam_ref.py beams --logits FILE --prompt IDS --beams N --max-new M
        --penalty R [--length-penalty A] [--order hf|logits]
        prints {"ids": [...], "score": s, "sum_logprob": s} of each returned
        hypothesis, best first, one JSON object per line.
        --order hf (default): log_softmax first, then the penalty on the
        log-probabilities (log p <= 0 is multiplied by R), not renormalised:
        Hugging Face's beam search.  --order logits: the penalty on the logits,
        then log_softmax (what sampling does): used to show that the two
        orders choose different beams on this model.

Beam search, as documented: each step every running beam is extended by
every token; an extension scores the beam's sum plus the token's processed
log-probability; the 2N best are ranked (ties: lower beam, then lower id);
those ending in eos among the first N become finished hypotheses scored
sum / generated_length^A (eos counted); the first N others run on.  The
search stops when N are finished and the best running beam, scored at its
length, cannot beat the worst finished (transformers >= 4.50), or after M
tokens, when the running beams join the finished ones.
"""
import argparse
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    return header, bytearray(data), 8 + n


def put_tensor(header, data, base, name, values):
    info = header[name]
    if info["dtype"] != "F32":
        sys.exit("hf_beam_ref.py: %s: expected an F32 tensor, got %s" % (name, info["dtype"]))
    lo, hi = info["data_offsets"]
    raw = np.asarray(values, dtype="<f4").tobytes()
    if len(raw) != hi - lo:
        sys.exit("hf_beam_ref.py: %s: size mismatch" % name)
    data[base + lo:base + hi] = raw


def fix_logits(args):
    cfg = json.load(open(args.model + "/config.json"))
    V, C, eos = cfg["vocab_size"], cfg["n_embd"], cfg["eos_token_id"]
    header, data, base = read_safetensors(args.model + "/model.safetensors")
    lo, hi = header["wte.weight"]["data_offsets"]
    wte = np.frombuffer(bytes(data[base + lo:base + hi]), dtype="<f4").reshape(V, C).copy()
    rng = np.random.default_rng(args.seed)
    L = (rng.normal(3.0, 2.0, V)).astype(np.float32)
    L[eos] = args.eos_logit
    wte[:, 0] = L
    put_tensor(header, data, base, "wte.weight", wte)
    put_tensor(header, data, base, "ln_f.weight", np.zeros(C))
    put_tensor(header, data, base, "ln_f.bias", np.eye(1, C)[0])
    open(args.model + "/model.safetensors", "wb").write(bytes(data))
    json.dump({"logits": [float(x) for x in L], "eos": eos}, open(args.model + "/logits.json", "w"))


def log_softmax(x):
    """float32 in, float32 out; the sum in float64 (max subtracted)."""
    x64 = x.astype(np.float64)
    m = x64.max()
    return (x64 - (m + np.log(np.exp(x64 - m).sum()))).astype(np.float32)


def processed_scores(L, seq, R, order):
    seen = sorted(set(seq))
    if order == "hf":
        lp = log_softmax(L)
        if R != 1.0:
            s = lp[seen]
            lp[seen] = np.where(s < 0, s * np.float32(R), s / np.float32(R))
        return lp
    x = L.copy()
    if R != 1.0:
        s = x[seen]
        x[seen] = np.where(s < 0, s * np.float32(R), s / np.float32(R))
    return log_softmax(x)


def sequence_sum(L, prompt, ids, R, order="hf"):
    """The sum of the processed log-probabilities of ids after prompt."""
    seq, total = list(prompt), 0.0
    for t in ids:
        total += float(processed_scores(L, seq, R, order)[t])
        seq.append(t)
    return total


def beam_search(L, eos, prompt, N, M, R, A, order):
    running = [(list(prompt), 0.0)]   # (sequence, sum of processed log-probabilities)
    finished = []                     # (score, sequence, sum)
    n_prompt = len(prompt)

    def add(seq, total):
        finished.append(((total / (len(seq) - n_prompt) ** A), seq, total))
        finished.sort(key=lambda f: -f[0])
        del finished[N:]

    for step in range(M):
        cands = []
        for b, (seq, total) in enumerate(running):
            lp = processed_scores(L, seq, R, order)
            for v in range(len(L)):
                cands.append((total + float(lp[v]), b, v))
        cands.sort(key=lambda c: (-c[0], c[1], c[2]))
        cands = cands[:2 * N]
        nxt = []
        for rank, (total, b, v) in enumerate(cands):
            seq = running[b][0] + [v]
            if v == eos:
                if rank < N:
                    add(seq, total)
            elif len(nxt) < N:
                nxt.append((seq, total))
        running = nxt
        if len(finished) == N and running:
            best_running = max(t / (len(s) - n_prompt) ** A for s, t in running)
            if best_running <= finished[-1][0]:
                return finished
    for seq, total in running:
        add(seq, total)
    return finished


def beams(args):
    ref = json.load(open(args.logits))
    L = np.array(ref["logits"], dtype=np.float32)
    prompt = [int(t) for t in args.prompt.split(",")]
    for score, seq, total in beam_search(L, ref["eos"], prompt, args.beams, args.max_new, args.penalty,
                                         args.length_penalty, args.order):
        print(json.dumps({"ids": seq[len(prompt):], "score": score, "sum_logprob": total}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fix-logits")
    f.add_argument("--model", required=True)
    f.add_argument("--seed", type=int, default=1)
    f.add_argument("--eos-logit", type=float, default=-30.0)
    b = sub.add_parser("beams")
    b.add_argument("--logits", required=True)
    b.add_argument("--prompt", required=True)
    b.add_argument("--beams", type=int, required=True)
    b.add_argument("--max-new", type=int, required=True)
    b.add_argument("--penalty", type=float, required=True)
    b.add_argument("--length-penalty", type=float, default=1.0)
    b.add_argument("--order", choices=["hf", "logits"], default="hf")
    args = ap.parse_args()
    fix_logits(args) if args.cmd == "fix-logits" else beams(args)


if __name__ == "__main__":
    main()
