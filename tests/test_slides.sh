#!/bin/sh
# argen render --slide on the example traces: every picture fits 1920x1080
# (the PNG header's size), the kinds with a slide layout of their own are
# laid out at 1:1 (Graphviz's bounding box within 1440 x 810 points) with no
# font below 18 pt; --step branch picks a step above 1 bit of entropy; the
# greedy diagrams hold no top-k and no draw; a probability just under 1 is
# never printed as 100 %; compare marks divergence only on the strategies
# that diverged, and aligns by text (a word split into three tokens is not a
# difference); --step all writes one file per step, a GIF and a PDF with a
# page per step; --top beyond the rows of the trace is refused.
BUILD=${BUILD:-build}
ARGEN="$BUILD/argen"
PY=/usr/bin/python3
EX=traces/examples
T=$(mktemp -d /tmp/argen_test_slides.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
command -v dot >/dev/null 2>&1 || { bad "Graphviz dot is not installed (make test installs it)"; exit 1; }

png_size() { $PY -c 'import struct,sys; b=open(sys.argv[1],"rb").read(24); assert b[:8]==b"\x89PNG\r\n\x1a\n"; print(*struct.unpack(">II", b[16:24]))' "$1"; }
# The layout's bounding box in points, before any scaling to the page.
bbox() { dot -Txdot "$1" | $PY -c 'import re,sys; m=re.search(r"bb=\"0,0,([0-9.]+),([0-9.]+)\"", sys.stdin.read()); print(m.group(1), m.group(2))'; }
# The smallest font a DOT file asks for (fontsize= and POINT-SIZE=).
min_font() { grep -o 'fontsize=[0-9]*\|POINT-SIZE=\\\?"[0-9]*' "$1" | grep -o '[0-9]*$' | sort -n | head -1; }

for name in greedy-summary top-k-summary top-p-summary full-2-tokens beam-summary compare; do
    "$ARGEN" render "$EX/$name.json" --slide --out "$T/$name" >"$T/list" 2>"$T/err" || { bad "render --slide $name: $(cat "$T/err")"; continue; }
    for png in $(cat "$T/list"); do
        set -- $(png_size "$png")
        [ "$1" -le 1920 ] && [ "$2" -le 1080 ] && ok "$name $(basename "$png"): $1x$2 fits 1920x1080" \
            || bad "$name $(basename "$png"): $1x$2 does not fit 1920x1080"
        d="${png%.png}.dot"
        case $(basename "$d") in
        step-*|probs-*|attention-*|heatmap-*|tree.dot)
            [ "$name" = beam-summary ] && continue   # the beam tree is still scaled down to fit
            f=$(min_font "$d")
            [ "$f" -ge 18 ] && ok "$name $(basename "$d"): smallest font $f pt" || bad "$name $(basename "$d"): a font of $f pt"
            set -- $(bbox "$d")
            $PY -c "import sys; sys.exit(0 if $1 <= 1440 and $2 <= 810 else 1)" \
                && ok "$name $(basename "$d"): laid out at 1:1 ($1 x $2 pt)" || bad "$name $(basename "$d"): $1 x $2 pt is scaled down" ;;
        esac
    done
done

# --step branch (the default) picks a step whose entropy is above 1 bit.
for name in greedy-summary top-k-summary top-p-summary; do
    "$ARGEN" render "$EX/$name.json" --slide --kind step --step branch --out "$T/b-$name" >"$T/list" 2>&1
    n=$(sed -n 's/.*step-\([0-9]*\)\.png$/\1/p' "$T/list")
    bits=$($PY -c "import json,sys; print(json.load(open('$EX/$name.json'))['steps'][int(sys.argv[1])]['selection']['entropy_bits'])" "${n:-0}")
    $PY -c "import sys; sys.exit(0 if $bits > 1 else 1)" && ok "--step branch on $name: step $n, $bits bits" \
        || bad "--step branch on $name: step $n has $bits bits"
    "$ARGEN" render "$EX/$name.json" --kind step --out "$T/d-$name" >"$T/list2" 2>&1
    [ "$(basename "$(cat "$T/list2")")" = "step-$n.png" ] && ok "the default step of $name is the branch step" \
        || bad "the default step of $name: $(cat "$T/list2")"
