#!/bin/sh
# argen render --slide on the example traces: every picture fits 1920x1080
# (the PNG header's size), every slide is laid out at 1:1 (Graphviz's bounding
# box within 1440 x 810 points, and the DOT drawn without its size= bound
# still fits 1920x1080 at 96 dpi) with no font below 18 pt; the wrapped
# compare, beam, score and Jacobi slides hold what they should (every token
# of a 60-token compare, the hidden-candidate counts of the beam tree, ranks,
# pass counts); --step branch picks a step above 1 bit of entropy; the
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
# The smallest font a DOT file asks for (fontsize= and POINT-SIZE=), leaving
# out a spacer: a small font that holds one space, for air between two lines.
min_font() { sed 's|<FONT POINT-SIZE=\\\?"[0-9]*\\\?"> </FONT>||g' "$1" |
             grep -o 'fontsize=[0-9]*\|POINT-SIZE=\\\?"[0-9]*' | grep -o '[0-9]*$' | sort -n | head -1; }

for name in greedy-summary top-k-summary top-p-summary full-2-tokens beam-summary beam-10 compare compare-top-k-top-p \
            loop-greedy score drift jacobi jacobi-lookup; do
    "$ARGEN" render "$EX/$name.json" --slide --out "$T/$name" >"$T/list" 2>"$T/err" || { bad "render --slide $name: $(cat "$T/err")"; continue; }
    for png in $(cat "$T/list"); do
        set -- $(png_size "$png")
        [ "$1" -le 1920 ] && [ "$2" -le 1080 ] && ok "$name $(basename "$png"): $1x$2 fits 1920x1080" \
            || bad "$name $(basename "$png"): $1x$2 does not fit 1920x1080"
        d="${png%.png}.dot"
        f=$(min_font "$d")
        [ "$f" -ge 18 ] && ok "$name $(basename "$d"): smallest font $f pt" || bad "$name $(basename "$d"): a font of $f pt"
        set -- $(bbox "$d")
        $PY -c "import sys; sys.exit(0 if $1 <= 1440 and $2 <= 810 else 1)" \
            && ok "$name $(basename "$d"): laid out at 1:1 ($1 x $2 pt)" || bad "$name $(basename "$d"): $1 x $2 pt is scaled down"
        # Drawn without the size= bound (so nothing can shrink it), the picture still fits at 96 dpi.
        sed 's/, size="20,11.25"//' "$d" >"$T/unbounded.dot"
        grep -q '[^a-z]size=' "$T/unbounded.dot" && bad "$name $(basename "$d"): a size= left in"
        dot -Tpng -o "$T/unbounded.png" "$T/unbounded.dot" 2>/dev/null
        set -- $(png_size "$T/unbounded.png")
        [ "$1" -le 1920 ] && [ "$2" -le 1080 ] && ok "$name $(basename "$d"): $1x$2 without size= scaling" \
            || bad "$name $(basename "$d"): $1x$2 without size= scaling"
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

# ---- what the wrapped slides hold ----
# check_compare DOT JSON ALL: every token of every chain drawn in a cell of
# its own (ID cC_S, with the token's text for plain words), none past the
# tokens the slide names as left out; ALL=1: nothing may be left out.
check_compare() {
    $PY - "$1" "$2" "$3" <<'EOF'
import json, re, sys
dot, doc, want_all = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), sys.argv[3] == "1"
m = re.search(r"tokens (\d+) to (\d+) do not fit", dot)
shown = int(m.group(1)) - 1 if m else None
rows = len(re.findall(r"^  row\d+ \[label=", dot, re.M))
n = max(len(ch["steps"]) for ch in doc["strategies"])
bad = []
for c, ch in enumerate(doc["strategies"]):
    for s, step in enumerate(ch["steps"]):
        tok = step["token"]
        cell = re.search(r'<TD ID="c%d_%d"[^>]*>(.*?)</TD>' % (c, s), dot)
        if shown is not None and s >= shown:
            if cell: bad.append("c%d_%d drawn past the note" % (c, s))
            continue
        if not cell:
            bad.append("c%d_%d (%r) missing" % (c, s, tok))
            continue
        word = tok.lstrip(" ")
        if word.isascii() and word.isalnum():
            html = "&#9251;" * (len(tok) - len(word)) + word
            if html not in cell.group(1): bad.append("c%d_%d: %r not in %r" % (c, s, tok, cell.group(1)))
