#!/usr/bin/python3
"""gpt2_ref.py - an independent float64 reference for GPT-2's forward pass.

It shares nothing with argen: its own safetensors reader (8-byte little-endian
header length, a JSON header, then the data section), numpy in float64, and the
math of Hugging Face's GPT2LMHeadModel with activation_function "gelu_new":

    x = wte[ids] + wpe[pos]                                  [T, C]
    per layer:
      a = ln_1(x)                                            [T, C]
      q | k | v = a @ attn.c_attn.weight + bias              [T, 3C], Conv1D [in, out]
      per head (hs = C / H):  p = softmax(q k^T / sqrt(hs) + causal mask)
      y = p @ v, heads side by side                          [T, C]
      x = x + y @ attn.c_proj.weight + bias
      m = ln_2(x)
      x = x + gelu_new(m @ mlp.c_fc.weight + b) @ mlp.c_proj.weight + b
    logits = ln_f(x) @ lm_head^T   (lm_head = wte when the checkpoint has no lm_head.weight)

LayerNorm uses the biased variance and layer_norm_epsilon from config.json.

Usage:
    gpt2_ref.py --model DIR --ids 464,2068,7586 [--all-positions]
        prints {"ids": [...], "logits": [...]} (one row per position with
        --all-positions), values with 17 significant digits.
    gpt2_ref.py --model DIR --ids ... --all-positions --check ARGEN.json [--tol 1e-4]
        compares another program's output (same JSON shape) with the reference;
        prints the max abs diff and exits 1 when it exceeds tol.
    gpt2_ref.py --model DIR --ids ... --sensitivity [--tol 1e-4]
        how far each plausible slip (no causal mask, erf GELU, wrong eps, one
        head, no position embedding, wte for lm_head) moves these logits: a
        check at tol can only catch the slips that move them by more than tol.
    gpt2_ref.py --self-test
        two hand-derived one-layer cases (the MLP path; an attention average),
        the safetensors reader on make_checkpoint.py's files and on hand-written
        bytes, and the sensitivity checks above on a random model.

The committed fixtures (tests/data/forward/NAME.json) come from this script:
regenerate them with `sh tests/ref/make_fixtures.sh`.

Reads /usr/bin/python3 with Debian's python3-numpy; nothing else.
"""
import argparse
import json
import math
import os
import re
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

DTYPES = {"F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": ("<u2", 2), "F64": ("<f8", 8)}
BUFFER = re.compile(r"^h\.\d+\.attn\.(bias|masked_bias)$")


# ---- reading a checkpoint ----

def read_safetensors(path):
    """Returns {name: float64 array} for every tensor in the file."""
    blob = np.memmap(path, dtype=np.uint8, mode="r") if os.path.getsize(path) else np.zeros(0, np.uint8)
    if len(blob) < 8:
        raise ValueError("%s: shorter than the 8-byte header length" % path)
    (n,) = struct.unpack("<Q", blob[:8].tobytes())
    if 8 + n > len(blob):
        raise ValueError("%s: header length %d beyond the file" % (path, n))
    header = json.loads(blob[8:8 + n].tobytes().decode("utf-8"))
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        kind, size = DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if end - begin != count * size or end > len(data):
            raise ValueError("%s: %s has bad offsets" % (path, name))
        raw = data[begin:end].view(kind)
        if info["dtype"] == "BF16":
            # bfloat16 is the top half of a float32
            raw = (raw.astype(np.uint32) << 16).view("<f4")
        out[name] = raw.astype(np.float64).reshape(shape)
    return out


def load(model_dir):
    """Returns (config dict, weights dict keyed without "transformer.")."""
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    act = config.get("activation_function", "gelu_new")
    if act != "gelu_new":
        raise ValueError("activation_function %r: only gelu_new is implemented" % act)
    if config.get("scale_attn_by_inverse_layer_idx") or config.get("scale_attn_weights") is False:
        raise ValueError("attention scaling other than 1/sqrt(head size) is not implemented")
    raw = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    w = {}
    for name, value in raw.items():
        if name.startswith("transformer."):
            name = name[len("transformer."):]
        if BUFFER.match(name):
            continue
        w[name] = value
    return config, w


