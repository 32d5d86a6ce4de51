#!/usr/bin/python3
"""make_bad_checkpoints.py - writes malformed GPT-2 checkpoint folders, one
per way a config.json or model.safetensors can be wrong, and the table of
what argen's loader must say about each.

    make_bad_checkpoints.py [OUT] [--table TSV]
        OUT defaults to tests/data/bad, TSV to tests/data/bad_checkpoints.tsv

Regenerate the committed copies from the repository root with
    /usr/bin/python3 tests/ref/make_bad_checkpoints.py

Each case starts from one small valid checkpoint (1 layer, 2 heads, n_embd 4,
vocab 6, 4 positions, F32, tied) and breaks one thing.  The table has one
line per case: the folder name, then one or more substrings (tab-separated)
that gpt2_load's one-line error must all contain, compared case-insensitively.
They name the file and the tensor or field at fault.  tests/check_loader.c
reads the table; "valid" is the unbroken checkpoint, which must load.
"""
import argparse
import json
import os
import shutil
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_checkpoint  # noqa: E402

L, H, C, V, P = 1, 2, 4, 6, 4
ST = "model.safetensors"
CJ = "config.json"


def base_config():
    return {"n_layer": L, "n_head": H, "n_embd": C, "vocab_size": V, "n_positions": P,
            "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
            "bos_token_id": V - 1, "eos_token_id": V - 1}


def base_tensors():
    """[(name, float32 array)] of the valid checkpoint, canonical order."""
    return make_checkpoint.make_weights(np.random.default_rng(5), L, C, V, P, False, "wide")


def layout(tensors, dtype="F32"):
    """(header dict, data bytes) with the tensors tiling the data section."""
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, a in tensors:
        blob = make_checkpoint.to_bytes(a, dtype)
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    return header, data


def encode(header):
    text = json.dumps(header, separators=(",", ":")).encode()
    return text + b" " * (-len(text) % 8)


def file_bytes(header_bytes, data, n=None):
    """8-byte header length (n, default the true one), header, data."""
    return struct.pack("<Q", len(header_bytes) if n is None else n) + header_bytes + data


class Case:
    def __init__(self, name, expect, config=None, st=None, why=""):
        self.name, self.expect, self.config, self.st, self.why = name, expect, config, st, why


def shifted(header, name, delta_begin, delta_end):
    h = json.loads(json.dumps(header))
    b, e = h[name]["data_offsets"]
    h[name]["data_offsets"] = [b + delta_begin, e + delta_end]
    return h


