"""Read argen's JSON output for the notebooks: traces, compare tables, branch evaluations.

Every loader checks its file before handing it over and raises TraceError with
a message that names the file and the JSON path of the first problem, e.g.

    build/notebook-traces/step-full.json: not a valid argen trace (traces/schema.json):
    at $.steps[0].selection.entropy_bits: 'high' is not of type 'number'

Traces are checked against traces/schema.json (python3-jsonschema); the other
files, which have no schema, by the small checks below.  The helpers turn the
JSON into numpy arrays with the layouts the schema documents: attention is
[layer][head][query][key] with masked keys (after the query) as NaN.  Ranks
count from 1 (rank 1 = the most likely token) and entropies are shown in bits,
as everywhere in argen; a version 1 trace (ranks from 0) is refused.
"""

import json
import math
import os
import stat

import numpy as np

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "traces", "schema.json")

# Okabe & Ito's palette: told apart with every common colour-vision deficiency.
COLORS = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
    "grey": "#999999",
}
CYCLE = [COLORS[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]


class TraceError(ValueError):
    """A file that is not what its loader expects; the message names the file and JSON path."""


# ---- JSON paths and reading ----

def json_path(parts):
    """['steps', 0, 'selection'] -> '$.steps[0].selection' (the path a reader can follow)."""
    out = "$"
    for p in parts:
        out += "[%d]" % p if isinstance(p, int) else "." + str(p)
    return out


# The limits of argen's own reader (src/formats/json.h JSON_MAX_DEPTH, src/trace/trace_read.c
# TRACE_MAX_BYTES): a file argen refuses is refused here too, with a TraceError
# instead of a RecursionError or a machine out of memory.
MAX_DEPTH = 256
MAX_BYTES = 256 << 20


def _refuse_constant(name):
    raise ValueError("%s is not JSON (argen writes NaN and infinity as null)" % name)


def _depth_at_most(value, limit):
    """True when value nests at most limit arrays/objects deep (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (list, dict)):
            if d > limit:
                return False
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return True


def _read_json(path, what):
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise TraceError("%s: cannot read %s: not a regular file" % (path, what))
            if st.st_size > MAX_BYTES:
                raise TraceError("%s: cannot read %s: %d bytes, at most %d MiB" % (path, what, st.st_size, MAX_BYTES >> 20))
            text = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise TraceError("%s: cannot read %s: %s" % (path, what, e.strerror)) from None
    try:
        doc = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        doc = None
    except ValueError as e:
        raise TraceError("%s: not JSON (%s): %s" % (path, what, e)) from None
    if doc is None and text.strip() != b"null" or not _depth_at_most(doc, MAX_DEPTH):
        raise TraceError("%s: not a valid %s: JSON nested deeper than %d levels" % (path, what, MAX_DEPTH))
    return doc


def _fail(path, what, parts, message):
    raise TraceError("%s: not a valid %s: at %s: %s" % (path, what, json_path(parts), message))


def _require(path, what, doc, parts, key, types):
    """doc[key] must exist and be one of types; returns it."""
    if not isinstance(doc, dict):
        _fail(path, what, parts, "expected an object")
    if key not in doc:
        _fail(path, what, parts, "missing required key %r" % key)
    value = doc[key]
    if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
        names = {str: "a string", int: "an integer", float: "a number", list: "an array", dict: "an object", type(None): "null"}
        _fail(path, what, parts + [key], "%s is not %s" % (json.dumps(value), " or ".join(names.get(t, t.__name__) for t in types)))
    return value


# ---- traces (argen generate --trace) ----

def _schema_validator():
    import jsonschema
    with open(SCHEMA_PATH, "rb") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _check_attention(path, doc):
    """What the schema cannot say: every step's attention rows fit its query and key counts."""
    for s, step in enumerate(doc.get("steps", [])):   # score documents have no steps
        fwd = step.get("forward")
        if not isinstance(fwd, dict) or "query_positions" not in fwd:
            continue
        n_q, n_k = len(fwd["query_positions"]), fwd["key_count"]
        for layer_index, layer in enumerate(fwd["layers"]):
            for h, head in enumerate(layer["attention"]):
                where = ["steps", s, "forward", "layers", layer_index, "attention", h]
                if len(head) != n_q:
                    _fail(path, "argen trace", where, "%d query rows, query_positions has %d" % (len(head), n_q))
                for q, row in enumerate(head):
                    if len(row) != n_k:
                        _fail(path, "argen trace", where + [q], "%d keys, key_count is %d" % (len(row), n_k))


def _check_numbers(path, values, parts):
    """Every item a number or null (what the schema's number_or_masked says), fast."""
    for i, v in enumerate(values):
        if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool)):
            _fail(path, "argen trace", parts + [i], "%s is not a number or null" % json.dumps(v))


