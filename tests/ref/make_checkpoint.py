#!/usr/bin/python3
"""make_checkpoint.py - writes a random Hugging Face-format GPT-2 folder
(config.json + model.safetensors) with numpy alone, independently of argen's
own writer, in the variants real checkpoints come in.

    make_checkpoint.py --out DIR --layers L --heads H --embd C --vocab V
        --positions P [--seed S] [--dtype f32|f16|bf16] [--untied] [--prefix]
        [--buffers] [--shuffle] [--style wide|gpt2] [--eps E] [--n-ctx-key]

  --untied     writes lm_head.weight [V, C] (else the unembedding is tied to wte)
  --prefix     names start with "transformer." (as save_pretrained writes them;
               lm_head.weight never has the prefix)
  --buffers    adds the h.N.attn.bias [1, 1, P, P] causal mask and the
               h.N.attn.masked_bias [] scalar that older checkpoints carry
  --shuffle    tensors in a random order in the data section, and the header's
               keys in another random order
  --style      wide: activations in the ranges where mistakes show (GELU inputs
               of a few units, layer-norm gains and biases far from 1 and 0);
               gpt2: GPT-2's initialisation (N(0, 0.02), residual projections
               scaled by 1/sqrt(2 L)) with small random biases and gains
  --n-ctx-key  config.json gives the context as "n_ctx" instead of "n_positions"

The committed fixtures under tests/data/forward/ are regenerated with
    sh tests/ref/make_fixtures.sh
"""
import argparse
import json
import math
import os
import struct

import numpy as np


def layer_shapes(C):
    """(name, shape) of one block, in the checkpoint's canonical order."""
    return [("ln_1.weight", (C,)), ("ln_1.bias", (C,)),
            ("attn.c_attn.weight", (C, 3 * C)), ("attn.c_attn.bias", (3 * C,)),
            ("attn.c_proj.weight", (C, C)), ("attn.c_proj.bias", (C,)),
            ("ln_2.weight", (C,)), ("ln_2.bias", (C,)),
            ("mlp.c_fc.weight", (C, 4 * C)), ("mlp.c_fc.bias", (4 * C,)),
            ("mlp.c_proj.weight", (4 * C, C)), ("mlp.c_proj.bias", (C,))]


def std_of(name, C, L, style):
    """(mean, std) of a tensor's entries for the chosen style."""
    leaf = name.split(".", 2)[-1] if name.startswith("h.") else name
    if leaf.startswith("ln"):
        gain = leaf.endswith("weight")
        return (1.0 if gain else 0.0), (0.3 if style == "wide" else 0.1)
    if style == "gpt2":
        if leaf in ("wte.weight", "lm_head.weight"):
            return 0.0, 0.02
        if leaf == "wpe.weight":
            return 0.0, 0.01
        if leaf.endswith("bias"):
            return 0.0, 0.02
        if leaf.endswith("c_proj.weight"):
            return 0.0, 0.02 / math.sqrt(2 * L)
        return 0.0, 0.02
    table = {"wte.weight": 1.0, "lm_head.weight": 1.0, "wpe.weight": 0.5,
             "attn.c_attn.weight": 1.5 / math.sqrt(C), "attn.c_attn.bias": 0.3,
             "attn.c_proj.weight": 1.0 / math.sqrt(C), "attn.c_proj.bias": 0.3,
             "mlp.c_fc.weight": 2.0 / math.sqrt(C), "mlp.c_fc.bias": 0.5,
             "mlp.c_proj.weight": 4.0 / math.sqrt(4 * C), "mlp.c_proj.bias": 0.3}
    return 0.0, table[leaf]


def make_weights(rng, L, C, V, P, untied, style):
    """[(name without prefix, float32 array)] in canonical order."""
    names = [("wte.weight", (V, C)), ("wpe.weight", (P, C))]
    for l in range(L):
        names += [("h.%d.%s" % (l, n), s) for n, s in layer_shapes(C)]
    names += [("ln_f.weight", (C,)), ("ln_f.bias", (C,))]
    if untied:
        names.append(("lm_head.weight", (V, C)))
    out = []
    for name, shape in names:
        mean, std = std_of(name, C, L, style)
        a = rng.standard_normal(shape, dtype=np.float32)
        a *= np.float32(std)
        a += np.float32(mean)
        out.append((name, a))
    return out