def cases():
    tensors = base_tensors()
    header, data = layout(tensors)
    good = file_bytes(encode(header), data)
    cfg = base_config()
    out = [Case("valid", [], cfg, good, "the unbroken checkpoint: must load")]

    def st_case(name, expect, st, why):
        out.append(Case(name, [ST] + expect, cfg, st, why))

    def cfg_case(name, expect, change, why):
        c = dict(cfg)
        for k, v in change.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        out.append(Case(name, [CJ] + expect, c, good, why))

    def hdr_case(name, expect, h, why, d=None):
        st_case(name, expect, file_bytes(encode(h), data if d is None else d), why)

    # ---- the file's framing ----
    st_case("empty_file", ["header"], b"", "0 bytes: not even the 8-byte header length")
    st_case("truncated_length", ["header"], good[:5], "5 bytes: the header length itself is cut")
    st_case("truncated_header", ["header"], good[:8 + 20], "the file ends inside the JSON header")
    st_case("truncated_data", ["data"], good[:-3], "the file ends 3 bytes before the last tensor does")
    st_case("header_beyond_file", ["header length"], file_bytes(encode(header), data, n=len(good) + 1000),
            "the header length points past the end of the file")
    st_case("header_too_large", ["header length"], file_bytes(encode(header), data, n=200 * 1000 * 1000),
            "a 200 MB header length, above the 100 MB cap (check_loader.c also tries a real >100 MB file)")
    st_case("header_length_huge", ["header length"], file_bytes(encode(header), data, n=2 ** 64 - 1),
            "header length 2^64-1: must not wrap around when 8 is added")
    hb = b"{not json" + b" " * 7
    st_case("header_not_json", ["json"], file_bytes(hb, data), "the header is not JSON")
    hdr = json.dumps(header, separators=(",", ":")).encode() + b" x"
    st_case("header_trailing_garbage", ["json"], file_bytes(hdr + b" " * (-len(hdr) % 8), data),
            "a byte other than white space after the header's JSON object")
    st_case("header_not_object", ["header"], file_bytes(b"[1, 2, 3]       ", data), "the header is a JSON array")

    # ---- each tensor's entry ----
    h = json.loads(json.dumps(header)); h["wte.weight"]["dtype"] = "F7"
    hdr_case("unknown_dtype", ["wte", "F7"], h, "dtype F7 does not exist")
    h = json.loads(json.dumps(header)); h["wpe.weight"]["dtype"] = "I32"
    hdr_case("unsupported_dtype", ["wpe", "I32"], h, "I32 is a safetensors dtype but no float")
    h = json.loads(json.dumps(header)); h["wte.weight"]["dtype"] = 32
    hdr_case("dtype_not_string", ["wte", "dtype"], h, "dtype is a number")
    h = json.loads(json.dumps(header)); del h["wte.weight"]["data_offsets"]
    hdr_case("missing_offsets", ["wte", "data_offsets"], h, "no data_offsets")
    h = json.loads(json.dumps(header)); h["wte.weight"]["shape"] = [V, -C]
    hdr_case("negative_shape", ["wte", "shape"], h, "a negative dimension")
    h = json.loads(json.dumps(header)); h["wte.weight"]["shape"] = [V, 1.5]
    hdr_case("fractional_shape", ["wte", "shape"], h, "a dimension that is not an integer")
    h = json.loads(json.dumps(header)); h["wte.weight"]["data_offsets"] = [0, "96"]
    hdr_case("offset_not_number", ["wte", "data_offsets"], h, "an offset given as a string")
    h = json.loads(json.dumps(header)); h["__metadata__"] = {"format": 3}
    hdr_case("metadata_value_not_string", ["__metadata__"], h, "__metadata__ maps a key to a number")
    h = json.loads(json.dumps(header)); h["__metadata__"] = "pt"
    hdr_case("metadata_not_map", ["__metadata__"], h, "__metadata__ is a string")
    h = json.loads(json.dumps(header)); h["wpe.weight"] = [1, 2]
    hdr_case("entry_not_object", ["wpe"], h, "a tensor entry that is not an object")

    # ---- the data section: tensors tile it exactly ----
    names = [n for n, _ in tensors]
    a, b = names[2], names[3]          # h.0.ln_1.weight, then h.0.ln_1.bias
    # a 4-byte gap before b: every later tensor moves up 4 bytes, 4 more data bytes
    h = json.loads(json.dumps(header))
    for n in names[3:]:
        h = shifted(h, n, 4, 4)
    end_a = header[a]["data_offsets"][1]
    hdr_case("data_gap", [b], h, "4 unused bytes between %s and %s" % (a, b),
             d=data[:end_a] + b"\0" * 4 + data[end_a:])
    # b starts 4 bytes inside a: every later tensor moves down 4 bytes, 4 bytes fewer
    h = json.loads(json.dumps(header))
    for n in names[3:]:
        h = shifted(h, n, -4, -4)
    hdr_case("data_overlap", [b], h, "%s starts 4 bytes before %s ends" % (b, a), d=data[:-4])
    hdr_case("data_trailing_bytes", ["data"], header, "4 bytes after the last tensor", d=data + b"\0" * 4)
    last = names[-1]
    h = shifted(header, last, 0, 4)
    hdr_case("offset_beyond_file", [last], h, "the last tensor ends 4 bytes past the file", d=data)
    h = json.loads(json.dumps(header)); b0, e0 = h["wpe.weight"]["data_offsets"]; h["wpe.weight"]["data_offsets"] = [e0, b0]
    hdr_case("offsets_reversed", ["wpe"], h, "data_offsets [end, begin]")
    # wte one row short in its shape, but its bytes still those of the full [V, C]
    h = json.loads(json.dumps(header)); h["wte.weight"]["shape"] = [V - 1, C]
    hdr_case("byte_size_mismatch", ["wte"], h, "shape [V-1, C] but V*C*4 bytes")
    # shape whose element count times 4 wraps to 0 in 64 bits, over 0 bytes
    wrapped = [(n, arr) for n, arr in tensors if n != "wte.weight"]
    h, d = layout(wrapped)
    h["wte.weight"] = {"dtype": "F32", "shape": [2 ** 62, 4], "data_offsets": [len(d), len(d)]}
    hdr_case("shape_overflow", ["wte"], h, "shape [2^62, 4]: 2^64 elements x 4 bytes wraps to 0", d=d)

    # ---- what the config requires ----
    missing = "h.0.mlp.c_fc.bias"
    h, d = layout([(n, arr) for n, arr in tensors if n != missing])
    hdr_case("missing_tensor", [missing], h, "no %s" % missing, d=d)
    h, d = layout([(n, arr) for n, arr in tensors if not n.startswith("h.")])
    hdr_case("missing_layer", ["h.0."], h, "no tensor of layer 0 at all", d=d)
    bad = "h.0.attn.c_attn.weight"
    h, d = layout([(n, (arr[:, :2 * C] if n == bad else arr)) for n, arr in tensors])
    hdr_case("shape_vs_config", [bad], h, "%s is [C, 2C] where the config implies [C, 3C]" % bad, d=d)
    h, d = layout([(n, (arr.T.copy() if n == bad else arr)) for n, arr in tensors])
    hdr_case("shape_transposed", [bad], h, "%s stored [3C, C] (nn.Linear layout)" % bad, d=d)
    h, d = layout([(n, (arr[:P - 1] if n == "wpe.weight" else arr)) for n, arr in tensors])
    hdr_case("wpe_short", ["wpe"], h, "wpe has P-1 rows", d=d)
    h, d = layout(tensors + [("lm_head.weight", np.ones((V - 1, C), np.float32))])
    hdr_case("lm_head_shape", ["lm_head.weight"], h, "lm_head.weight is [V-1, C]", d=d)
    h, d = layout([(n, arr.reshape(1, -1) if n == "ln_f.weight" else arr) for n, arr in tensors])
    hdr_case("ln_f_2d", ["ln_f.weight"], h, "ln_f.weight is [1, C] instead of [C]", d=d)

    # ---- config.json ----
    cfg_case("config_zero_layers", ["n_layer"], {"n_layer": 0}, "n_layer 0")
    cfg_case("config_negative_heads", ["n_head"], {"n_head": -2}, "n_head -2")
    cfg_case("config_zero_embd", ["n_embd"], {"n_embd": 0}, "n_embd 0")
    cfg_case("config_zero_vocab", ["vocab_size"], {"vocab_size": 0}, "vocab_size 0")
    cfg_case("config_zero_positions", ["n_positions"], {"n_positions": 0}, "n_positions 0")
    cfg_case("config_huge_vocab", ["vocab_size"], {"vocab_size": 2 ** 32}, "vocab_size 2^32 does not fit an int")
    cfg_case("config_fractional_layers", ["n_layer"], {"n_layer": 1.5}, "n_layer 1.5")
    cfg_case("config_string_heads", ["n_head"], {"n_head": "2"}, "n_head given as a string")
    cfg_case("config_not_divisible", ["n_embd", "n_head"], {"n_head": 3}, "n_embd 4 is not a multiple of n_head 3")
    cfg_case("config_activation", ["activation_function", "relu"], {"activation_function": "relu"},
             "activation_function relu")
    cfg_case("config_activation_gelu", ["activation_function", "gelu"], {"activation_function": "gelu"},
             "activation_function gelu (the erf GELU: close to gelu_new, but not it)")
    cfg_case("config_missing_embd", ["n_embd"], {"n_embd": None}, "no n_embd")
    cfg_case("config_missing_positions", ["n_positions"], {"n_positions": None}, "neither n_positions nor n_ctx")
    out.append(Case("config_not_json", [CJ], b'{"n_layer": 1,', good, "config.json is not JSON"))
    out.append(Case("config_not_object", [CJ], b'[1]', good, "config.json is an array"))
    out.append(Case("config_missing", [CJ], None, good, "no config.json"))
    out.append(Case("safetensors_missing", [ST], cfg, None, "no model.safetensors"))
    return out


