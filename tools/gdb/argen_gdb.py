"""
argen_gdb.py - gdb pretty-printers and commands for argen (gdb's Python API).

Loaded automatically from build/debug/argen-gdb.py (a copy the Makefile puts
next to the debug binary) once gdb trusts that folder:

    add-auto-load-safe-path /path/to/argen/build/debug      (in ~/.gdbinit)

or by hand: `source tools/gdb/argen_gdb.py`.  Sourcing it twice is harmless.

What prints differently (see docs/debugging.md):

  float *           an argen buffer (an activation of the RunState, a weight of
                    the model, an array of the Selection) prints its name,
                    shape, leading values and min/max/mean/norm on one line.
                    Shapes come from the model config found on the stack (a
                    Generator, GPT2, PromptedModel in some frame) or given with
                    `argen-model EXPR`.  Other float pointers print as usual.
  RunState          every activation with its shape, and the KV cache's fill.
  LayerActs         one block's activations with their shapes.
  Selection         the top-N table: rank (1 = the most likely), id, token text,
                    logits, probability, cumulative, which rule cut it; the
                    entropy in bits; then the draw and the choice.
  Generator         step, context tokens with their text, stop reason.
  GPT2, Param, Tokenizer   one-line summaries.
  Matrix                   a weight matrix: name, shape, dtype and values
                           (F16/BF16 shown widened to float32).

Commands:  argen-tokens EXPR [N]   argen-logits [EXPR [N]]   argen-probs [SEL]
           argen-tensor EXPR DIM...   argen-kv [LAYER]   argen-model EXPR
           argen-tokenizer EXPR   argen-stage N TITLE   argen-pause
Function:  $argen_tok(ID) -> the token's text.   Setting: set argen-top-n N.

`step` skips the files that only observe a run (SKIPPED_FILES: the JSON
writer, the trace sink, the CLI's observers), so stepping from generate_step
with --trace on reaches forward_pass in a few steps instead of hundreds.

Ranks count from 1 (rank 1 = the most likely token) and entropies print in
bits, as in the trace, the diagrams and the viewer.

Numbers print as the shortest decimal that reads back as the same float32,
the rule the JSON trace uses (src/formats/json.c jw_float), so a value printed here
and the same value in the trace are the same string.
"""
import json
import math
import os
import struct

import gdb
import gdb.printing

try:
    import numpy as np
except ImportError:  # the printers work without numpy, only slower
    np = None

LEADING = 6            # values shown at the start of a tensor
STATS_LIMIT = 1 << 22  # floats read for min/max/mean (16 MB); bigger tensors: the first this many


# ---------------------------------------------------------------------------
# numbers and text

