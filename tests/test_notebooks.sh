#!/bin/sh
# The notebooks: writes fresh traces with the built argen into a
# temporary folder, then executes every notebook in notebooks/ from a clean
# kernel (nbclient, /usr/bin/python3) against them; any cell error fails.
# The notebooks assert argen's numbers against numpy as they go (softmax,
# top-k/top-p sets, entropy, KL, attention rows), so a wrong trace fails too.
# Also: the committed notebooks' cells match tools/make_notebooks.py, figures
# can be saved as PNG, SVG and PDF, and the loader refuses malformed
# files with a message naming the file and the JSON path.
# Model: data/tiny when it is there, else a small random one made here.
set -u
BUILD=${BUILD:-build}
ARGEN=$BUILD/argen
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0
fail() { echo "FAIL: $*"; failed=1; }

if ! $PY -c 'import numpy, matplotlib, jsonschema, nbformat, nbclient, ipykernel' 2>/dev/null; then
    echo "FAIL: /usr/bin/python3 lacks numpy/matplotlib/jsonschema/nbformat/nbclient/ipykernel (sh tests/install-deps.sh)"
    exit 1
fi

model=data/tiny
if [ ! -f "$model/config.json" ] || [ ! -f "$model/vocab.json" ]; then
    model=$tmp/model
    "$ARGEN" corpus --out "$tmp/stories.txt" --bytes 200000 --seed 1 >/dev/null 2>&1 &&
    "$ARGEN" train-tokenizer --data "$tmp/stories.txt" --vocab-size 512 --out "$tmp/tok" >/dev/null 2>&1 &&
    "$ARGEN" init --out "$model" --layers 2 --heads 2 --embd 32 --positions 256 --vocab 512 --seed 1 \
        --tokenizer "$tmp/tok" >/dev/null 2>&1 || { echo "FAIL: could not make a random model"; exit 1; }
fi
echo "model: $model"

if ! ARGEN=$ARGEN sh notebooks/make_traces.sh "$model" "$tmp/traces"; then
    echo "FAIL: notebooks/make_traces.sh"
    exit 1
fi

$PY tools/make_notebooks.py --check || fail "committed notebooks differ from tools/make_notebooks.py"

# Every notebook, from a clean kernel; outputs are not written back.
if ! ARGEN_TRACES=$tmp/traces $PY tools/make_notebooks.py --run --timeout 120 2>"$tmp/run.err"; then
    grep -v "Debugger warning\|frozen modules\|PYDEVD\|Debugging will proceed" "$tmp/run.err"
    fail "a notebook cell raised"
fi
# Reproducible outputs: notebook 01 executed in place twice (in a copy) gives the same
# bytes, and, with data/tiny, the committed notebook's bytes (so `make notebooks` leaves
# the tree clean); its inline figures are PNGs of at least 150 dpi.
mkdir -p "$tmp/nb1" "$tmp/nb2"
cp traces/schema.json "$tmp/traces/"   # the loader reads ../traces/schema.json beside the notebook
for d in "$tmp/nb1" "$tmp/nb2"; do
    cp notebooks/01_one_step.ipynb notebooks/argen_trace.py "$d/"
    ARGEN_TRACES=$tmp/traces $PY tools/make_notebooks.py --run --in-place "$d/01_one_step.ipynb" >/dev/null 2>"$tmp/run.err" ||
        fail "01_one_step.ipynb in $d: $(tail -3 "$tmp/run.err")"
done
cmp -s "$tmp/nb1/01_one_step.ipynb" "$tmp/nb2/01_one_step.ipynb" && echo "ok: notebook 01 run twice gives the same bytes" ||
    fail "notebook 01 run twice differs"
if [ "$model" = data/tiny ]; then
    cmp -s "$tmp/nb1/01_one_step.ipynb" notebooks/01_one_step.ipynb && echo "ok: notebook 01 re-run equals the committed one" ||
        fail "notebook 01 re-run differs from the committed one (make notebooks, then commit)"
fi
$PY - "$tmp/nb1/01_one_step.ipynb" <<'EOF' || fail "inline figures below 150 dpi"
import base64, json, struct, sys
dpis = []
for c in json.load(open(sys.argv[1]))["cells"]:
    for o in c.get("outputs", []):
        png = o.get("data", {}).get("image/png")
        if png:
            b = base64.b64decode(png)
            i = b.find(b"pHYs")            # pixels per metre, x then y
            dpis.append(round(struct.unpack(">I", b[i + 4:i + 8])[0] * 0.0254) if i > 0 else 0)
print("inline figure dpi:", dpis)
sys.exit(0 if dpis and min(dpis) >= 150 else 1)
EOF