if want_all and shown is not None: bad.append("tokens %d.. left out" % (shown + 1))
if shown is not None and not (0 < shown < n and m.group(2) == str(n)): bad.append("the note says %r of %d" % (m.group(0), n))
if n > 12 and rows < 2: bad.append("%d tokens in %d row(s): not wrapped" % (n, rows))
print("; ".join(bad[:5]) if bad else "%d chains of %d tokens, %s, in %d rows" % (
    len(doc["strategies"]), n, "all drawn" if shown is None else "%d drawn, the rest named" % shown, rows))
sys.exit(1 if bad else 0)
EOF
}
if "$ARGEN" compare --model data/tiny --prompt "Once upon a time" --strategies greedy,top-k=40,top-p=0.9,beam=3 --seed 7 \
        --max-new-tokens 60 --json "$T/cmp60.json" >/dev/null 2>"$T/err"; then
    "$ARGEN" render "$T/cmp60.json" --slide --out "$T/cmp60" >/dev/null 2>&1
    msg=$(check_compare "$T/cmp60/compare.dot" "$T/cmp60.json" 1) && ok "60-token compare slide: $msg" || bad "60-token compare slide: $msg"
    set -- $(bbox "$T/cmp60/compare.dot")
    $PY -c "import sys; sys.exit(0 if $1 <= 1440 and $2 <= 810 else 1)" && ok "60-token compare at 1:1 ($1 x $2 pt)" \
        || bad "60-token compare: $1 x $2 pt"
    [ "$(min_font "$T/cmp60/compare.dot")" -ge 18 ] && ok "60-token compare: no font below 18 pt" || bad "60-token compare: a font below 18 pt"
else
    bad "compare of 60 tokens: $(cat "$T/err")"
fi
msg=$(check_compare "$T/compare/compare.dot" "$EX/compare.json" 1) && ok "compare slide: $msg" || bad "compare slide: $msg"
msg=$(check_compare "$T/loop-greedy/compare.dot" "$EX/loop-greedy.json" 1) && ok "250-token compare slide: $msg" || bad "250-token compare slide: $msg"
# Four chains of 250 tokens cannot fit: the rows that do are drawn, and the slide names the tokens it leaves out.
$PY -c 'import json, sys; d = json.load(open(sys.argv[1])); d["strategies"] = d["strategies"] * 4; json.dump(d, open(sys.argv[2], "w"))' \
    "$EX/loop-greedy.json" "$T/long4.json"
"$ARGEN" render "$T/long4.json" --slide --out "$T/long4" >/dev/null 2>&1
grep -q 'do not fit on this slide' "$T/long4/compare.dot" && msg=$(check_compare "$T/long4/compare.dot" "$T/long4.json" 0) \
    && ok "4 x 250-token compare slide: $msg" || bad "4 x 250-token compare slide: ${msg:-no note of what is left out}"
set -- $(bbox "$T/long4/compare.dot")
$PY -c "import sys; sys.exit(0 if $1 <= 1440 and $2 <= 810 else 1)" && ok "4 x 250-token compare at 1:1 ($1 x $2 pt)" \
    || bad "4 x 250-token compare: $1 x $2 pt"
# The first difference is marked on the chains that leave greedy's text ($expect, from the JSON above), and only there.
n_mark=$(grep -o '&#9654;</FONT>' "$T/compare/compare.dot" | wc -l)
[ "$n_mark" = "$expect" ] && ok "compare slide: $n_mark first-difference marks" || bad "compare slide: $n_mark marks, expected $expect"

