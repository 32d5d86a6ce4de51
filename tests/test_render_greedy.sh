#!/bin/sh
# A greedy run is recorded as greedy: its trace holds no draw (null), no row
# cut by top-k, top-p or min-p (the rows below the argmax are cut_by
# "argmax"), n_top_k and n_top_p the whole vocabulary, and n_kept 1; the same
# for a top-k run at T = 0, which also takes the argmax.  A sampling run keeps
# its draw and its rules.  The traces validate against traces/schema.json and
# the renderers draw the argmax step without "draw u" or "cut by top-k".
BUILD=${BUILD:-build}
ARGEN="$BUILD/argen"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/argen_test_render_greedy.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

gen() { n=$1; shift; "$ARGEN" generate --model data/tiny --prompt "Once upon a time" --max-new-tokens 5 --seed 3 --trace "$T/$n.json" "$@" >/dev/null 2>"$T/err" \
        || bad "generate $n: $(cat "$T/err")"; }
gen greedy --strategy greedy
gen t0 --strategy top-k --top-k 40 --temperature 0
gen topk --strategy top-k --top-k 3

$PY - "$T" <<'PY' || fail=1
import json, sys, jsonschema
d = sys.argv[1]
schema = json.load(open("traces/schema.json"))
failed = 0
def check(cond, msg):
    global failed
    print(("ok   " if cond else "FAIL ") + msg)
    failed |= not cond
for name in ("greedy", "t0"):
    t = json.load(open(f"{d}/{name}.json"))
    jsonschema.validate(t, schema)
    V = t["model"]["config"]["vocab_size"]
    sels = [s["selection"] for s in t["steps"]]
    check(all(s["draw"] is None for s in sels), f"{name}: no step carries a draw")
    check(all(s["n_top_k"] == V and s["n_top_p"] == V and s["n_kept"] == 1 for s in sels),
          f"{name}: n_top_k = n_top_p = {V} (no rule ran), n_kept = 1")
    rows = [r for s in sels for r in s["table"]]
    check(all(r["cut_by"] in (None, "argmax") for r in rows), f"{name}: no row cut by top-k, top-p or min-p")
    check(all((r["cut_by"] is None) == (r["rank"] == 1) for r in rows), f"{name}: rank 1 taken, every other row cut_by argmax")
    check(all(r["slice"] is None and r["renormalized"] == 0 for r in rows if r["rank"] > 1), f"{name}: no slice of [0, 1) below the argmax")
    check(all(s["chosen"]["rank"] == 1 and s["table"][0]["rank"] == 1 for s in sels),
          f"{name}: every step chose rank 1 (ranks count from 1: rank 1 = the most likely)")
t = json.load(open(f"{d}/topk.json"))
jsonschema.validate(t, schema)
sels = [s["selection"] for s in t["steps"]]
check(all(isinstance(s["draw"], float) and 0 <= s["draw"] < 1 for s in sels), "top-k: every step keeps its draw")
check(all(s["n_top_k"] == 3 for s in sels), "top-k: n_top_k 3")
check(any(r["cut_by"] == "top-k" for s in sels for r in s["table"]), "top-k: rows cut by top-k")
sys.exit(failed)
PY

for name in greedy t0; do
    "$ARGEN" render "$T/$name.json" --kind probs --detail --step 0 --out "$T/d-$name" >/dev/null 2>"$T/err" || { bad "render $name: $(cat "$T/err")"; continue; }
    "$ARGEN" render "$T/$name.json" --kind step --detail --step 0 --out "$T/d-$name" >/dev/null 2>"$T/err" || { bad "render $name: $(cat "$T/err")"; continue; }
    if grep -q 'cut by top-k\|draw u' "$T/d-$name"/*.dot; then bad "$name: a diagram says cut by top-k or draw u"; else ok "$name: diagrams without top-k cut or draw"; fi
done

[ $fail -eq 0 ] && echo "test_render_greedy: all passed" || echo "test_render_greedy: FAILED"
exit $fail