def _thin_step(path, step, s):
    """A copy of one full-level step whose long number arrays (tensors' data, logits.all)
    are checked here and cut to one item: jsonschema walks them a hundred times slower."""
    if not isinstance(step, dict):
        return step
    step = dict(step)

    def thin_tensors(owner, where):
        tensors = owner.get("tensors") if isinstance(owner, dict) else None
        if not isinstance(tensors, dict):
            return owner
        owner = dict(owner)
        owner["tensors"] = {}
        for name, t in tensors.items():
            if isinstance(t, dict) and isinstance(t.get("data"), list):
                _check_numbers(path, t["data"], where + ["tensors", name, "data"])
                shape = t.get("shape")
                if (isinstance(shape, list) and len(shape) == 2 and all(isinstance(n, int) for n in shape)
                        and shape[0] * shape[1] != len(t["data"])):
                    _fail(path, "argen trace", where + ["tensors", name, "data"],
                          "%d numbers, shape %s needs %d" % (len(t["data"]), shape, shape[0] * shape[1]))
                t = dict(t, data=t["data"][:1])
            owner["tensors"][name] = t
        return owner

    fwd = step.get("forward")
    if isinstance(fwd, dict):
        fwd = thin_tensors(fwd, ["steps", s, "forward"])
        if isinstance(fwd.get("layers"), list):
            fwd = dict(fwd)
            fwd["layers"] = [thin_tensors(layer, ["steps", s, "forward", "layers", i])
                             for i, layer in enumerate(fwd["layers"])]
        step["forward"] = fwd
    logits = step.get("logits")
    if isinstance(logits, dict) and isinstance(logits.get("all"), list):
        _check_numbers(path, logits["all"], ["steps", s, "logits", "all"])
        step["logits"] = dict(logits, all=logits["all"][:1])
    return step


def load_trace(path):
    """Read and check one `argen generate --trace` file; returns the parsed dict.

    Raises TraceError naming the JSON path of the first problem."""
    doc = _read_json(path, "argen trace")
    if isinstance(doc, dict) and doc.get("format") == "argen-trace" and doc.get("version") == 1:
        # version 1 counted generate ranks from 0: refused, never read one off
        raise TraceError("%s: at $.version: expected 2 (a version 1 trace counts ranks from 0; "
                         "trace the run again with this argen)" % path)
    import jsonschema
    thin = doc
    if isinstance(doc, dict) and isinstance(doc.get("steps"), list):
        thin = dict(doc, steps=[_thin_step(path, st, s) for s, st in enumerate(doc["steps"])])
    errors = list(_schema_validator().iter_errors(thin))
    if errors:
        # best_match picks the most specific error (deepest path, not a oneOf summary).
        e = jsonschema.exceptions.best_match(errors)
        message = e.message if len(e.message) < 200 else e.message[:200] + "..."
        if e.instance is None and e.validator == "type" and "number" in str(e.validator_value):
            message += " (argen writes NaN and infinity as null: the run produced a non-finite value here)"
        raise TraceError("%s: not a valid argen trace (traces/schema.json): at %s: %s"
                         % (path, json_path(list(e.absolute_path)), message))
    _check_attention(path, doc)
    return doc


def steps(trace):
    """The sampling steps of a trace (beam search and Jacobi traces have other kinds of step)."""
    return [s for s in trace.get("steps", []) if "selection" in s]


def pick_step(trace, index=None):
    """steps(trace)[index]; index None: the step with the most entropy (the most to see)."""
    all_steps = steps(trace)
    if not all_steps:
        raise TraceError("trace has no sampling steps (beam search, or --max-new-tokens 0)")
    if index is None:
        return max(all_steps, key=lambda s: s["selection"]["entropy_bits"])
    if not 0 <= index < len(all_steps):
        raise TraceError("step %d out of range: the trace has steps 0..%d" % (index, len(all_steps) - 1))
    return all_steps[index]


def to_array(values):
    """JSON numbers with null (masked or non-finite) -> float64 array with NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def logits_all(step):
    """The whole raw logit vector [vocab_size] of a full trace's step."""
    if "all" not in step["logits"]:
        raise TraceError("step %d has no logits.all: write the trace with --trace-level full" % step["step"])
    return to_array(step["logits"]["all"])


def table(step, column):
    """One column of the step's selection table, rank order, as a numpy array (or list)."""
    rows = step["selection"]["table"]
    values = [r[column] for r in rows]
    if values and isinstance(values[0], (int, float)) and not isinstance(values[0], bool):
        return np.array(values, dtype=np.float64)
    return values


def attention(step, layer, head):
    """[query, key] of one layer and head in one step; masked keys are NaN."""
    rows = step["forward"]["layers"][layer]["attention"][head]
    return np.array([to_array(r) for r in rows])


def attention_matrix(trace, layer, head):
    """The whole causal attention matrix [T, T] of one layer and head, T = every position
    that was ever a query, assembled from each step's rows (each row is computed once:
    with the KV cache, step s adds the row of its last position).  Upper triangle NaN;
    rows a summary trace did not record (the prompt's earlier positions) are NaN too."""
    all_steps = steps(trace)
    if not all_steps:
        raise TraceError("trace has no sampling steps")
    size = all_steps[-1]["position"]
    out = np.full((size, size), np.nan)
    for s in all_steps:
        fwd = s["forward"]
        rows = attention(s, layer, head)
        for i, q in enumerate(fwd["query_positions"]):
            out[q, :fwd["key_count"]] = rows[i]
    return out