def write(out_dir, table_path):
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    rows = []
    for case in cases():
        d = os.path.join(out_dir, case.name)
        os.makedirs(d)
        if case.config is not None:
            with open(os.path.join(d, CJ), "wb") as f:
                if isinstance(case.config, bytes):
                    f.write(case.config)
                else:
                    f.write((json.dumps(case.config, indent=2) + "\n").encode())
        if case.st is not None:
            with open(os.path.join(d, ST), "wb") as f:
                f.write(case.st)
        rows.append("\t".join([case.name] + case.expect))
    with open(table_path, "w") as f:
        f.write("# made by tests/ref/make_bad_checkpoints.py: folder under tests/data/bad, then the\n"
                "# substrings gpt2_load's error must contain (case-insensitive), tab-separated.\n"
                "# A folder with no substrings must load.\n")
        f.write("\n".join(rows) + "\n")
    return len(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", default="tests/data/bad")
    ap.add_argument("--table", default="tests/data/bad_checkpoints.tsv")
    ap.add_argument("--list", action="store_true", help="print each case and why it is bad")
    a = ap.parse_args()
    if a.list:
        for c in cases():
            print("%-28s %s" % (c.name, c.why))
        return
    n = write(a.out, a.table)
    print("%d checkpoints in %s, expectations in %s" % (n, a.out, a.table))


if __name__ == "__main__":
    main()