def f32(x):
    """x rounded to float32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def fmt(x):
    """Shortest of %.6g..%.9g that reads back as the same float32 (jw_float's rule)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    target = f32(x)
    for prec in range(6, 10):
        s = "%.*g" % (prec, x)
        if f32(float(s)) == target:
            return s
    return "%.9g" % x


def quote(raw):
    """Token bytes as a double-quoted string: UTF-8 shown as text, other bytes as \\xNN."""
    out = []
    text = raw.decode("utf-8", errors="surrogateescape")
    for ch in text:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:
            out.append("\\x%02x" % (o - 0xDC00))
        elif ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


# ---------------------------------------------------------------------------
# reading the inferior

def read_floats(addr, n):
    """n float32 at addr, as a numpy array or a list."""
    if n <= 0:
        return np.zeros(0, dtype=np.float32) if np else []
    mem = gdb.selected_inferior().read_memory(int(addr), 4 * n)
    if np:
        return np.frombuffer(bytes(mem), dtype="<f4").copy()
    return list(struct.unpack("<%df" % n, bytes(mem)))


def read_halves(addr, n, dtype):
    """n 16-bit weights at addr (dtype "f16" or "bf16"), widened to float32 as the kernels do."""
    if n <= 0:
        return np.zeros(0, dtype=np.float32) if np else []
    raw = bytes(gdb.selected_inferior().read_memory(int(addr), 2 * n))
    if dtype == "f16":
        return np.frombuffer(raw, dtype="<f2").astype(np.float32) if np else list(struct.unpack("<%de" % n, raw))
    bits = struct.unpack("<%dH" % n, raw)   # bf16: the top 16 bits of a float32
    vals = struct.unpack("<%df" % n, struct.pack("<%dI" % n, *[b << 16 for b in bits]))
    return np.array(vals, dtype=np.float32) if np else list(vals)


def read_ints(addr, n):
    if n <= 0:
        return []
    mem = gdb.selected_inferior().read_memory(int(addr), 4 * n)
    return list(struct.unpack("<%di" % n, bytes(mem)))


def readable(addr, n=1):
    try:
        gdb.selected_inferior().read_memory(int(addr), n)
        return True
    except (gdb.MemoryError, gdb.error, ValueError, OverflowError):
        return False


def names_of(t):
    """Every name a type goes by: typedef name, struct tag."""
    t = t.unqualified()
    names = {t.name, t.tag}
    s = t.strip_typedefs()
    names.update({s.name, s.tag})
    names.discard(None)
    return names


def as_struct(v):
    """(type name, struct value) for a struct or a non-null pointer to one, else (None, None)."""
    try:
        t = v.type.strip_typedefs()
        if t.code == gdb.TYPE_CODE_PTR:
            target = v.type.strip_typedefs().target()
            if int(v) == 0 or not readable(int(v), max(1, target.sizeof)):
                return None, None
            v = v.dereference()
            t = target.strip_typedefs()
        if t.code != gdb.TYPE_CODE_STRUCT:
            return None, None
        for name in names_of(v.type):
            if name in KNOWN_STRUCTS:
                return name, v
    except (gdb.error, gdb.MemoryError, RuntimeError):
        pass
    return None, None


KNOWN_STRUCTS = {"Generator", "GPT2", "PromptedModel", "Gpt2Beams", "RunState", "Tokenizer", "Selection"}


# ---------------------------------------------------------------------------
# what the stack holds: the model, the run state, the tokenizer
#
# Nothing is cached across stops: each print walks the frames of the stopped
# program (a handful of frames, a few locals each).  `argen-model` and
# `argen-tokenizer` pin an address for programs without one on the stack.

PINNED = {}   # "model" / "tokenizer" -> (pid, address)


def frames():
    try:
        f = gdb.selected_frame()
    except gdb.error:
        return
    while f is not None:
        yield f
        try:
            f = f.older()
        except gdb.error:
            return


def frame_values(frame):
    """(name, value) of the locals and arguments visible in frame."""
    try:
        block = frame.block()
    except RuntimeError:
        return
    while block is not None:
        for sym in block:
            if sym.is_variable or sym.is_argument:
                try:
                    yield sym.name, sym.value(frame)
                except (gdb.error, RuntimeError):
                    continue
        if block.function is not None:
            break
        block = block.superblock


def config_ok(c):
    try:
        C, H, L = int(c["n_embd"]), int(c["n_head"]), int(c["n_layer"])
        P, V = int(c["n_positions"]), int(c["vocab_size"])
    except (gdb.error, gdb.MemoryError):
        return False
    return (1 <= C <= 1 << 16 and 1 <= H <= 1 << 10 and C % H == 0 and 1 <= L <= 1 << 10
            and 1 <= P <= 1 << 20 and 1 <= V <= 1 << 24)


def pinned(key, type_name):
    entry = PINNED.get(key)
    if not entry or entry[0] != gdb.selected_inferior().pid:
        return None
    try:
        return gdb.Value(entry[1]).cast(gdb.lookup_type(type_name).pointer()).dereference()
    except gdb.error:
        return None


def find_model():
    """The GPT2 of the stopped program: pinned, else the innermost one on the stack."""
    m = pinned("model", "GPT2")
    if m is not None:
        return m
    for f in frames():
        for _, v in frame_values(f):
            kind, s = as_struct(v)
            cand = None
            if kind in ("Generator", "Gpt2Beams"):
                _, cand = as_struct(s["model"])
            elif kind == "PromptedModel":
                cand = s["model"]
            elif kind == "GPT2":
                cand = s
            if cand is not None and config_ok(cand["config"]):
                return cand
    return None


def find_config():
    m = find_model()
    return None if m is None else m["config"]


def find_run_states():
    """Every RunState visible on the stack (a Generator's, a forward_pass's)."""
    seen, out = set(), []
    for f in frames():
        for _, v in frame_values(f):
            kind, s = as_struct(v)
            if kind == "Generator":
                s, kind = s["state"], "RunState"
            if kind == "RunState":
                addr = int(s.address)
                if addr not in seen and int(s["block"]) != 0:
                    seen.add(addr)
                    out.append(s)
    return out


def find_selection():
    for f in frames():
        for _, v in frame_values(f):
            kind, s = as_struct(v)
            if kind == "Generator":
                s, kind = s["sel"], "Selection"
            if kind == "Selection" and int(s["V"]) > 0 and int(s["probs"]) != 0:
                return s
    return None


def forward_rows(state):
    """T of the forward call in progress on state, else of the last one."""
    for f in frames():
        if f.name() in ("forward_pass", "transformer_block"):
            vals = dict(frame_values(f))
            try:
                if "s" in vals and int(vals["s"]) == int(state.address) and "T" in vals:
                    return int(vals["T"])
            except gdb.error:
                pass
    return int(state["last_T"])


def current_layer():
    for f in frames():
        if f.name() == "transformer_block":
            vals = dict(frame_values(f))
            if "l" in vals:
                return int(vals["l"])
    return None


# ---- token text ----

class DiskVocab:
    """vocab.json of the model's folder, when no Tokenizer is in memory."""
    cache = {}

    @staticmethod
    def load(folder):
        path = os.path.join(folder, "vocab.json")
        try:
            key = (path, os.stat(path).st_mtime)
        except OSError:
            return None
        if key not in DiskVocab.cache:
            # GPT-2's byte-to-unicode map (tokenizer.h), inverted.
            bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
            cs, n = bs[:], 0
            for b in range(256):
                if b not in bs:
                    bs.append(b)
                    cs.append(256 + n)
                    n += 1
            dec = {chr(c): b for b, c in zip(bs, cs)}
            with open(path, encoding="utf-8") as fh:
                vocab = json.load(fh)
            table = {}
            for text, i in vocab.items():
                table[i] = bytes(dec.get(ch, 0x3F) for ch in text) if text != "<|endoftext|>" else text.encode()
            DiskVocab.cache[key] = table
        return DiskVocab.cache[key]


def find_tokenizer():
    t = pinned("tokenizer", "Tokenizer")
    if t is not None:
        return t
    for f in frames():
        for _, v in frame_values(f):
            kind, s = as_struct(v)
            if kind == "PromptedModel":
                if int(s["has_tokenizer"]) != 1:
                    continue
                s, kind = s["tok"], "Tokenizer"
            if kind == "Tokenizer":
                try:
                    n = int(s["vocab_size"])
                    if 1 <= n <= 1 << 24 and int(s["offsets"]) != 0 and readable(int(s["offsets"]), 8):
                        return s
                except (gdb.error, gdb.MemoryError):
                    continue
    return None


class TokenNamer:
    """Looks token ids up once per print: the Tokenizer in memory, else vocab.json on disk."""

    def __init__(self):
        self.tok = find_tokenizer()
        self.disk = None
        if self.tok is None:
            m = find_model()
            if m is not None:
                try:
                    folder = m["dir"].string()
                except (gdb.error, UnicodeDecodeError):
                    folder = ""
                if folder:
                    self.disk = DiskVocab.load(folder)

    def raw(self, i):
        if self.tok is not None:
            if not 0 <= i < int(self.tok["vocab_size"]):
                return None
            size = gdb.lookup_type("size_t").sizeof
            mem = bytes(gdb.selected_inferior().read_memory(int(self.tok["offsets"]) + size * i, 2 * size))
            lo, hi = struct.unpack("<QQ" if size == 8 else "<II", mem)
            if hi - lo > 4096:
                return None
            return bytes(gdb.selected_inferior().read_memory(int(self.tok["bytes"]) + lo, hi - lo)) if hi > lo else b""
        if self.disk is not None:
            return self.disk.get(i)
        return None

    def text(self, i):
        try:
            b = self.raw(i)
        except (gdb.error, gdb.MemoryError):
            b = None
        return quote(b) if b is not None else "?"


# ---------------------------------------------------------------------------
# tensors

def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def stats(values):
    """(min, max, mean, L2 norm) in double."""
    if len(values) == 0:
        return None
    if np:
        x = values.astype(np.float64)
        return float(x.min()), float(x.max()), float(x.mean()), float(math.sqrt(np.dot(x, x)))
    s = sq = 0.0
    for v in values:
        s += v
        sq += v * v
    return min(values), max(values), s / len(values), math.sqrt(sq)


def tensor_line(name, addr, shape, note="", dtype="f32"):
    """name [shape] = {leading values, ...}  min .. max .. mean .. norm ..
    (dtype f16 or bf16: 16-bit weights, shown widened to float32)"""
    n = numel(shape)
    shape_text = "[" + ", ".join(str(d) for d in shape) + "]" + ("" if dtype == "f32" else " " + dtype)
    if n == 0:
        return "%s %s (empty%s)" % (name, shape_text, note)
    try:
        head = (read_floats(addr, min(n, STATS_LIMIT)) if dtype == "f32"
                else read_halves(addr, min(n, STATS_LIMIT), dtype))
    except (gdb.MemoryError, gdb.error) as e:
        return "%s %s at 0x%x: cannot read (%s)" % (name, shape_text, int(addr), e)
    lead = ", ".join(fmt(v) for v in head[:LEADING]) + (", ..." if n > LEADING else "")
    mn, mx, mean, norm = stats(head)
    part = "" if n <= STATS_LIMIT else " (of the first %d)" % STATS_LIMIT
    return "%s %s = {%s}  min %s max %s mean %s norm %s%s%s" % (
        name, shape_text, lead, fmt(mn), fmt(mx), fmt(mean), fmt(norm), part, note)


def row_lines(addr, shape, rows, indent="    "):
    """The leading values of chosen rows of a 2-D tensor: row r: {...}."""
    out = []
    cols = shape[-1]
    for r in rows:
        vals = read_floats(int(addr) + 4 * r * cols, min(cols, LEADING))
        out.append("%srow %d: {%s%s}" % (indent, r, ", ".join(fmt(v) for v in vals), ", ..." if cols > LEADING else ""))
    return out


LAYER_FIELDS = [  # field, shape from (T, C, H, N)
    ("ln1_out", lambda T, C, H, N: [T, C]), ("ln1_mean", lambda T, C, H, N: [T]),
    ("ln1_rstd", lambda T, C, H, N: [T]), ("qkv", lambda T, C, H, N: [T, 3 * C]),
    ("att_probs", lambda T, C, H, N: [H, T, N]), ("att_out", lambda T, C, H, N: [T, C]),
    ("attn_proj", lambda T, C, H, N: [T, C]), ("res1", lambda T, C, H, N: [T, C]),
    ("ln2_out", lambda T, C, H, N: [T, C]), ("ln2_mean", lambda T, C, H, N: [T]),
    ("ln2_rstd", lambda T, C, H, N: [T]), ("fc", lambda T, C, H, N: [T, 4 * C]),
    ("fc_gelu", lambda T, C, H, N: [T, 4 * C]), ("mlp_proj", lambda T, C, H, N: [T, C]),
    ("res2", lambda T, C, H, N: [T, C]),
]


def state_tensors(state, cfg):
    """[(name, address, shape)] of a RunState's buffers, shapes from cfg and the forward call."""
    T = forward_rows(state)
    C, H, L, V = int(cfg["n_embd"]), int(cfg["n_head"]), int(cfg["n_layer"]), int(cfg["vocab_size"])
    N = int(state["opt"]["n_ctx"])
    out = [("embed", state["embed"], [T, C])]
    n_sets = L if int(state["opt"]["keep_layers"]) else 1
    for l in range(n_sets):
        acts = state["layer"][l]
        label = "h.%d." % l if n_sets > 1 else "h.*."
        for field, shape in LAYER_FIELDS:
            out.append((label + field, acts[field], shape(T, C, H, N)))
    out += [("lnf_out", state["lnf_out"], [T, C]), ("lnf_mean", state["lnf_mean"], [T]),
            ("lnf_rstd", state["lnf_rstd"], [T])]
    rows = T if int(state["opt"]["all_logits"]) else 1
    out.append(("logits", state["logits"], [rows, V]))
    out.append(("key_cache", state["key_cache"], [L, H, N, C // H]))
    out.append(("value_cache", state["value_cache"], [L, H, N, C // H]))
    return out


def known_buffers():
    """address -> (name, shape): the registry behind the float * printer."""
    table = {}
    m = find_model()
    if m is None:
        return table
    cfg = m["config"]
    for s in find_run_states():
        for name, ptr, shape in state_tensors(s, cfg):
            table.setdefault(int(ptr), (name, shape))
    sel = find_selection()
    if sel is not None:
        V = int(sel["V"])
        for field in ("penalized", "scaled", "probs"):
            table.setdefault(int(sel[field]), ("sel." + field, [V]))
    try:
        params = m["params"]
        for i in range(int(m["n_params"])):
            p = params[i]
            shape = [int(p["shape"][0])] + ([int(p["shape"][1])] if int(p["ndim"]) == 2 else [])
            table.setdefault(int(p["data"]), (p["name"].string(), shape))
    except (gdb.error, gdb.MemoryError):
        pass
    if int(m["tied"]) and int(m["w"]["lm_head"]["f32"]):
        table.setdefault(int(m["w"]["lm_head"]["f32"]), ("lm_head (= wte.weight, tied)", [int(cfg["vocab_size"]), int(cfg["n_embd"])]))
    table.pop(0, None)   # the NULL data of weights held in half precision
    return table


DTYPE_NAMES = {0: "f32", 1: "f16", 2: "bf16"}   # WeightDType: WEIGHTS_F32, WEIGHTS_F16, WEIGHTS_BF16


def weight_dtype(val):
    return DTYPE_NAMES.get(int(val), "?")


def param_of(addr):
    """(name, shape) of the model's parameter whose data or 16-bit weights start at addr, or None."""
    m = find_model()
    if m is None or addr == 0:
        return None
    try:
        params = m["params"]
        for i in range(int(m["n_params"])):
            p = params[i]
            if addr in (int(p["data"]), int(p["half"])):
                return (p["name"].string(), [int(p["shape"][0])] + ([int(p["shape"][1])] if int(p["ndim"]) == 2 else []))
    except (gdb.error, gdb.MemoryError):
        pass
    return None


# ---------------------------------------------------------------------------
# pretty-printers

class FloatBufferPrinter:
    def __init__(self, name, addr, shape):
        self.name, self.addr, self.shape = name, addr, shape

    def to_string(self):
        return "(float *) 0x%x %s" % (self.addr, tensor_line(self.name, self.addr, self.shape))


class RunStatePrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        s = self.val
        opt = s["opt"]
        head = "RunState: %d of %d positions in the KV cache, last forward call %d token(s) at position %d" % (
            int(s["n_cached"]), int(opt["n_ctx"]), int(s["last_T"]), int(s["last_pos"]))
        cfg = find_config()
        if cfg is None:
            return head + "\n  (shapes unknown: no GPT2 on the stack; `argen-model EXPR` names one)"
        if int(s["block"]) == 0:
            return head + " (not allocated)"
        lines = [head]
        T = forward_rows(s)
        for name, ptr, shape in state_tensors(s, cfg):
            if name in ("key_cache", "value_cache"):
                lines.append("  " + kv_line(name, ptr, shape, int(s["n_cached"])))
            else:
                lines.append("  " + tensor_line(name, ptr, shape))
        if T > 1:
            lines.append("  (rows are the %d tokens of the forward call; the last row predicts the next token)" % T)
        return "\n".join(lines)


def kv_line(name, ptr, shape, n_cached):
    """A cache [L, H, N, hs] summarised over its n_cached valid positions."""
    L, H, N, hs = shape
    text = "%s [%d layers, %d heads, %d of %d positions, %d]" % (name, L, H, n_cached, N, hs)
    if n_cached == 0:
        return text + ": empty"
    vals = read_floats(ptr, min(numel(shape), STATS_LIMIT))
    if np and numel(shape) <= STATS_LIMIT:
        vals = vals.reshape(L, H, N, hs)[:, :, :n_cached, :].reshape(-1)
    mn, mx, mean, _ = stats(vals)
    return text + ": min %s max %s mean %s" % (fmt(mn), fmt(mx), fmt(mean))


class LayerActsPrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        a = self.val
        cfg = find_config()
        states = [s for s in find_run_states()
                  if int(s["layer"]) <= int(a.address) < int(s["layer"]) + a.type.sizeof * max(1, int(cfg["n_layer"]) if cfg is not None else 1)]
        if cfg is None or not states:
            return "LayerActs (shapes unknown: no GPT2/RunState on the stack)"
        s = states[0]
        T, N = forward_rows(s), int(s["opt"]["n_ctx"])
        C, H = int(cfg["n_embd"]), int(cfg["n_head"])
        index = (int(a.address) - int(s["layer"])) // a.type.sizeof
        shared = not int(s["opt"]["keep_layers"])
        layer = current_layer()
        who = "layer %d" % index if not shared else (
            "shared by every layer" + (", now layer %d" % layer if layer is not None else ""))
        lines = ["LayerActs (%s), T=%d tokens, C=%d, H=%d" % (who, T, C, H)]
        for field, shape in LAYER_FIELDS:
            lines.append("  " + tensor_line(field, a[field], shape(T, C, H, N)))
        return "\n".join(lines)


def top_n_setting():
    try:
        return int(gdb.parameter("argen-top-n"))
    except (gdb.error, RuntimeError):
        return 10


def rank_order(values, n):
    """Ids of the n largest values, descending, ties toward the lower id (as the sampler sorts)."""
    if np:
        idx = np.lexsort((np.arange(len(values)), -values.astype(np.float64)))
        return [int(i) for i in idx[:n]]
    return sorted(range(len(values)), key=lambda i: (-values[i], i))[:n]


def selection_table(sel, n, names):
    """The top-n rows of a Selection, ranked as the sampler ranks them: rank 1 = the most likely."""
    V = int(sel["V"])
    probs = read_floats(sel["probs"], V)
    pen = read_floats(sel["penalized"], V)
    scaled = read_floats(sel["scaled"], V)
    n = min(n, V)
    sorted_ = int(sel["sorted"]) == 1
    order = read_ints(sel["order"], V) if sorted_ else rank_order(scaled, V)
    n_top_k, n_top_p, n_kept = int(sel["n_top_k"]), int(sel["n_top_p"]), int(sel["n_kept"])
    chosen = int(sel["chosen_rank"]) - 1   # index into order[] (the rank counts from 1; 0: no choice yet)
    lines = ["%5s %6s  %-16s %13s %13s %13s %13s  %s" % (
        "rank", "id", "token", "penalized", "scaled", "probability", "cumulative", "kept")]
    cum = 0.0
    for r in range(V):
        i = order[r]
        p = float(probs[i])
        if r < n or r == chosen:
            if r == n and chosen > n:
                lines.append("  ...")
            cut = "yes" if r < n_kept else "cut by " + ("top-k" if r >= n_top_k else "top-p" if r >= n_top_p else "min-p")
            if not sorted_:
                cut = "-"
            lines.append("%5d %6d  %-16s %13s %13s %13s %13s  %s%s" % (
                r + 1, i, names.text(i), fmt(pen[i]), fmt(scaled[i]), fmt(p), fmt(cum + p), cut,
                "  <- chosen" if sorted_ and r == chosen else ""))
        if r >= n and r >= chosen:
            break
        cum += p
    return lines


class SelectionPrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        sel = self.val
        V = int(sel["V"])
        if V <= 0 or int(sel["probs"]) == 0:
            return "Selection (not allocated)"
        names = TokenNamer()
        sorted_ = int(sel["sorted"]) == 1
        if not sorted_:
            # Between the softmax and the sort (or greedy without a table):
            # the counts and the choice still hold the previous step's values.
            lines = ["Selection over V=%d, T=%s: probabilities of this step, not ranked or cut yet "
                     "(ranks below are by scaled logit, computed here)" % (V, fmt(float(sel["temperature"])))]
            return "\n".join(lines + ["  " + l for l in selection_table(sel, top_n_setting(), names)])
        head = ("Selection over V=%d: T=%s, kept %d (after top-k %d, top-p %d, min-p %d), kept mass %s, "
                "entropy %s bits" % (V, fmt(float(sel["temperature"])), int(sel["n_kept"]), int(sel["n_top_k"]),
                                     int(sel["n_top_p"]), int(sel["n_kept"]), fmt(float(sel["kept_mass"])),
                                     fmt(float(sel["entropy_nats"]) / math.log(2))))
        lines = [head]
        lines += ["  " + l for l in selection_table(sel, top_n_setting(), names)]
        chosen, rank = int(sel["chosen"]), int(sel["chosen_rank"])
        if 0 <= chosen < V:
            p = read_floats(int(sel["probs"]) + 4 * chosen, 1)[0]
            mass = float(sel["kept_mass"])
            lines.append("  draw u = %s; chosen: id %d %s, rank %d, probability %s, renormalized %s" % (
                fmt(float(sel["draw"])), chosen, names.text(chosen), rank, fmt(p),
                fmt(p / mass) if mass > 0 else "-"))
        return "\n".join(lines)


def ids_line(addr, n, names, limit=64):
    ids = read_ints(addr, min(n, limit))
    parts = ["%d %s" % (i, names.text(i)) for i in ids]
    return "[" + ", ".join(parts) + (", ..." if n > limit else "") + "]"


class GeneratorPrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        g = self.val
        names = TokenNamer()
        n_ids, n_prompt = int(g["n_ids"]), int(g["n_prompt"])
        stop = str(g["stop"])
        lines = ["Generator: step %d, %d tokens (prompt %d, window %d), stop %s, KV cache holds %d positions" % (
            int(g["step"]), n_ids, n_prompt, int(g["n_ctx"]), stop, int(g["state"]["n_cached"]))]
        if int(g["ids"]) != 0 and n_ids > 0:
            lines.append("  context: " + ids_line(g["ids"], n_ids, names))
        opt = g["opt"]
        smp = opt["sampling"]
        lines.append("  sampling: %s, T=%s, top_k=%d, top_p=%s, min_p=%s, repetition_penalty=%s, seed %d" % (
            str(smp["strategy"]), fmt(float(smp["temperature"])), int(smp["top_k"]), fmt(float(smp["top_p"])),
            fmt(float(smp["min_p"])), fmt(float(smp["repetition_penalty"])), int(opt["seed"])))
        lines.append("  (print g->state: activations and KV cache; print g->sel: the selection table)")
        return "\n".join(lines)


class GPT2Printer:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        m = self.val
        c = m["config"]
        try:
            folder = m["dir"].string()
        except (gdb.error, UnicodeDecodeError):
            folder = "?"
        return ("GPT2 %s: n_layer %d, n_head %d, n_embd %d, vocab_size %d, n_positions %d, %d parameters%s" % (
            '"%s"' % folder if folder else "(in memory)", int(c["n_layer"]), int(c["n_head"]), int(c["n_embd"]),
            int(c["vocab_size"]), int(c["n_positions"]), int(m["n_floats"]), ", tied lm_head" if int(m["tied"]) else ""))


class ParamPrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        p = self.val
        shape = [int(p["shape"][0])] + ([int(p["shape"][1])] if int(p["ndim"]) == 2 else [])
        dtype = weight_dtype(p["dtype"])
        return "Param " + tensor_line(p["name"].string(), p["data"] if dtype == "f32" else p["half"], shape, dtype=dtype)


class MatrixPrinter:
    """A weight matrix of any dtype: its checkpoint name, shape and values (halves widened)."""
    def __init__(self, val):
        self.val = val

    def to_string(self):
        w = self.val
        dtype = weight_dtype(w["dtype"])
        addr = int(w["f32"]) if dtype == "f32" else int(w["half"])
        hit = param_of(addr)
        if hit is None:
            return "Matrix %s at 0x%x" % (dtype, addr)
        return "Matrix " + tensor_line(hit[0], addr, hit[1], dtype=dtype)


class TokenizerPrinter:
    def __init__(self, val):
        self.val = val

    def to_string(self):
        t = self.val
        return "Tokenizer: %d tokens, %d merges, <|endoftext|> id %d" % (
            int(t["vocab_size"]), int(t["n_merges"]), int(t["eot_id"]))


STRUCT_PRINTERS = {
    "RunState": RunStatePrinter, "LayerActs": LayerActsPrinter, "Selection": SelectionPrinter,
    "Generator": GeneratorPrinter, "GPT2": GPT2Printer, "Param": ParamPrinter, "Matrix": MatrixPrinter,
    "Tokenizer": TokenizerPrinter,
}


class ArgenPrinters:
    """One lookup for every argen type (a float * needs the address, not the type name)."""
    name = "argen"
    enabled = True
    subprinters = []

    def __call__(self, val):
        try:
            t = val.type.strip_typedefs()
            if t.code == gdb.TYPE_CODE_STRUCT:
                for name in names_of(val.type):
                    if name in STRUCT_PRINTERS:
                        return STRUCT_PRINTERS[name](val)
                return None
            if t.code == gdb.TYPE_CODE_PTR and t.target().unqualified().strip_typedefs().name == "float":
                addr = int(val)
                if addr == 0:
                    return None
                hit = known_buffers().get(addr)
                if hit:
                    return FloatBufferPrinter(hit[0], addr, hit[1])
        except (gdb.error, gdb.MemoryError, RuntimeError):
            return None
        return None


# ---------------------------------------------------------------------------
# commands

def parse_args(arg):
    return gdb.string_to_argv(arg)


class TopN(gdb.Parameter):
    """Rows of argen's probability and logit tables."""
    set_doc = "Set the rows of argen's probability and logit tables."
    show_doc = "Show the rows of argen's probability and logit tables."

    def __init__(self):
        super().__init__("argen-top-n", gdb.COMMAND_DATA, gdb.PARAM_ZUINTEGER)
        self.value = 10

    def get_set_string(self):
        return ""

    def get_show_string(self, svalue):
        return "argen tables show %s rows" % svalue


class TokensCommand(gdb.Command):
    """argen-tokens EXPR [N]: token ids with their text.  EXPR is an int array or pointer
(default: g->ids of the Generator on the stack, N g->n_ids).  Prints one `index id "text"` per line."""

    def __init__(self):
        super().__init__("argen-tokens", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = parse_args(arg)
        if argv:
            v = gdb.parse_and_eval(argv[0])
            if v.type.strip_typedefs().code == gdb.TYPE_CODE_ARRAY:
                lo, hi = v.type.strip_typedefs().range()
                addr, n = int(v.address), hi - lo + 1
            else:
                addr, n = int(v), 1
            if len(argv) > 1:
                n = int(gdb.parse_and_eval(argv[1]))
        else:
            g = find_generator()
            if g is None:
                raise gdb.GdbError("argen-tokens: give EXPR [N]: no Generator on the stack")
            addr, n = int(g["ids"]), int(g["n_ids"])
        names = TokenNamer()
        for k, i in enumerate(read_ints(addr, n)):
            print("  [%d] %6d %s" % (k, i, names.text(i)))


def find_generator():
    for f in frames():
        for _, v in frame_values(f):
            kind, s = as_struct(v)
            if kind == "Generator":
                return s
    return None


class LogitsCommand(gdb.Command):
    """argen-logits [EXPR [N]]: the N largest of the V logits at EXPR (default: the RunState's logits),
ties toward the lower id as in the trace's steps[i].logits.top."""

    def __init__(self):
        super().__init__("argen-logits", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = parse_args(arg)
        cfg = find_config()
        if cfg is None:
            raise gdb.GdbError("argen-logits: no GPT2 on the stack (argen-model EXPR names one)")
        V = int(cfg["vocab_size"])
        if argv:
            addr = int(gdb.parse_and_eval(argv[0]))
        else:
            states = find_run_states()
            if not states:
                raise gdb.GdbError("argen-logits: give EXPR: no RunState on the stack")
            addr = int(states[0]["logits"])
        n = int(gdb.parse_and_eval(argv[1])) if len(argv) > 1 else top_n_setting()
        logits = read_floats(addr, V)
        names = TokenNamer()
        print("logits [%d]: top %d" % (V, min(n, V)))
        print("  %5s %6s  %-16s %13s" % ("rank", "id", "token", "logit"))
        for r, i in enumerate(rank_order(logits, min(n, V)), start=1):   # rank 1 = the largest logit
            print("  %5d %6d  %-16s %13s" % (r, i, names.text(i), fmt(logits[i])))
        mn, mx, mean, _ = stats(logits)
        print("  min %s max %s mean %s" % (fmt(mn), fmt(mx), fmt(mean)))


class ProbsCommand(gdb.Command):
    """argen-probs [SEL]: the Selection's top-N table (default: the one on the stack), N from `set argen-top-n`."""

    def __init__(self):
        super().__init__("argen-probs", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = parse_args(arg)
        if argv:
            _, sel = as_struct(gdb.parse_and_eval(argv[0]))
        else:
            sel = find_selection()
        if sel is None:
            raise gdb.GdbError("argen-probs: no Selection (give SEL, e.g. g->sel)")
        print(SelectionPrinter(sel).to_string())


class TensorCommand(gdb.Command):
    """argen-tensor EXPR DIM... [--name NAME] [--rows]: the floats at EXPR as a tensor of the given shape.
Each DIM is a gdb expression (argen-tensor out T C inside layernorm).  --rows also prints the
leading values of the first and last rows."""

    def __init__(self):
        super().__init__("argen-tensor", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        argv = parse_args(arg)
        name, rows = None, False
        if "--name" in argv:
            k = argv.index("--name")
            name = argv[k + 1]
            del argv[k:k + 2]
        if "--rows" in argv:
            argv.remove("--rows")
            rows = True
        if len(argv) < 2:
            raise gdb.GdbError("usage: argen-tensor EXPR DIM... [--name NAME] [--rows]")
        v = gdb.parse_and_eval(argv[0])
        addr = int(v.address) if v.type.strip_typedefs().code == gdb.TYPE_CODE_ARRAY else int(v)
        shape = [int(gdb.parse_and_eval(d)) for d in argv[1:]]
        print(tensor_line(name or argv[0], addr, shape))
        if rows and len(shape) >= 2:
            r = numel(shape[:-1])
            for line in row_lines(addr, [r, shape[-1]], sorted({0, 1, r - 1} & set(range(r)))):
                print(line)


class KvCommand(gdb.Command):
    """argen-kv [LAYER]: the KV cache: positions held, and each head's key and value at the newest position."""

    def __init__(self):
        super().__init__("argen-kv", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = parse_args(arg)
        cfg, states = find_config(), find_run_states()
        if cfg is None or not states:
            raise gdb.GdbError("argen-kv: no GPT2 and RunState on the stack")
        s = states[0]
        L, H, C = int(cfg["n_layer"]), int(cfg["n_head"]), int(cfg["n_embd"])
        N, hs, n = int(s["opt"]["n_ctx"]), C // H, int(s["n_cached"])
        print("KV cache: %d of %d positions hold keys and values (layout [layer, head, position, %d])" % (n, N, hs))
        if n == 0:
            return
        layers = [int(gdb.parse_and_eval(argv[0]))] if argv else range(L)
        for l in layers:
            for h in range(H):
                off = 4 * (((l * H + h) * N + (n - 1)) * hs)
                for name in ("key_cache", "value_cache"):
                    vals = read_floats(int(s[name]) + off, min(hs, LEADING))
                    print("  layer %d head %d %-5s @ position %d: {%s%s}" % (
                        l, h, name[:-6], n - 1, ", ".join(fmt(x) for x in vals), ", ..." if hs > LEADING else ""))


class LastCommand(gdb.Command):
    """argen-last: after a forward call, the last position's row of each activation (the row that
predicts the next token), with its name and shape, and the KV cache's fill.  Only what the
forward pass has computed: the logits come later (project_to_logits), the per-head attention
probabilities are left to `print s->layer[0]`."""

    def __init__(self):
        super().__init__("argen-last", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        cfg, states = find_config(), find_run_states()
        if cfg is None or not states:
            raise gdb.GdbError("argen-last: no GPT2 and RunState on the stack")
        s = states[0]
        T, pos = forward_rows(s), int(s["last_pos"])
        print("the forward call took %d token(s) at positions %d..%d; the KV cache now holds %d of %d positions"
              % (T, pos, pos + T - 1, int(s["n_cached"]), int(s["opt"]["n_ctx"])))
        print("row %d of each [T, X] activation (position %d, the last):" % (T - 1, pos + T - 1))
        for name, ptr, shape in state_tensors(s, cfg):
            if len(shape) != 2 or name in ("logits",) or shape[0] != T:
                continue            # logits: not computed yet; caches, att_probs and per-row stats: other views
            if name.startswith("h.") and not (name.startswith("h.*.") or name.startswith("h.%d." % (int(cfg["n_layer"]) - 1))):
                continue            # the last layer's activations only
            cols = shape[1]
            print("  " + tensor_line("%s[%d]" % (name, T - 1), int(ptr) + 4 * (T - 1) * cols, [cols]))
        if not int(s["opt"]["keep_layers"]):
            print("  (h.*.: the buffers every layer reuses, so they hold the last layer, h.%d)"
                  % (int(cfg["n_layer"]) - 1))


class PinCommand(gdb.Command):
    """argen-model EXPR / argen-tokenizer EXPR: use this GPT2 / Tokenizer for shapes and token text
when the stack holds none (a test's frame, a core file)."""

    def __init__(self, name, key, type_name):
        super().__init__(name, gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)
        self.key, self.type_name = key, type_name

    def invoke(self, arg, from_tty):
        kind, s = as_struct(gdb.parse_and_eval(arg))
        if kind == "PromptedModel":
            s, kind = (s["model"], "GPT2") if self.type_name == "GPT2" else (s["tok"], "Tokenizer")
        if kind != self.type_name:
            raise gdb.GdbError("%s: expected a %s or a pointer to one" % (self._name, self.type_name))
        PINNED[self.key] = (gdb.selected_inferior().pid, int(s.address))
        print("argen: using %s at 0x%x" % (self.type_name, int(s.address)))


class TokFunction(gdb.Function):
    """$argen_tok(ID): the text of token ID (from the Tokenizer on the stack, or vocab.json)."""

    def __init__(self):
        super().__init__("argen_tok")

    def invoke(self, i):
        text = TokenNamer().text(int(i))
        return text[1:-1] if text.startswith('"') else text   # gdb adds the quotes


class StageCommand(gdb.Command):
    """argen-stage N TITLE [NOTE]: a banner for the walkthrough."""

    def __init__(self):
        super().__init__("argen-stage", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        argv = parse_args(arg)
        title = "==== stage %s: %s " % (argv[0], argv[1] if len(argv) > 1 else "")
        print("\n" + title + "=" * max(4, 76 - len(title)))
        for note in argv[2:]:
            print("     " + note)


class PauseCommand(gdb.Command):
    """argen-pause: wait for Enter when the walkthrough runs on a terminal
(ARGEN_PAUSE=0 never waits, ARGEN_PAUSE=1 always does)."""

    def __init__(self):
        super().__init__("argen-pause", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        want = os.environ.get("ARGEN_PAUSE")
        if want == "0" or (want != "1" and not os.isatty(0)):
            return
        try:
            input("---- Enter: next stage ----")
        except EOFError:
            pass


# Files that observe a run but compute nothing of it: `step` never enters them.
SKIPPED_FILES = ("src/formats/json.c", "src/trace/trace.c", "src/cli/observe.c")


def skip_observers():
    known = gdb.execute("info skip", to_string=True)
    for f in SKIPPED_FILES:
        if f not in known:   # sourcing the script twice adds nothing
            gdb.execute("skip file " + f, to_string=True)


def register(objfile=None):
    skip_observers()
    TopN()
    TokensCommand()
    LogitsCommand()
    ProbsCommand()
    TensorCommand()
    KvCommand()
    LastCommand()
    p = PinCommand("argen-model", "model", "GPT2")
    p._name = "argen-model"
    p = PinCommand("argen-tokenizer", "tokenizer", "Tokenizer")
    p._name = "argen-tokenizer"
    TokFunction()
    StageCommand()
    PauseCommand()
    gdb.printing.register_pretty_printer(objfile, ArgenPrinters(), replace=True)


register(gdb.current_objfile())