# Saving figures for slides (one notebook: vector formats are slow to write).
if ARGEN_TRACES=$tmp/traces ARGEN_SAVE_DIR=$tmp/figures ARGEN_SAVE_FORMATS=png,svg,pdf \
        $PY tools/make_notebooks.py --run notebooks/05_learned_vs_true.ipynb >/dev/null 2>"$tmp/run.err"; then
    for f in 05_learned_vs_true.png 05_learned_vs_true.svg 05_learned_vs_true.pdf 05_kl_ranking.pdf; do
        [ -s "$tmp/figures/$f" ] || fail "figure $f not saved"
    done
    head -c 4 "$tmp/figures/05_kl_ranking.pdf" | grep -q "%PDF" || fail "05_kl_ranking.pdf is not a PDF"
    grep -q "CreationDate" "$tmp/figures/05_kl_ranking.pdf" && fail "a saved PDF carries a creation date"
    grep -q "<dc:date>" "$tmp/figures/05_learned_vs_true.svg" && fail "a saved SVG carries a date"
else
    cat "$tmp/run.err"
    fail "saving figures"
fi

# The loader refuses malformed files, naming the file and the JSON path.
if ! ARGEN_TRACES=$tmp/traces $PY - <<'EOF'
import copy, json, os, sys
sys.path.insert(0, "notebooks")
import argen_trace as at

traces = os.environ["ARGEN_TRACES"]
good = at.load_trace(os.path.join(traces, "step-full.json"))
cmp = at.load_compare(os.path.join(traces, "compare.json"))
bad = os.path.join(traces, "bad.json")
failures = 0

def refuses(doc, loader, expected, raw=None):
    global failures
    with open(bad, "w") as f:
        f.write(raw if raw is not None else json.dumps(doc))
    try:
        loader(bad)
    except at.TraceError as e:
        msg = str(e)
        if bad in msg and all(x in msg for x in expected):
            print("refused:", msg.replace("\n", " "))
            return
        print("FAIL: message %r lacks %r" % (msg, expected))
    else:
        print("FAIL: accepted a malformed file, expected", expected)
    failures += 1

d = copy.deepcopy(good); d["steps"][0]["selection"]["entropy_bits"] = "high"
refuses(d, at.load_trace, ["$.steps[0].selection.entropy_bits", "'high' is not of type 'number'"])
d = copy.deepcopy(good); del d["steps"]
refuses(d, at.load_trace, ["at $:", "'steps' is a required property"])
d = copy.deepcopy(good); d["steps"][1]["forward"]["layers"][0]["attention"][0][0].pop()
refuses(d, at.load_trace, ["$.steps[1].forward.layers[0].attention[0][0]", "key_count"])
d = copy.deepcopy(good); d["steps"][2]["selection"]["table"][0]["cut_by"] = "top-q"
refuses(d, at.load_trace, ["$.steps[2].selection.table[0].cut_by"])
d = copy.deepcopy(good); d["steps"][3]["forward"]["layers"][0]["tensors"]["qkv"]["data"][5] = "x"
refuses(d, at.load_trace, ["$.steps[3].forward.layers[0].tensors.qkv.data[5]", "not a number"])
d = copy.deepcopy(good); d["steps"][0]["forward"]["tensors"]["embed"]["data"].pop()
refuses(d, at.load_trace, ["$.steps[0].forward.tensors.embed.data", "shape"])
d = copy.deepcopy(good); d["version"] = 1
refuses(d, at.load_trace, ["$.version", "expected 2", "ranks from 0"])
d = copy.deepcopy(good); d["steps"][0]["selection"]["table"][0]["rank"] = 0
refuses(d, at.load_trace, ["$.steps[0].selection.table[0].rank", "minimum of 1"])
d = copy.deepcopy(good); d["format"] = "argen-compare"
refuses(d, at.load_trace, ["$.format"])
refuses(None, at.load_trace, ["not JSON"], raw='{"format": "argen-trace", ')
c = copy.deepcopy(cmp); del c["strategies"][1]["loop"]
refuses(c, at.load_compare, ["$.strategies[1]", "'loop'"])
c = copy.deepcopy(cmp); c["strategies"][0]["steps"][3]["probability"] = None
refuses(c, at.load_compare, ["$.strategies[0].steps[3].probability"])
refuses({"branch_points": [{"name": "a", "context": "x", "kl": 0, "options": [{"word": "w", "true": 1.5, "learned": 1}]}]},
        at.load_branch_eval, ["$.branch_points[0].options[0].true", "not a probability"])
sys.exit(1 if failures else 0)
EOF
then
    fail "the loader accepted a malformed file or gave an unclear message"
fi

[ "$failed" -eq 0 ] && echo "notebooks: all ran, loader checks passed"
exit "$failed"
