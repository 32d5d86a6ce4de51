#!/usr/bin/python3
"""make_seeds.py - writes the seed corpora of the fuzz harnesses into
tests/fuzz/corpus/<harness>/ (small files: each under 16 KB).

    /usr/bin/python3 tests/fuzz/make_seeds.py

Seeds are valid inputs and near misses: the harnesses' fuzzers start from
them.  The safetensors and checkpoint seeds reuse the folders of
tests/data/bad (tests/ref/make_bad_checkpoints.py), plus F16/BF16 files made
here.  Inputs the fuzzer found that raised coverage may be added by hand
(libFuzzer names them by SHA-1); re-running this script keeps them.
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BAD = os.path.join(ROOT, "tests", "data", "bad")
MAX = 16384


def put(harness, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX:
        return
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def safetensors(tensors, meta=None, pad=True):
    """tensors: list of (name, dtype, shape, raw bytes)."""
    hdr, off, body = {}, 0, b""
    if meta is not None:
        hdr["__metadata__"] = meta
    for name, dtype, shape, raw in tensors:
        hdr[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        body += raw
    h = json.dumps(hdr, separators=(",", ":")).encode()
    if pad:
        h += b" " * ((8 - (len(h) + 8) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + body


def json_seeds():
    cfg = {"n_layer": 2, "n_head": 2, "n_embd": 8, "vocab_size": 300, "n_positions": 16,
           "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}
    put("json", "config", json.dumps(cfg, indent=2))
    put("json", "vocab", json.dumps({"!": 0, "\"": 1, "Ġthe": 2, "Ã©": 3, "<|endoftext|>": 4}, ensure_ascii=False))
    put("json", "vocab_ascii", json.dumps({"Ġ": 0, "\u0100": 1, "a\\b": 2}))
    put("json", "st_header", '{"__metadata__":{"format":"pt"},"wte.weight":{"dtype":"F32","shape":[6,4],"data_offsets":[0,96]}}')
    put("json", "trace", json.dumps({"argen_trace": 1, "config": cfg, "prompt": [464, 3797], "steps": [
        {"step": 0, "logits_top": [{"id": 1, "logit": -1.5e-3, "p": 0.25}], "chosen": 1, "draw": 0.5,
         "text": "\ufffd"}], "stop_reason": "max_new_tokens", "ok": True, "none": None}))
    put("json", "numbers", "[0, -0, 1.5, -2e10, 1E+2, 3e-400, 1e400, -1e400, 123456789012345678901234567890, 0.000001]")
    put("json", "escapes", r'["\"\\\/\b\f\n\r\t", "\u0000\u001f\u00e9\u20ac", "\ud83d\ude00", "x\u0000y"]')
    put("json", "keys_nul", '{"a\\u0000b": 1, "a": 2, "": 3}')
    put("json", "deep_ok", "[" * 200 + "]" * 200)
    put("json", "deep_limit", "[" * 257 + "]" * 257)
    put("json", "deep_over", "[" * 300 + "]" * 300)
    put("json", "deep_objects", '{"a":' * 256 + "1" + "}" * 256)
    put("json", "utf8", '"caf\u00e9 \u2014 \U0001F600"')
    put("json", "bad_utf8", b'"\xff\xc3"')
    put("json", "lone_surrogate", r'"\ud800"')
    put("json", "trailing", '{"a": 1} x')
    put("json", "truncated", '{"a": [1, 2, {"b": "c')
    put("json", "empty", "")
    put("json", "ws", " \t\r\n null \n")


def st_seeds():
    f32 = lambda n: struct.pack("<%df" % n, *[0.25 * i - 1 for i in range(n)])
    f16 = lambda n: struct.pack("<%de" % n, *[0.5 * i - 1 for i in range(n)])
    put("safetensors", "f32", safetensors([("a", "F32", [2, 3], f32(6)), ("b", "F32", [3], f32(3))], {"format": "pt"}))
    put("safetensors", "f16", safetensors([("a", "F16", [4], f16(4)), ("b", "BF16", [2, 2], b"\x80\x3f" * 4)]))
    put("safetensors", "mixed", safetensors([("i", "I64", [2], b"\0" * 16), ("u", "U8", [3], b"abc"),
                                             ("z", "F32", [0], b""), ("s", "F64", [], b"\0" * 8)], pad=False))
    put("safetensors", "empty_header", safetensors([]))
    put("safetensors", "overlap", struct.pack("<Q", 98) + b'{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}' + b"xyz")
    put("safetensors", "beyond", struct.pack("<Q", 1 << 40) + b"{}")
    if os.path.isdir(BAD):
        for case in sorted(os.listdir(BAD)):
            p = os.path.join(BAD, case, "model.safetensors")
            if os.path.isfile(p) and case.startswith(("valid", "data_", "header", "offset", "dtype", "unknown",
                                                     "truncated", "shape_overflow", "metadata", "byte_size")):
                put("safetensors", case, open(p, "rb").read())


def config_seeds():
    put("config", "config_only", json.dumps({"n_layer": 1, "n_head": 2, "n_embd": 4, "vocab_size": 6, "n_ctx": 4}))
    put("config", "not_divisible", '{"n_layer":1,"n_head":3,"n_embd":4,"vocab_size":6,"n_positions":4}')
    put("config", "negative", '{"n_layer":-1,"n_head":2,"n_embd":4,"vocab_size":6,"n_positions":4}')
    if os.path.isdir(BAD):
        for case in sorted(os.listdir(BAD)):
            c = os.path.join(BAD, case, "config.json")
            m = os.path.join(BAD, case, "model.safetensors")
            if os.path.isfile(c) and os.path.isfile(m):
                put("config", case, open(c, "rb").read() + b"\0" + open(m, "rb").read())
            elif os.path.isfile(c):
                put("config", case, open(c, "rb").read())


def cli_seeds():
    for i, (k, s) in enumerate([(0, "42"), (0, "-5"), (0, "1001"), (0, "0x10"), (0, " 7"), (0, "99999999999999999999"),
                                (1, "0.9"), (1, "1"), (1, "0"), (1, "nan"), (1, "1e-310"), (2, "inf"), (2, "0.7"),
                                (2, "-0"), (3, "464,3797,318"), (3, "50257"), (3, "1,,2"), (3, "-1"), (131, "70000"),
                                (3, ""), (3, "7,")]):
        put("cli", "seed%02d" % i, bytes([k]) + s.encode())


def tokenizer_seeds():
    texts = ["Hello world", "The cat's hat isn't 123 bigger than 4567.", "  leading and trailing   \n\n",
             "caf\u00e9 \u2014 na\u00efve \u65e5\u672c\u8a9e \U0001F600", "a<|endoftext|>b<|endoftext|>",
             "<|endoftext", "I'll we've they're you'd I'M", "\t\r\n\u00a0\u3000x", "x" * 300,
             "12345678901234567890", "don't 's 't 're"]
    for i, t in enumerate(texts):
        put("tokenizer", "text%02d" % i, t)
    put("tokenizer", "invalid_utf8", b"ab\xff\xfe c\xc3 d\xe2\x80 e\xed\xa0\x80 f\xf4\x90\x80\x80")
    put("tokenizer", "bytes", bytes(range(256)))
    cases = os.path.join(ROOT, "tests", "data", "tokenizer_cases.json")
    if os.path.isfile(cases):
        for c in json.load(open(cases))["cases"]:
            put("tokenizer", "case_" + c["name"], c["text"])


def merges_seeds():
    base = open(os.path.join(HERE, "tokenizer", "merges.txt"), "rb").read()
    put("merges", "base", base)
    put("merges", "crlf", base.replace(b"\n", b"\r\n"))
    put("merges", "no_header", b"t h\nth e\n")
    put("merges", "one_token", b"#version: 0.2\nth\n")
    put("merges", "three_tokens", b"#version: 0.2\nt h e\n")
    put("merges", "unknown_token", b"#version: 0.2\nzz q\n")
    put("merges", "not_in_vocab", b"#version: 0.2\nq z\n")
    put("merges", "empty", b"")
    vocab = open(os.path.join(HERE, "tokenizer", "vocab.json"), "rb").read()
    put("merges", "with_vocab", base + b"\0" + vocab + b"\0the cat \xff")
    put("merges", "vocab_not_object", b"t h\0[1,2,3]")
    put("merges", "vocab_small", b"\0" + json.dumps({"a": 0, "b": 1}).encode())
    put("merges", "vocab_dup_id", b"\0" + vocab.replace(b'"!": 0', b'"!": 1'))


json_seeds()
st_seeds()
config_seeds()
cli_seeds()
tokenizer_seeds()
merges_seeds()


def trace_seeds():
    """traces/examples/*.json, plus (committed, not remade here) gen-*.json
    and compare.json: `argen generate --trace` (summary, full, beam) and
    `argen compare --json` on a 1-layer `argen init` model with the
    tokenizer of tests/fuzz/tokenizer, 2 new tokens, --top-n 2 or 3."""
    ex = os.path.join(ROOT, "traces", "examples")
    if os.path.isdir(ex):
        for name in sorted(os.listdir(ex)):
            if name.endswith(".json"):
                put("trace", name, open(os.path.join(ex, name), "rb").read())


trace_seeds()