# Beam slide: which candidates are drawn and how many are hidden, from the trace (the paths of the best 4 final sequences).
check_beam() {
    $PY - "$1" "$2" <<'EOF'
import json, re, sys
dot, d = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
steps = [s for s in d["steps"] if "candidates" in s]
seqs = [s["ids"] for s in d["result"]["sequences"]][:4]
def ids(s, c):   # the text so far: the parent beam's ids and the candidate's token
    return (steps[s - 1]["beams"][c["parent"]]["ids"] if s > 0 else d["prompt"]["ids"]) + [c["id"]]
def origin(s, b):   # the candidate of step s that became beam b
    return next(k for k, c in enumerate(steps[s]["candidates"]) if c["beam"] == b)
shown = {(s, k) for s, st in enumerate(steps) for k, c in enumerate(st["candidates"])
         if any(q[:len(ids(s, c))] == ids(s, c) for q in seqs)}
total = sum(len(st["candidates"]) for st in steps)
branching = sum(1 for s, st in enumerate(steps) for k, c in enumerate(st["candidates"])
                if (s, k) not in shown and (s == 0 or (s - 1, origin(s - 1, c["parent"])) in shown))
bad = []
m = re.search(r"(\d+) of the (\d+) candidates ranked are hidden", dot)
if not m or (int(m.group(1)), int(m.group(2))) != (total - len(shown), total):
    bad.append("caption %r, expected %d of %d" % (m and m.group(0), total - len(shown), total))
counted = sum(int(x) for x in re.findall(r"label=<\+(\d+) more", dot))
if counted != branching: bad.append("the dashed boxes count %d, expected %d" % (counted, branching))
drawn = 0
for lab in re.findall(r"^  g\d+ \[.*label=<(.*)>\];$", dot, re.M):
    toks = re.split(r'(?:<BR/><FONT POINT-SIZE="\d+"> </FONT>)?<BR/><FONT POINT-SIZE="18">p ', lab)[0].replace("<B>", "").replace("</B>", "")
    drawn += len(re.split(r"&#183;|<BR/>", toks))
if drawn != len(shown): bad.append("%d tokens in the path boxes, expected %d" % (drawn, len(shown)))
if not re.search(r'^  g\d+ \[.*fillcolor="#CDE9F7"', dot, re.M): bad.append("no best path")
print("; ".join(bad) if bad else "%d of %d candidates drawn; %d hidden, %d of them counted where they branch off" % (
    len(shown), total, total - len(shown), counted))
sys.exit(1 if bad else 0)
EOF
}
for name in beam-summary beam-10; do
    msg=$(check_beam "$T/$name/tree.dot" "$EX/$name.json") && ok "beam slide $name: $msg" || bad "beam slide $name: $msg"
done
grep -q 'steps [0-9]*&#8211;[0-9]*' "$T/beam-10/tree.dot" && ok "beam-10 slide: single-path steps share a box" || bad "beam-10 slide: no merged steps"

# Score slide: every scored position drawn, its rank and the model's choice exactly where the rank is above 1.
msg=$($PY - "$T/score/score.dot" "$EX/score.json" <<'EOF'
import json, re, sys
dot, d = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
bad = []
for sc in d["scores"]:
    cell = re.search(r'<TD ID="s%d"[^>]*>(.*?)</TD>' % sc["position"], dot)
    if not cell:
        bad.append("s%d missing" % sc["position"])
        continue
    has = ("rank %d<BR/>expected " % sc["rank"]) in cell.group(1)
    if has != (sc["rank"] > 1): bad.append("s%d: rank %d shown: %s" % (sc["position"], sc["rank"], has))
free = d.get("free")
nf = len(re.findall(r'<TD ID="f\d+"', dot))
if free and nf != min(len(free["tokens"]), len(d["tokens"]) - free["from_position"]): bad.append("%d free cells" % nf)
if "%d tokens scored" % len(d["scores"]) not in dot: bad.append("no summary")
print("; ".join(bad) if bad else "%d scored cells, %d with their rank and the model's choice, %d free cells" % (
    len(d["scores"]), sum(s["rank"] > 1 for s in d["scores"]), nf))
sys.exit(1 if bad else 0)
EOF
) && ok "score slide: $msg" || bad "score slide: $msg"

# Jacobi slide: the block with the fewest passes a token beside the first, every block's pass count, the totals.
msg=$($PY - "$T/jacobi-lookup/jacobi.dot" "$EX/jacobi-lookup.json" <<'EOF'
import json, re, sys
dot, d = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
blocks = [s for s in d["steps"] if "block" in s]
best = min(range(len(blocks)), key=lambda i: (blocks[i]["passes"] / len(blocks[i]["accepted"]["ids"]), i))
bad = []
if best == 0: bad.append("the example has no block faster than the first")
for want in (0, best):
    if not re.search(r"^  block%d \[label=" % blocks[want]["block"], dot, re.M): bad.append("block %d not drawn" % want)
for i, b in enumerate(blocks):
    cell = re.search(r'<TD ID="p%d"[^>]*><FONT[^>]*>(\d+)</FONT>' % i, dot)
    if not cell or int(cell.group(1)) != b["passes"]: bad.append("block %d: passes %s" % (i, cell and cell.group(1)))
tokens, passes = sum(len(b["accepted"]["ids"]) for b in blocks), sum(b["passes"] for b in blocks)
if "%d tokens in %d forward passes" % (tokens, passes) not in dot: bad.append("totals")
print("; ".join(bad) if bad else "block %d (%d pass for %d tokens) beside block 0; %d tokens in %d passes" % (
    best, blocks[best]["passes"], len(blocks[best]["accepted"]["ids"]), tokens, passes))
sys.exit(1 if bad else 0)
EOF
) && ok "jacobi slide: $msg" || bad "jacobi slide: $msg"