done

# Greedy: no top-k, no draw, no slice, in every layout.
"$ARGEN" render "$EX/greedy-summary.json" --slide --kind probs --step 3 --out "$T/gs" >/dev/null 2>&1
"$ARGEN" render "$EX/greedy-summary.json" --slide --kind step --step 3 --out "$T/gs" >/dev/null 2>&1
"$ARGEN" render "$EX/greedy-summary.json" --kind probs --step 3 --out "$T/gd" >/dev/null 2>&1
"$ARGEN" render "$EX/greedy-summary.json" --kind step --step 3 --out "$T/gd" >/dev/null 2>&1
for d in "$T/gs/probs-3.dot" "$T/gs/step-3.dot" "$T/gd/probs-3.dot" "$T/gd/step-3.dot"; do
    if [ ! -f "$d" ]; then bad "greedy: $d not written"
    elif grep -q 'top-k\|draw u\|u = \|slice\|cut by' "$d"; then bad "greedy $(basename "$d"): $(grep -o 'top-k\|draw u\|u = \|slice\|cut by' "$d" | head -1)"
    else grep -q 'argmax' "$d" && ok "greedy $d: argmax, no top-k, no draw" || bad "greedy $d: no argmax"; fi
done
# A top-k run keeps its draw (the test above can fail).
"$ARGEN" render "$EX/top-k-summary.json" --slide --kind step --step 3 --out "$T/ks" >/dev/null 2>&1
grep -q 'u = ' "$T/ks/step-3.dot" && ok "top-k slide shows its draw" || bad "top-k slide shows no draw"

# Step 0 of the greedy example has p = 0.99982: never "100 %".
"$ARGEN" render "$EX/greedy-summary.json" --slide --kind probs --step 0 --out "$T/g0" >/dev/null 2>&1
grep -q '>100 %' "$T/g0/probs-0.dot" && bad "p = 0.99982 printed as 100 %" || ok "p = 0.99982 is not 100 %"
grep -q '99.98 %' "$T/g0/probs-0.dot" && ok "p = 0.99982 printed as 99.98 %" || bad "p = 0.99982 not printed as 99.98 %"

# Compare: which chains leave greedy's text, computed here from the JSON's token texts at byte offsets.
"$ARGEN" render "$EX/compare.json" --kind compare --out "$T/cmp" >/dev/null 2>&1
expect=$($PY - "$EX/compare.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
cols = d["strategies"]
def texts(c):
    return [t["token"] for t in c["steps"]]
ref = "".join(texts(cols[0]))
n = 0
for c in cols[1:]:
    at = 0
    for t in texts(c):
        if ref[at:at + len(t)] != t: n += 1; break
        at += len(t)
print(n)
EOF
)
got=$(grep -c 'class="diverge"' "$T/cmp/compare.dot")
[ "$got" = "$expect" ] && ok "compare: $got diverge arrows, one per chain that leaves greedy" || bad "compare: $got diverge arrows, expected $expect"
grep -q 'h0 -> c0_0 \[color="#D55E00"\|c0_[0-9]* -> c0_[0-9]* \[color="#D55E00"' "$T/cmp/compare.dot" && bad "compare: greedy's own chain marked" || ok "compare: greedy's chain not marked"

# Compare alignment: a second chain that splits one of greedy's tokens into three pieces has the same text.
$PY - "$EX/compare.json" "$T/split.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
g = d["strategies"][0]
c = json.loads(json.dumps(g))
c["name"] = "split"
steps = []
for i, t in enumerate(g["steps"]):
    s = t["token"]
    if i == 3 and len(s) >= 3:   # " little" -> " ", "l", "ittle"
        steps += [dict(t, token=piece) for piece in (s[:1], s[1:2], s[2:])]
    else:
        steps.append(t)
c["steps"] = steps
c["tokens"] = [t["token"] for t in steps]
d["strategies"] = [g, c]
json.dump(d, open(sys.argv[2], "w"))
EOF
if "$ARGEN" render "$T/split.json" --kind compare --out "$T/split" >/dev/null 2>"$T/err"; then
    grep -q 'class="diverge"' "$T/split/compare.dot" && bad "compare: a split word is flagged as a divergence" \
        || ok "compare: a word split into three tokens is the same text"
    grep -q 'c1_[0-9]* \[.*color="#D55E00"' "$T/split/compare.dot" && bad "compare: a split token is outlined" || ok "compare: no split token outlined"
