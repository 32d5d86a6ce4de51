#!/usr/bin/python3
"""make_tokenizer.py - writes the small byte-level BPE tokenizer the fuzz
harnesses fall back on when GPT-2's (data/gpt2) is not there:
tests/fuzz/tokenizer/vocab.json and merges.txt.

    /usr/bin/python3 tests/fuzz/make_tokenizer.py

256 byte tokens in GPT-2's order (its byte-to-unicode map, as in GPT-2's
encoder.py), a few dozen merges of common English pairs and of UTF-8
continuation bytes, then <|endoftext|>.  It is an input, not a reference:
the harnesses only check that decode(encode(x)) == x with it.
"""
import json
import os


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def main():
    b2u = bytes_to_unicode()
    vocab = {}
    for b in sorted(b2u, key=lambda b: ord(b2u[b])):
        vocab[b2u[b]] = len(vocab)
    def u(s):
        return "".join(b2u[b] for b in s.encode("utf-8"))
    pairs = [("t", "h"), ("th", "e"), (" ", "the"), (" ", "a"), ("i", "n"), ("in", "g"), ("e", "r"),
             ("a", "n"), ("an", "d"), (" ", "and"), ("o", "n"), ("r", "e"), (" ", "s"), ("o", "u"),
             ("e", "d"), (" ", "w"), ("'", "s"), ("1", "2"), ("12", "3"), (" ", " "), ("  ", "  "),
             ("\n", "\n"), ("\xc3", "\xa9"), ("\xe2\x80", "\x94"), ("\xe2", "\x80")]
    merges = []
    for left, right in pairs:
        # Tokens are built from raw bytes: left/right are byte strings written with latin-1.
        lb, rb = left.encode("latin-1"), right.encode("latin-1")
        lu = "".join(b2u[b] for b in lb)
        ru = "".join(b2u[b] for b in rb)
        merges.append(lu + " " + ru)
        if lu + ru not in vocab:
            vocab[lu + ru] = len(vocab)
    # \xe2\x80 must exist before \xe2\x80 + \x94: move that rule first.
    merges.sort(key=lambda m: 0 if m == b2u[0xe2] + " " + b2u[0x80] else 1)
    vocab["<|endoftext|>"] = len(vocab)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokenizer")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")


main()