# Jacobi runs with more blocks than one row of the strip (44), and more than it draws (132: the rest named).
fits() {   # DOT NAME: drawn at 1:1 within the slide
    set -- $(bbox "$1") "$2"
    $PY -c "import sys; sys.exit(0 if $1 <= 1440 and $2 <= 810 else 1)" && ok "$3 at 1:1 ($1 x $2 pt)" || bad "$3: $1 x $2 pt"
}
if "$ARGEN" generate --model data/tiny --prompt "Once upon a time" --strategy jacobi --block 2 --max-new-tokens 240 \
        --trace "$T/jac44.json" >/dev/null 2>"$T/err"; then
    "$ARGEN" render "$T/jac44.json" --slide --out "$T/jac44" >/dev/null 2>"$T/err" && fits "$T/jac44/jacobi.dot" "jacobi slide of $(grep -o 'ID="p[0-9]*"' "$T/jac44/jacobi.dot" | wc -l) blocks" \
        || bad "jacobi slide of 44 blocks: $(cat "$T/err")"
    $PY -c 'import json, sys, copy
d = json.load(open(sys.argv[1])); blocks = [s for s in d["steps"] if "block" in s]
d["steps"] = [dict(copy.deepcopy(b), block=i) for i, b in enumerate(blocks * 3)]
json.dump(d, open(sys.argv[2], "w"))' "$T/jac44.json" "$T/jac132.json"
    "$ARGEN" render "$T/jac132.json" --slide --out "$T/jac132" >/dev/null 2>"$T/err" && fits "$T/jac132/jacobi.dot" "jacobi slide of 132 blocks" \
        || bad "jacobi slide of 132 blocks: $(cat "$T/err")"
    grep -q 'blocks 96 to 131 not drawn' "$T/jac132/jacobi.dot" && [ "$(grep -o 'ID="p[0-9]*"' "$T/jac132/jacobi.dot" | wc -l)" = 96 ] \
        && ok "jacobi slide of 132 blocks: 96 in the strip, the rest named" || bad "jacobi slide of 132 blocks: the strip"
else
    bad "jacobi run: $(cat "$T/err")"
fi

# Token texts of punctuation and control bytes (tests/make_hostile_traces.py): the wrapped slides still fit.
$PY tests/make_hostile_traces.py "$T/h" >/dev/null
for name in punct-beam-summary:tree punct-compare:compare punct-score:score punct-jacobi:jacobi; do
    kind=${name#*:}; name=${name%:*}
    if "$ARGEN" render "$T/h/$name.json" --slide --kind "$kind" --out "$T/h/$name" >/dev/null 2>"$T/err"; then
        fits "$T/h/$name/$kind.dot" "$name slide"
    else
        bad "$name slide: $(cat "$T/err")"
    fi
done

# A score text too long for one slide: the rows that fit, every position in them, and the rest named.
S="Once upon a time there was a little cat named Tom. Tom lived in a castle near the river. One day, Tom went to the moon."
if "$ARGEN" score --model data/tiny --text "$S $S $S $S" --trace "$T/score4.json" >/dev/null 2>"$T/err" &&
        "$ARGEN" render "$T/score4.json" --slide --out "$T/score4" >/dev/null 2>"$T/err"; then
    fits "$T/score4/score.dot" "score slide of 4 x 34 tokens"
    msg=$($PY - "$T/score4/score.dot" "$T/score4.json" <<'EOF'
import json, re, sys
dot, d = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
n = len(d["tokens"])
m = re.search(r"positions (\d+) to (\d+) do not fit", dot)
if not m or m.group(2) != str(n - 1): sys.exit("no note of the positions left out (%d tokens)" % n)
shown = int(m.group(1))
cells = sorted(int(x) for x in re.findall(r'<TD ID="s(\d+)"', dot))
if cells != list(range(shown)): sys.exit("cells %s.., expected positions 0..%d" % (cells[:3], shown - 1))
print("positions 0 to %d drawn, %d to %d named" % (shown - 1, shown, n - 1))
EOF
) && ok "long score slide: $msg" || bad "long score slide: $msg"
else
    bad "long score slide: $(cat "$T/err")"
fi

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
