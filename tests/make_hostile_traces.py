"""Hostile variants of the committed example traces, for tests/test_render_hostile.sh.

    /usr/bin/python3 tests/make_hostile_traces.py OUT_DIR

Each file is valid JSON that differs from a trace argen wrote in one way:

  attention-huge.json   key_count 2000000000 with rows of 4 weights (the reader
                        would allocate 16 GB before checking the rows)
  attention-wrap.json   2^17 heads x 2^17 query positions x key_count 2^30:
                        the product is 2^64, which wraps to 0 in 64 bits (the
                        reader allocated 8 bytes for it)
  beam-empty.json       a beam step whose first beam has no ids
  seed-big.json         seed and rng.seed 2^53 (what generate --seed accepts)
  seed-too-big.json     seed 2^53 + 2 (beyond what the writer writes)
  nan-logit.json        a logit written as null (argen's NaN)
  punct-*.json          every example with its token texts replaced by all
                        ASCII punctuation and control bytes, in pieces
  jacobi-int-max.json   block size and positions near INT_MAX (signed overflow in
                        the Jacobi renderer)
  probs-rank-max.json   a table rank of INT_MAX (signed overflow in the
                        probability table)
  deep.json             a JSON array nested 100000 deep
"""
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "traces", "examples")


def load(name):
    with open(os.path.join(EXAMPLES, name)) as f:
        return json.load(f)


def save(out, name, doc):
    with open(os.path.join(out, name), "w") as f:
        json.dump(doc, f)


# Every ASCII punctuation character and control byte, cut into token-sized pieces.
PUNCT = "".join(chr(c) for c in range(0x21, 0x7f) if not chr(c).isalnum())
CONTROL = "".join(chr(c) for c in range(0, 0x20)) + "\x7f"
PIECES = [PUNCT[i:i + 4] for i in range(0, len(PUNCT), 4)] + [CONTROL[i:i + 6] for i in range(0, len(CONTROL), 6)] + ["]", "]]>", "}", "|", "\\", "\""]


def punctuate(value, counter):
    """Every token text (a string under a "token"/"tokens"/"text"/"prompt_tokens" key) replaced."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("token", "tokens", "prompt_tokens", "initial_guess_tokens") or (k == "text" and isinstance(v, list)):
                out[k] = replace_tokens(v, counter)
            else:
                out[k] = punctuate(v, counter)
        return out
    if isinstance(value, list):
        return [punctuate(v, counter) for v in value]
    return value


def replace_tokens(v, counter):
    if isinstance(v, str):
        counter[0] += 1
        return PIECES[counter[0] % len(PIECES)]
    if isinstance(v, list):
        return [replace_tokens(x, counter) for x in v]
    return punctuate(v, counter)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    g = load("greedy-summary.json")
    d = copy.deepcopy(g)
    d["steps"][0]["forward"]["key_count"] = 2000000000
    save(out, "attention-huge.json", d)

    d = copy.deepcopy(g)
    fwd = d["steps"][0]["forward"]
    fwd["key_count"] = 2 ** 30
    fwd["query_positions"] = [0] * 2 ** 17
    fwd["layers"][0]["attention"] = [[] for _ in range(2 ** 17)]
    save(out, "attention-wrap.json", d)

    b = load("beam-summary.json")
    d = copy.deepcopy(b)
    d["steps"][0]["beams"][0]["ids"] = []
    d["steps"][0]["beams"][0]["tokens"] = []
    save(out, "beam-empty.json", d)

    d = copy.deepcopy(g)
    d["seed"] = 2 ** 53
    d["rng"]["seed"] = 2 ** 53
    save(out, "seed-big.json", d)
    d["seed"] = 2 ** 53 + 2
    save(out, "seed-too-big.json", d)

    d = copy.deepcopy(g)
    d["steps"][1]["logits"]["top"][0]["logit"] = None
    save(out, "nan-logit.json", d)

    for name in ("greedy-summary.json", "top-k-summary.json", "beam-summary.json", "compare.json",
                 "score.json", "jacobi.json"):
        save(out, "punct-" + name, punctuate(load(name), [0]))

    d = load("jacobi.json")
    for s in d["steps"]:
        if "block" in s:
            s["start_position"] = 2147483647
            s["block"] = 2147483647
            s["block_size"] = 2147483647
    save(out, "jacobi-int-max.json", d)

    d = copy.deepcopy(g)   # the last step: the one the fuzz harness draws
    sel = d["steps"][-1]["selection"]
    sel["table"][0]["rank"] = 2147483647
    sel["table"][1]["rank"] = 2147483647
    sel["n_kept"] = 2147483647
    save(out, "probs-rank-max.json", d)

    with open(os.path.join(out, "deep.json"), "w") as f:
        f.write("[" * 100000 + "]" * 100000)


if __name__ == "__main__":
    main()