# ---- the forward pass ----

def layernorm(x, weight, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)  # biased, as torch
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def gelu_new(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def attention(a, w, prefix, n_head, causal=True):
    T, C = a.shape
    hs = C // n_head
    qkv = a @ w[prefix + "attn.c_attn.weight"] + w[prefix + "attn.c_attn.bias"]   # [T, 3C]
    q, k, v = qkv[:, :C], qkv[:, C:2 * C], qkv[:, 2 * C:]
    heads = lambda z: z.reshape(T, n_head, hs).transpose(1, 0, 2)                 # [H, T, hs]
    q, k, v = heads(q), heads(k), heads(v)
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(hs)                            # [H, T, T]
    if causal:
        scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
    y = softmax(scores) @ v                                                       # [H, T, hs]
    y = y.transpose(1, 0, 2).reshape(T, C)
    return y @ w[prefix + "attn.c_proj.weight"] + w[prefix + "attn.c_proj.bias"]


def forward(config, w, ids, causal=True, act=gelu_new, eps=None, n_head=None, no_wpe=False, tie=False):
    """Logits [T, V] in float64 for ids at positions 0..T-1.  The keyword
    arguments after ids exist only to measure the tests' sensitivity."""
    n_head = n_head or config["n_head"]
    n_layer = config["n_layer"]
    if eps is None:
        eps = config.get("layer_norm_epsilon", 1e-5)
    ids = np.asarray(ids, dtype=np.int64)
    x = w["wte.weight"][ids] + (0 if no_wpe else w["wpe.weight"][np.arange(len(ids))])
    for l in range(n_layer):
        p = "h.%d." % l
        x = x + attention(layernorm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps), w, p, n_head, causal)
        m = layernorm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        fc = act(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + fc @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = layernorm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    head = w["lm_head.weight"] if "lm_head.weight" in w and not tie else w["wte.weight"]
    return x @ head.T


# ---- self test ----

def random_weights(rng, C, V, P, L):
    """make_checkpoint.py's "wide" weights as a float64 dict."""
    import make_checkpoint
    return {n: a.astype(np.float64) for n, a in make_checkpoint.make_weights(rng, L, C, V, P, False, "wide")}


def sensitivity(config, w, ids):
    """Max |logit change| caused by each plausible slip in an implementation:
    a check at tolerance tol can tell the slip apart when its value is > tol."""
    base = forward(config, w, ids)
    exact_gelu = lambda x: 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
    eps = config.get("layer_norm_epsilon", 1e-5)
    alt = {
        "no causal mask": dict(causal=False),
        "erf GELU instead of gelu_new": dict(act=exact_gelu),
        "eps x100": dict(eps=eps * 100),
        "one head instead of n_head": dict(n_head=1),
        "no position embedding": dict(no_wpe=True),
    }
    if "lm_head.weight" in w:
        alt["wte instead of lm_head"] = dict(tie=True)
    out = {}
    for what, kw in alt.items():
        if kw.get("n_head") == config["n_head"]:
            continue
        if len(ids) < 2 and what in ("no causal mask", "no position embedding"):
            continue
        out[what] = float(np.abs(forward(config, w, ids, **kw) - base).max())
    return out


def self_test():
    """A case small enough to derive by hand, and sensitivity checks."""
    # One layer, C = 2, H = 1, V = 2, attention and MLP weights zero: each
    # block adds only its biases.  For token 0 at position 0:
    #   x = wte[0] + wpe[0] = [1, 3];  ln_1 irrelevant (c_attn weight 0, bias 0)
    #   v = 0 -> y = 0 -> x += c_proj.bias [0.5, -0.5] -> [1.5, 2.5]
    #   c_fc: weight 0, bias [1, 0, 0, 0] -> gelu_new(1) = 0.8411919906082768
    #   mlp.c_proj: weight rows [[1, 0], [0,0], [0,0], [0,0]], bias 0 -> x += [0.8412, 0]
    #   x = [2.3411919906, 2.5]: mean 2.4205959953, deviations -+0.0794040047,
    #   var = 0.0794040047^2, eps 0 -> ln_f = [-1, 1]
    #   logits = [-1, 1] @ wte^T, wte = [[1, 3], [2, -1]] -> [2, -3]
    C = 2
    w = {
        "wte.weight": np.array([[1.0, 3.0], [2.0, -1.0]]), "wpe.weight": np.zeros((1, C)),
        "h.0.ln_1.weight": np.ones(C), "h.0.ln_1.bias": np.zeros(C),
        "h.0.attn.c_attn.weight": np.zeros((C, 3 * C)), "h.0.attn.c_attn.bias": np.zeros(3 * C),
        "h.0.attn.c_proj.weight": np.zeros((C, C)), "h.0.attn.c_proj.bias": np.array([0.5, -0.5]),
        "h.0.ln_2.weight": np.ones(C), "h.0.ln_2.bias": np.zeros(C),
        "h.0.mlp.c_fc.weight": np.zeros((C, 4 * C)), "h.0.mlp.c_fc.bias": np.array([1.0, 0, 0, 0, 0, 0, 0, 0]),
        "h.0.mlp.c_proj.weight": np.zeros((4 * C, C)), "h.0.mlp.c_proj.bias": np.zeros(C),
        "ln_f.weight": np.ones(C), "ln_f.bias": np.zeros(C),
    }
    w["h.0.mlp.c_proj.weight"][0, 0] = 1.0
    config = {"n_head": 1, "n_layer": 1, "layer_norm_epsilon": 0.0}
    assert abs(gelu_new(np.array(1.0)) - 0.8411919906082768) < 1e-15
    got = forward(config, w, [0])
    assert np.allclose(got, [[2.0, -3.0]], atol=1e-12), got

    # Attention by hand: H = 1, C = 2, q = k = 0 -> uniform probabilities, so
    # position 1's output is the mean of v0 and v1.  With v = ln_1(x) (c_attn's
    # v block the identity) and c_proj the identity, token ids [0, 1] at
    # positions [0, 1] with wpe 0: ln_1(wte[0]) = [-1, 1], ln_1(wte[1]) = [1, -1]
    # (eps 0) so position 1 adds mean([-1,1],[1,-1]) = [0, 0] and position 0
    # adds [-1, 1].  With the MLP zeroed (c_fc bias 0, gelu(0) = 0):
    #   x0 = [1, 3] + [-1, 1] = [0, 4] -> ln_f [-1, 1] -> logits [2, -3]
    #   x1 = [2, -1] + [0, 0]          -> ln_f [1, -1] -> logits [-2, 3]
    w2 = dict(w)
    w2["h.0.attn.c_attn.weight"] = np.zeros((C, 3 * C))
    w2["h.0.attn.c_attn.weight"][:, 2 * C:] = np.eye(C)
    w2["h.0.attn.c_proj.weight"] = np.eye(C)
    w2["h.0.attn.c_proj.bias"] = np.zeros(C)
    w2["h.0.mlp.c_fc.bias"] = np.zeros(4 * C)
    w2["wpe.weight"] = np.zeros((2, C))
    got = forward(config, w2, [0, 1])
    assert np.allclose(got, [[2.0, -3.0], [-2.0, 3.0]], atol=1e-12), got

    # Sensitivity: on a random model with GPT-2-like activations, each
    # plausible slip moves the logits by more than ten times the tolerance.
    rng = np.random.default_rng(0)
    C, H, V, T, L = 8, 2, 11, 5, 2
    r = random_weights(rng, C, V, T, L)
    cfg = {"n_head": H, "n_layer": L, "layer_norm_epsilon": 1e-5}
    ids = [3, 1, 4, 1, 5]
    base = forward(cfg, r, ids)
    for what, d in sensitivity(cfg, r, ids).items():
        assert d > 5e-4, "%s changes the logits by only %g" % (what, d)
    # The last position must not depend on later ones (causality) while the
    # first position's logits must not change when more tokens follow.
    assert np.allclose(forward(cfg, r, ids[:2]), base[:2], atol=1e-12)
    self_test_reader()
    print("gpt2_ref self-test: ok")


def self_test_reader():
    """make_checkpoint.py's files read back: F32 exactly, F16 and BF16 to
    their precision, with the prefix stripped and the buffers dropped, in any
    order; and a hand-written file with known bytes."""
    import tempfile
    import make_checkpoint
    want = dict(make_checkpoint.make_weights(np.random.default_rng(7), 2, 8, 11, 5, True, "wide"))
    with tempfile.TemporaryDirectory() as tmp:
        for dtype, rel in (("f32", 0.0), ("f16", 2.0 ** -11), ("bf16", 2.0 ** -8)):
            d = os.path.join(tmp, dtype)
            make_checkpoint.make(d, 2, 2, 8, 11, 5, seed=7, dtype=dtype, untied=True, prefix=True,
                                 buffers=True, shuffle=True)
            config, w = load(d)
            assert config["n_positions"] == 5 and config["n_head"] == 2
            assert sorted(w) == sorted(want), sorted(set(w) ^ set(want))
            for name, a in want.items():
                err = np.abs(w[name] - a.astype(np.float64))
                assert (err <= rel * np.abs(a) + 1e-7).all(), (dtype, name, err.max())
        # bytes by hand: F32 1.5 = 0x3FC00000, F16 -2 = 0xC000, BF16 1.0 = 0x3F80
        path = os.path.join(tmp, "hand.safetensors")
        header = json.dumps({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                             "b": {"dtype": "F16", "shape": [1, 1], "data_offsets": [4, 6]},
                             "c": {"dtype": "BF16", "shape": [], "data_offsets": [6, 8]}}).encode()
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(header)) + header)
            f.write(bytes([0x00, 0x00, 0xC0, 0x3F, 0x00, 0xC0, 0x80, 0x3F]))
        t = read_safetensors(path)
        assert t["a"].tolist() == [1.5] and t["b"].tolist() == [[-2.0]] and float(t["c"]) == 1.0, t