def to_bytes(a, dtype):
    """The little-endian bytes of float32 array a stored as dtype."""
    if dtype == "F32":
        return a.astype("<f4").tobytes()
    if dtype == "F16":
        return a.astype("<f2").tobytes()
    # BF16: the top 16 bits of the float32, rounded to nearest, ties to even
    u = a.astype("<f4").view("<u4").astype(np.uint64)
    u = (u + np.uint64(0x7FFF) + ((u >> np.uint64(16)) & np.uint64(1))) >> np.uint64(16)
    return u.astype("<u2").tobytes()


def write_safetensors(path, tensors, dtype, rng=None):
    """tensors: [(name, float32 array)].  rng shuffles the data order and the
    header's key order when given.  The header is padded with spaces to a
    multiple of 8 bytes, as the reference writer does."""
    order = list(range(len(tensors)))
    if rng is not None:
        rng.shuffle(order)
    size = {"F32": 4, "F16": 2, "BF16": 2}[dtype]
    entries, chunks, offset = {}, [], 0
    for i in order:
        name, a = tensors[i]
        blob = to_bytes(a, dtype)
        assert len(blob) == a.size * size
        entries[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        chunks.append(blob)
        offset += len(blob)
    keys = list(entries)
    if rng is not None:
        rng.shuffle(keys)
    header = {"__metadata__": {"format": "pt"}}
    header.update((k, entries[k]) for k in keys)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def write_config(path, L, H, C, V, P, eps, n_ctx_key):
    config = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"],
              "n_layer": L, "n_head": H, "n_embd": C, "vocab_size": V,
              "layer_norm_epsilon": eps, "activation_function": "gelu_new",
              "bos_token_id": V - 1, "eos_token_id": V - 1}
    config["n_ctx" if n_ctx_key else "n_positions"] = P
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def make(out, L, H, C, V, P, seed=0, dtype="f32", untied=False, prefix=False, buffers=False,
         shuffle=False, style="wide", eps=1e-5, n_ctx_key=False):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    tensors = make_weights(rng, L, C, V, P, untied, style)
    named = []
    for name, a in tensors:
        if prefix and name != "lm_head.weight":
            name = "transformer." + name
        named.append((name, a))
    if buffers:
        mask = np.tril(np.ones((P, P), dtype=np.float32)).reshape(1, 1, P, P)
        for l in range(L):
            p = ("transformer." if prefix else "") + "h.%d.attn." % l
            named.append((p + "bias", mask))
            named.append((p + "masked_bias", np.array(-1e4, dtype=np.float32)))
    write_safetensors(os.path.join(out, "model.safetensors"), named, dtype.upper(),
                      np.random.default_rng(seed + 1) if shuffle else None)
    write_config(os.path.join(out, "config.json"), L, H, C, V, P, eps, n_ctx_key)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers", type=int, required=True)
    ap.add_argument("--heads", type=int, required=True)
    ap.add_argument("--embd", type=int, required=True)
    ap.add_argument("--vocab", type=int, required=True)
    ap.add_argument("--positions", type=int, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=("f32", "f16", "bf16"), default="f32")
    ap.add_argument("--untied", action="store_true")
    ap.add_argument("--prefix", action="store_true")
    ap.add_argument("--buffers", action="store_true")
    ap.add_argument("--shuffle", action="store_true")
    ap.add_argument("--style", choices=("wide", "gpt2"), default="wide")
    ap.add_argument("--eps", type=float, default=1e-5)
    ap.add_argument("--n-ctx-key", action="store_true")
    a = ap.parse_args()
    if a.embd % a.heads:
        ap.error("--embd must be a multiple of --heads")
    make(a.out, a.layers, a.heads, a.embd, a.vocab, a.positions, a.seed, a.dtype, a.untied,
         a.prefix, a.buffers, a.shuffle, a.style, a.eps, a.n_ctx_key)


if __name__ == "__main__":
    main()