def config(trace):
    return trace["model"]["config"]


# ---- argen compare --json ----

def load_compare(path):
    """Read and check an `argen compare --json` file (format argen-compare, version 1)."""
    what = "argen compare file"
    doc = _read_json(path, what)
    if not isinstance(doc, dict) or doc.get("format") != "argen-compare":
        _fail(path, what, ["format"], "expected \"argen-compare\"")
    columns = _require(path, what, doc, [], "strategies", (list,))
    for c, col in enumerate(columns):
        where = ["strategies", c]
        _require(path, what, col, where, "name", (str,))
        loop = _require(path, what, col, where, "loop", (dict, type(None)))
        if loop is not None:
            _require(path, what, loop, where + ["loop"], "start_step", (int,))
            _require(path, what, loop, where + ["loop"], "length", (int,))
        for s, st in enumerate(_require(path, what, col, where, "steps", (list,))):
            _require(path, what, st, where + ["steps", s], "id", (int,))
            _require(path, what, st, where + ["steps", s], "token", (str, type(None)))
            _require(path, what, st, where + ["steps", s], "probability", (int, float))
    return doc


# ---- argen corpus --evaluate --json ----

def load_branch_eval(path):
    """Read and check `argen corpus --evaluate --json`: per branch point the true and learned
    next-word probabilities and KL(true || learned) in nats."""
    what = "argen corpus --evaluate file"
    doc = _read_json(path, what)
    points = _require(path, what, doc, [], "branch_points", (list,))
    for b, bp in enumerate(points):
        where = ["branch_points", b]
        _require(path, what, bp, where, "name", (str,))
        _require(path, what, bp, where, "context", (str,))
        _require(path, what, bp, where, "kl", (int, float))
        for o, opt in enumerate(_require(path, what, bp, where, "options", (list,))):
            _require(path, what, opt, where + ["options", o], "word", (str,))
            for key in ("true", "learned"):
                v = _require(path, what, opt, where + ["options", o], key, (int, float))
                if not 0 <= v <= 1:
                    _fail(path, what, where + ["options", o, key], "%r is not a probability" % v)
    return doc


# ---- argen logits --all-positions ----

def load_logits(path):
    """Read `argen logits --all-positions`: ids [T] and logits [T, vocab] (row t predicts t+1)."""
    what = "argen logits file"
    doc = _read_json(path, what)
    ids = _require(path, what, doc, [], "ids", (list,))
    rows = _require(path, what, doc, [], "logits", (list,))
    if len(rows) != len(ids) or not all(isinstance(r, list) for r in rows):
        _fail(path, what, ["logits"], "expected one row per id (run with --all-positions)")
    return np.array(ids), np.array([to_array(r) for r in rows])


# ---- the maths the notebooks redo in numpy, to check argen against ----

def softmax(logits, temperature=1.0):
    """softmax(logits / T) over the whole vector, stable (subtract the max first)."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - np.nanmax(z)
    e = np.exp(z)
    return e / e.sum()


def log_softmax(logits):
    z = np.asarray(logits, dtype=np.float64)
    z = z - np.max(z, axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def entropy_bits(p):
    p = np.asarray(p, dtype=np.float64)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def nucleus_size(p, top_p):
    """Fewest most-likely tokens whose mass reaches top_p (ties by token id, as argen sorts)."""
    order = np.lexsort((np.arange(len(p)), -np.asarray(p)))
    cumulative = np.cumsum(np.asarray(p)[order])
    return int(min(np.searchsorted(cumulative, top_p - 1e-12) + 1, len(p)))


def kl_nats(p, q):
    """KL(p || q) in nats over the options where p > 0."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    m = p > 0
    return float((p[m] * np.log(p[m] / q[m])).sum())


# ---- display ----

def label(token, token_id=None):
    """A token as a plot label: a leading space shown as '␣', newlines as '\\n'."""
    if token is None:
        return "<%s>" % token_id
    return token.replace(" ", "\u2423").replace("\n", "\\n")


def save(fig, name, save_dir, formats=("png",), dpi=150):
    """Write fig as save_dir/name.FMT for each format (png, svg, pdf); nothing when save_dir is empty."""
    if not save_dir:
        return []
    os.makedirs(save_dir, exist_ok=True)
    written = []
    for fmt in formats:
        fmt = fmt.strip().lower()
        if fmt not in ("png", "svg", "pdf"):
            raise ValueError("figure format %r: use png, svg or pdf" % fmt)
        out = os.path.join(save_dir, "%s.%s" % (name, fmt))
        # no creation date, so the same figure gives the same bytes (svg.hashsalt fixes SVG ids)
        meta = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}.get(fmt, {})
        fig.savefig(out, dpi=dpi, bbox_inches="tight", metadata=meta)
        written.append(out)
    return written


def finite(x):
    return x is not None and math.isfinite(x)