# ---- command line ----

def parse_ids(text):
    return [int(t) for t in text.split(",") if t.strip() != ""]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model")
    ap.add_argument("--ids")
    ap.add_argument("--all-positions", action="store_true")
    ap.add_argument("--check", help="JSON from another implementation to compare with")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--sensitivity", action="store_true",
                    help="report how far each plausible slip moves these logits; fail when one moves them by <= 5 tol")
    a = ap.parse_args()
    if a.self_test:
        self_test()
        return 0
    if not a.model or not a.ids:
        ap.error("--model and --ids are required")
    config, w = load(a.model)
    ids = parse_ids(a.ids)
    logits = forward(config, w, ids)
    if a.sensitivity:
        worst = 0
        for what, d in sorted(sensitivity(config, w, ids).items()):
            print("%s: %s moves the logits by %.3g" % (a.model, what, d))
            worst = worst or d <= 5 * a.tol
        return 1 if worst else 0
    want = logits if a.all_positions else logits[-1]
    if a.check:
        with open(a.check) as f:
            got = json.load(f)
        if got.get("ids") != ids:
            print("FAIL %s: ids %s, expected %s" % (a.check, got.get("ids"), ids))
            return 1
        g = np.array(got["logits"], dtype=np.float64)
        if g.shape != want.shape:
            print("FAIL %s: logits shape %s, expected %s" % (a.check, g.shape, want.shape))
            return 1
        diff = np.abs(g - want)
        worst = float(np.nanmax(diff)) if not np.isnan(diff).any() else float("inf")
        at = np.unravel_index(int(np.argmax(np.nan_to_num(diff, nan=np.inf))), diff.shape)
        ok = worst <= a.tol
        print("%s %s: max |diff| %.3g at %s (got %.9g, want %.9g), tol %.3g, |logits| <= %.3g"
              % ("ok" if ok else "FAIL", a.model, worst, tuple(int(i) for i in at),
                 g[at], want[at], a.tol, float(np.abs(want).max())))
        return 0 if ok else 1
    rows = want.tolist()
    fmt = lambda row: "[" + ", ".join(repr(float("%.17g" % v)) for v in row) + "]"
    body = ",\n  ".join(fmt(r) for r in rows) if a.all_positions else fmt(rows)
    sys.stdout.write('{"ids": %s,\n "logits": %s%s%s}\n'
                     % (json.dumps(ids), "[\n  " if a.all_positions else "", body,
                        "\n ]" if a.all_positions else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
