#!/bin/sh
# argen render: every diagram kind for several traces (a small random model,
# a 12-layer x 12-head one, data/tiny when it exists, beam search, a full
# trace, argen compare, a score trace, a Jacobi trace) is accepted by
# Graphviz's dot; the numbers in the labels equal the trace's; hostile token text renders; a trace that does not
# match the schema is refused naming the wrong value; bad options exit 2;
# the same trace gives the same bytes; without dot only the .dot is written.
BUILD=${BUILD:-build}
ARGEN="$BUILD/argen"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/argen_test_render.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

command -v dot >/dev/null 2>&1 || { bad "Graphviz dot is not installed (make test installs it)"; exit 1; }

# the GPT-2 tokenizer (gitignored), fetched as test_tokenizer.sh does
[ -f data/gpt2/vocab.json ] && [ -f data/gpt2/merges.txt ] || make -s gpt2-tokenizer >/dev/null || { echo "FAIL cannot fetch data/gpt2 (make gpt2-tokenizer)"; exit 1; }
tok="--tokenizer data/gpt2"
# shellcheck disable=SC2086
"$ARGEN" init --out "$T/small" --layers 2 --heads 2 --embd 16 --positions 32 --seed 5 $tok >/dev/null 2>&1 || { bad "argen init small"; exit 1; }
# shellcheck disable=SC2086
"$ARGEN" init --out "$T/deep" --layers 12 --heads 12 --embd 48 --positions 32 --seed 6 $tok >/dev/null 2>&1 || { bad "argen init deep"; exit 1; }

gen() { # name model args...
    name=$1; model=$2; shift 2
    if "$ARGEN" generate --model "$model" --ids 464,3797,3332 --max-new-tokens 4 --trace "$T/$name.json" "$@" >/dev/null 2>"$T/err"; then
        TRACES="$TRACES $name"
    else
        bad "generate $name: $(cat "$T/err")"
    fi
}
TRACES=""
gen greedy "$T/small" --strategy greedy --top-n 6
gen topk "$T/small" --strategy top-k --top-k 3 --seed 1 --top-n 6
gen topp "$T/small" --strategy top-p --top-p 0.5 --temperature 0.01 --seed 2 --top-n 8
gen minp "$T/small" --strategy min-p --min-p 0.9 --temperature 0.02 --seed 3 --top-n 5
gen full "$T/small" --strategy sample --seed 4 --trace-level full --top-n 4
gen beam "$T/small" --strategy beam --beams 3
gen deep "$T/deep" --strategy top-k --seed 7 --top-n 5
if [ -f data/tiny/config.json ]; then
    "$ARGEN" generate --model data/tiny --prompt "Once upon a time" --max-new-tokens 5 --strategy top-k --seed 1 \
        --trace "$T/tiny.json" >/dev/null 2>&1 && TRACES="$TRACES tiny" || bad "generate data/tiny"
fi
gen beam4 "$T/small" --strategy beam --beams 4 --top-n 4
gen jacobi "$T/small" --strategy jacobi --block 3
if "$ARGEN" compare --model "$T/small" --ids 464,3797 --strategies greedy,top-k=5,top-p=0.9,beam=2 --seed 1 \
    --max-new-tokens 5 --json "$T/compare.json" >/dev/null 2>"$T/err"; then
    TRACES="$TRACES compare"
else
    bad "compare: $(cat "$T/err")"
fi
if "$ARGEN" score --model "$T/small" --ids 464,3797,3332,319,262,2603,290,262 --free-from 3 \
    --trace "$T/score.json" >/dev/null 2>"$T/err"; then
    TRACES="$TRACES score"
else
    bad "score: $(cat "$T/err")"
fi