else
    bad "compare split file refused: $(cat "$T/err")"
fi

# --step all: a file per step, the run as a GIF and a PDF with one page per step.
if command -v gifsicle >/dev/null 2>&1 && command -v qpdf >/dev/null 2>&1; then
    "$ARGEN" render "$EX/top-k-summary.json" --slide --kind step --step all --out "$T/all" >"$T/list" 2>"$T/err" || bad "--step all: $(cat "$T/err")"
    steps=$($PY -c "import json; print(len(json.load(open('$EX/top-k-summary.json'))['steps']))")
    [ "$(ls "$T/all"/step-*.png | wc -l)" = "$steps" ] && ok "--step all: $steps step pictures" || bad "--step all: $(ls "$T/all")"
    [ "$(head -c 6 "$T/all/step-all.gif")" = "GIF89a" ] && ok "--step all: an animated GIF" || bad "--step all: no GIF"
    frames=$(gifsicle --info "$T/all/step-all.gif" 2>/dev/null | sed -n 's/.* \([0-9]*\) images.*/\1/p')
    [ "$frames" = "$steps" ] && ok "--step all: the GIF has $frames frames" || bad "--step all: the GIF has '$frames' frames, expected $steps"
    pages=$(qpdf --show-npages "$T/all/step-all.pdf" 2>/dev/null)
    [ "$pages" = "$steps" ] && ok "--step all: the PDF has $pages pages" || bad "--step all: the PDF has '$pages' pages, expected $steps"
    ls "$T/all" | grep -q '\.gif$' && [ "$(ls "$T/all" | grep -c '\.gif$')" = 1 ] && ok "--step all: frame GIFs cleaned up" || bad "--step all: $(ls "$T/all" | grep gif)"
else
    bad "gifsicle and qpdf are not installed (make test installs them)"
fi

# --step ranges and refusals.
"$ARGEN" render "$EX/top-k-summary.json" --kind probs --step 2..4 --out "$T/range" >"$T/list" 2>&1
[ "$(wc -l <"$T/list")" = 3 ] && ok "--step 2..4: three pictures" || bad "--step 2..4: $(cat "$T/list")"
for bad_step in 4..2 9 x 1..x; do
    "$ARGEN" render "$EX/top-k-summary.json" --kind probs --step "$bad_step" --out "$T/bad" >/dev/null 2>"$T/err"
    rc=$?
    [ $rc = 2 ] && grep -q "^argen render: --step: expected" "$T/err" && ok "--step $bad_step refused" || bad "--step $bad_step: exit $rc, $(cat "$T/err")"
done
"$ARGEN" render "$EX/greedy-summary.json" --kind probs --top 12 --out "$T/bad" >/dev/null 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q "^argen render: --top: this trace holds 8 rows" "$T/err" && ok "--top 12 on an 8-row trace refused" || bad "--top 12: exit $rc, $(cat "$T/err")"
"$ARGEN" render "$EX/full-2-tokens.json" --slide --kind attention --head best --out "$T/best" >"$T/list" 2>&1 \
    && ok "--head best: $(basename "$(cat "$T/list")")" || bad "--head best: $(cat "$T/list")"

# Every figure docs/diagrams.md shows is one the build redraws: docs/img/slides/ from
# `make diagrams`, the others copied by traces/examples/make-examples.sh.
for img in $(grep -o '](img/[^)]*\.png)' docs/diagrams.md | sed 's/^](img\///; s/)$//'); do
    [ -f "docs/img/$img" ] || { bad "docs/diagrams.md shows img/$img, which does not exist"; continue; }
    case $img in
    slides/*) ok "docs: img/$img is drawn by make diagrams" ;;
    *) grep -q "\$IMG/$img" traces/examples/make-examples.sh && ok "docs: img/$img is redrawn by make-examples.sh" \
           || bad "docs: img/$img is shown but nothing regenerates it" ;;
    esac
done

exit $fail