# Every kind, then dot once more on each .dot by itself (its exit status checked).
for name in $TRACES; do
    out="$T/out-$name"
    case $name in beam|beam4|compare|score|jacobi) at="" ;; *) at="--step 1 --layer 1 --head 1" ;; esac
    # shellcheck disable=SC2086
    if "$ARGEN" render "$T/$name.json" --out "$out" --format svg $at >"$T/list" 2>"$T/err"; then
        n=$(wc -l <"$T/list")
        okdot=1
        for d in "$out"/*.dot; do dot -Tsvg "$d" -o /dev/null 2>"$T/dot-err" || { okdot=0; bad "dot refuses $d: $(cat "$T/dot-err")"; }; done
        [ "$okdot" = 1 ] && ok "render $name: $n diagrams, each accepted by dot"
    else
        bad "render $name: $(cat "$T/err")"
    fi
done
for k in step probs attention heatmap tree; do
    [ -f "$T/out-greedy/$(ls "$T/out-greedy" | grep "^$k-\?.*\.svg$" | head -1)" ] && ok "kind $k drawn" || bad "kind $k missing"
done
[ -f "$T/out-beam/tree.svg" ] && ok "beam tree drawn" || bad "beam tree missing"
[ -f "$T/out-compare/compare.svg" ] && ok "compare drawn" || bad "compare missing"
[ -f "$T/out-score/score.svg" ] && ok "score drawn" || bad "score missing"
[ -f "$T/out-jacobi/jacobi.svg" ] && ok "jacobi drawn" || bad "jacobi missing"

# The new trace kinds: the numbers in their labels equal the trace's.
"$ARGEN" render "$T/score.json" --out "$T/num-score" --kind score >/dev/null 2>&1
"$ARGEN" render "$T/jacobi.json" --out "$T/num-jacobi" --kind jacobi >/dev/null 2>&1
"$ARGEN" render "$T/beam4.json" --out "$T/num-beam4" --kind tree >/dev/null 2>&1
"$ARGEN" render "$T/compare.json" --out "$T/num-compare" --kind compare >/dev/null 2>&1
if $PY - "$T" <<'EOF'
import html, json, re, sys
T = sys.argv[1]
def close(a, b, rel=6e-4):
    return abs(a - b) <= rel * max(abs(b), 1e-300) + 1e-12
n = 0
# score: p, rank, surprisal, entropy of every scored token; the summary; the free row
tr = json.load(open(T + "/score.json")); dot = open(T + "/num-score/score.dot").read()
for sc in tr["scores"]:
    m = re.search(r'ID="s%d"[^>]*TOOLTIP="position %d: p ([-+0-9.e]+), rank (\d+), surprisal ([-+0-9.e]+) bits, '
                  r'entropy ([-+0-9.e]+) bits' % (sc["position"], sc["position"]), dot)
    assert m, ("no cell for position", sc["position"])
    p, rank, bits, H = float(m.group(1)), int(m.group(2)), float(m.group(3)), float(m.group(4))
    assert close(p, sc["probability"]) and rank == sc["rank"], sc["position"]
    assert close(bits, sc["surprisal_bits"]) and close(H, sc["entropy_bits"]), sc["position"]
    n += 4
m = re.search(r'mean loss <B>([-+0-9.e]+)</B> nats/token, perplexity <B>([-+0-9.e]+)</B>', dot)
assert m and close(float(m.group(1)), tr["summary"]["mean_loss_nats"]) and close(float(m.group(2)), tr["summary"]["perplexity"])
fr = tr["free"]
for i, p in enumerate(fr["probability"]):
    pos = fr["from_position"] + i
    m = re.search(r'ID="f%d"[^>]*>(?:<B>)?[^<]*(?:</B>)?<BR/><FONT POINT-SIZE="12">p ([-+0-9.e]+) &#(\d+);' % pos, dot)
    assert m and close(float(m.group(1)), p), ("free", pos)
    assert (m.group(2) == "10003") == fr["matches"][i], ("free match mark", pos)
    n += 1
# jacobi: the tokens of every pass, the changed/correct counts, the border where changed
tr = json.load(open(T + "/jacobi.json")); dot = open(T + "/num-jacobi/jacobi.dot").read()
for b in tr["steps"]:
    for it in b["iterations"]:
        k = it["pass"]
        m = re.search(r'ID="j%d_k%d_n"[^>]*><FONT[^>]*>(\d+) changed, (\d+) correct<' % (b["block"], k), dot)
        assert m and int(m.group(1)) == it["n_changed"] and int(m.group(2)) == it["n_correct"], (b["block"], k)
        for i, ch in enumerate(it["changed"]):
            m = re.search(r'ID="j%d_k%d_i%d" BGCOLOR="([^"]+)" BORDER="(\d+)"' % (b["block"], k, i), dot)
            assert m and (m.group(2) == "4") == ch, (b["block"], k, i)
            assert (m.group(1) != "white") == (it["correct"][i] or i < k), ("colour", b["block"], k, i)
            n += 1
# beam tree: one node per candidate with its sum of log-probabilities, edges from the real parents
tr = json.load(open(T + "/beam4.json")); dot = open(T + "/num-beam4/tree.dot").read()
for s, st in enumerate(tr["steps"]):
    origin = {c["beam"]: "k%d_%d" % (s, k) for k, c in enumerate(st["candidates"]) if c["beam"] is not None}
    for k, c in enumerate(st["candidates"]):
        m = re.search(r'k%d_%d \[[^\n]*&#931; log p <FONT COLOR="black">([-+0-9.e]+)</FONT>' % (s, k), dot)
        assert m and close(float(m.group(1)), c["sum_logprob"]), (s, k)
        want = "prompt" if c["parent"] is None else prev_origin[c["parent"]]
        assert re.search(r'\b%s -> k%d_%d ' % (want, s, k), dot), ("parent edge", s, k, want)
        assert ("pruned" in c["fate"]) == bool(re.search(r'k%d_%d \[[^\n]*pruned' % (s, k), dot)), (s, k)
        n += 1
    for i, b in enumerate(st["beams"]):
        assert b["parent"] == next(c["parent"] for c in st["candidates"] if c["beam"] == i), (s, i)
    prev_origin = origin
# compare: the prompt node shows the prompt's tokens
tr = json.load(open(T + "/compare.json")); dot = open(T + "/num-compare/compare.dot").read()
m = re.search(r'prompt \[[^\n]*<B>prompt</B><BR/>([^>]*)>\];', dot)
assert m and html.unescape(m.group(1)).replace("\u2423", " ").replace("\u00b7", "") == "".join(tr["prompt_tokens"]), m and m.group(1)
assert re.search(r'prompt -> h0', dot)
print(n, "numbers")
EOF
then ok "numbers in the score, jacobi, beam-candidate and compare labels equal the trace's"; else bad "numbers of score/jacobi/beam/compare"; fi
"$ARGEN" render "$T/deep.json" --out "$T/out-deep-png" --kind heatmap --format png >/dev/null 2>&1 &&
    [ -s "$T/out-deep-png/heatmap-0.png" ] && ok "png of the 12x12 heatmap" || bad "png of the 12x12 heatmap"

# The numbers in the labels equal the trace's (printed with 4 significant digits; heatmap 3 decimals).
for name in greedy topk topp minp full deep; do
    "$ARGEN" render "$T/$name.json" --out "$T/num-$name" --kind probs --step 2 --top "$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['top_n'])" "$T/$name.json")" >/dev/null 2>&1
    "$ARGEN" render "$T/$name.json" --out "$T/num-$name" --kind heatmap --step 2 >/dev/null 2>&1
    "$ARGEN" render "$T/$name.json" --out "$T/num-$name" --kind attention --step 3 --layer 1 --head 0 >/dev/null 2>&1
    if $PY - "$T/$name.json" "$T/num-$name" <<'EOF'
import json, math, re, sys
tr = json.load(open(sys.argv[1])); d = sys.argv[2]
def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(b), 1e-300) + 1e-12
step = tr["steps"][2]
dot = open(d + "/probs-2.dot").read()
cells = dict(((int(r), f), float(v)) for r, f, v in
             re.findall(r'ID="r(\d+)_(\w+)"[^>]*>(?:<B>)?([-+0-9.e]+)(?:</B>)?<', dot))
n = 0
for row in step["selection"]["table"]:
    greedy = step["selection"]["strategy"] == "greedy"   # greedy shows no share after a cut
    for f in ("logit", "scaled", "probability", "cumulative", "renormalized", "before"):
        if f == "renormalized" and greedy:
            assert (row["rank"], f) not in cells, ("greedy shows a renormalized cell", row["rank"])
            continue
        if f == "before":
            row = dict(row, before=row["probability_before_temperature"])
        got = cells.get((row["rank"], f))
        assert got is not None, ("no cell", row["rank"], f)
        assert close(got, row[f], 6e-4), (row["rank"], f, got, row[f])
        n += 1
    assert int(cells[(row["rank"], "rank")]) == row["rank"]
# ranks count from 1, in the trace and in the drawing: the most likely token is rank 1
assert step["selection"]["table"][0]["rank"] == 1 and int(cells[(1, "rank")]) == 1 and (0, "rank") not in cells
# probability before temperature = softmax(penalized logits), from the whole logit vector of a full trace
if "all" in step["logits"] and step["selection"]["repetition_penalty"] == 1:
    allv = step["logits"]["all"]; mx = max(allv)
    lz = mx + math.log(sum(math.exp(x - mx) for x in allv))
    for row in step["selection"]["table"]:
        assert close(row["probability_before_temperature"], math.exp(allv[row["id"]] - lz), 1e-5), row["rank"]
        n += 1
chosen = step["selection"]["chosen"]["rank"]
assert re.search(r'ID="r%d_probability"[^>]*BGCOLOR' % chosen, dot), "chosen row not highlighted"
heat = open(d + "/heatmap-2.dot").read()
cells = {(int(l), int(h), int(k)): float(v) for l, h, k, v in
         re.findall(r'ID="a_L(\d+)_H(\d+)_k(\d+)"[^>]*><FONT[^>]*>([0-9.]+)<', heat)}
for layer in step["forward"]["layers"]:
    for h, rows in enumerate(layer["attention"]):
        for k, w in enumerate(rows[-1]):
            assert abs(cells[(layer["layer"], h, k)] - w) <= 5e-4 + 1e-9, (layer["layer"], h, k)
            n += 1
att = open(d + "/attention-3-L1-H0.dot").read()
edges = re.findall(r'k(\d+) -> q(\d+) \[penwidth', att)
assert edges, "no attention edges"
for k, q in edges:
    assert int(k) <= int(q), "an edge to a later token: k%s -> q%s" % (k, q)
s3 = tr["steps"][3]; q = s3["forward"]["query_positions"][-1]
labels = re.findall(r'k(\d+) -> q%d \[[^]]*taillabel=<([-0-9.e]+)>' % q, att)
row = s3["forward"]["layers"][1]["attention"][0][-1]
assert len(labels) == q + 1, labels
for k, v in labels:
    assert close(float(v), row[int(k)], 6e-4), (k, v, row[int(k)])
print(n + len(labels), "numbers")
EOF
    then ok "numbers in the labels of $name equal the trace's"; else bad "numbers of $name"; fi
done

# Hostile token text: quotes, angle brackets, ampersand, a newline, a backslash,
# control bytes, NUL, and U+FFFD (what the trace writer makes of an invalid byte).
$PY - "$T/greedy.json" "$T/hostile.json" <<'EOF'
import json, sys
tr = json.load(open(sys.argv[1]))
evil = ' "q" <b>&amp;\n\\ \x01\x7f\x00\ufffd]]>'
for s in tr["steps"]:
    s["context"]["tokens"] = [evil] * len(s["context"]["tokens"])
    for r in s["selection"]["table"]: r["token"] = evil
    for r in s["logits"]["top"]: r["token"] = evil
    s["appended"]["token"] = evil
tr["prompt"]["tokens"] = [evil] * len(tr["prompt"]["tokens"])
json.dump(tr, open(sys.argv[2], "w"))
EOF
if "$ARGEN" render "$T/hostile.json" --out "$T/out-hostile" --format svg >/dev/null 2>"$T/err"; then
    if grep -qF '&#9251;&#34;q&#34;&#9251;&#60;b&#62;&#38;amp&#59;&#92;n&#92;&#92;&#9251;&#92;x01&#92;x7F&#92;x00' "$T/out-hostile/probs-0.dot"; then
        ok "hostile token text escaped and accepted by dot"
    else
        bad "hostile token text not escaped as expected: $(grep -o 'r1_rank.\{0,200\}' "$T/out-hostile/probs-0.dot" | head -1)"
    fi
else
    bad "hostile token text: $(cat "$T/err")"
fi

# A trace that does not match the schema: refused, one line naming the JSON path, nothing written.
refuse() { # description python-mutation expected-text
    $PY - "$T/greedy.json" "$T/broken.json" "$2" <<'EOF'
import json, sys
tr = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(tr, open(sys.argv[2], "w"))
EOF
    rm -rf "$T/out-broken"
    "$ARGEN" render "$T/broken.json" --out "$T/out-broken" >/dev/null 2>"$T/err"
    rc=$?
    if [ "$rc" -ne 0 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -qF -- "$3" "$T/err" && [ ! -e "$T/out-broken" ]; then
        ok "refused $1: $(cat "$T/err")"
    else
        bad "refused $1 (rc $rc): $(cat "$T/err")"
    fi
}
refuse "a probability that is a string" 'tr["steps"][1]["selection"]["table"][0]["probability"] = "0.5"' \
    "steps[1].selection.table[0].probability: expected a number"
refuse "a missing draw" 'del tr["steps"][2]["selection"]["draw"]' "steps[2].selection.draw: expected a number (missing)"
refuse "a wrong format" 'tr["format"] = "argen-tarce"' 'format: expected "argen-trace" or "argen-compare"'
refuse "a short attention row" 'tr["steps"][0]["forward"]["layers"][1]["attention"][0][0].pop()' \
    "steps[0].forward.layers[1].attention: declares 2x1x3 weights (heads x query_positions x key_count) but holds 5"
refuse "a weight moved to another head's row" 'a = tr["steps"][0]["forward"]["layers"][1]["attention"]; a[1][0].append(a[0][0].pop())' \
    "steps[0].forward.layers[1].attention[0][0]: expected an array of 3 weights (key_count)"
refuse "a missing result" 'del tr["result"]' "result: expected an object (missing)"
printf '{"format": "argen-trace", ' >"$T/broken.json"
"$ARGEN" render "$T/broken.json" --out "$T/out-broken" >/dev/null 2>"$T/err" && bad "truncated JSON accepted" ||
    ok "truncated JSON refused: $(cat "$T/err")"

# Bad options: exit 2, one line naming the option.
usage() { # option args...
    opt=$1; shift
    "$ARGEN" render "$T/greedy.json" --out "$T/out-usage" "$@" >/dev/null 2>"$T/err"
    rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "$opt" "$T/err"; then ok "usage $opt: $(cat "$T/err")"
    else bad "usage $opt (rc $rc): $(cat "$T/err")"; fi
}
usage --step --step 99
usage --layer --layer 2
usage --head --head 5
usage --top --top 0
usage --format --format gif
usage --kind --kind pie
usage --kind --kind compare
usage --bogus --bogus

# Deterministic: the same trace gives the same bytes.
"$ARGEN" render "$T/topk.json" --out "$T/det1" >/dev/null 2>&1
"$ARGEN" render "$T/topk.json" --out "$T/det2" >/dev/null 2>&1
same=1
for d in "$T"/det1/*.dot; do cmp -s "$d" "$T/det2/$(basename "$d")" || same=0; done
[ "$same" = 1 ] && ok "same trace, same .dot bytes" || bad "render is not deterministic"

# Without dot on PATH: the .dot files, and how to render them.
abs_argen=$(cd "$(dirname "$ARGEN")" && pwd)/$(basename "$ARGEN")
mkdir -p "$T/nodot"
if PATH="$T/nodot" "$abs_argen" render "$T/topk.json" --out "$T/out-nodot" >/dev/null 2>"$T/err" &&
    [ -f "$T/out-nodot/probs-0.dot" ] && [ ! -e "$T/out-nodot/probs-0.png" ] && grep -q "dot -Tpng" "$T/err"; then
    ok "without dot: .dot written and the command to render shown"
else
    bad "without dot: $(cat "$T/err")"
fi

exit $fail
