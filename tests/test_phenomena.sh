#!/bin/sh
# test_phenomena.sh - each phenomenon the lecture (docs/lecture.md) shows is
# really in its example, both in the committed traces/examples/ and in
# examples made afresh by traces/examples/make-examples.sh with this build:
#   1 loop-greedy.json          compare's loop detector fires on greedy (--ignore-eos),
#                               and the tokens really repeat with that period (checked here)
#   2 top-p-vs-top-k.json       a step where top-p keeps fewer than top-k's 40 and the same
#                               draw picks a different token under each; compare-top-k-top-p.json
#                               (shared draws) has the two texts part there
#   3 beam-vs-greedy.json       beam's continuation has a higher total log-probability than
#                               greedy's, rescored independently with `argen score --ids`
#   4 drift.json                teacher forcing vs free generation: the free run leaves the text
#                               (first_divergence), and the true tokens there are not the model's top
#   5 kv-cache.tsv, no-kv-cache.tsv  positions forwarded per step: 1 with the cache (n in all,
#                               linear), the whole context without (n_prompt*n + n(n-1)/2, quadratic)
#   6 jacobi-lookup.json        a Jacobi pass that makes more than one position correct at once,
#                               and fewer passes than tokens in all
set -eu
BUILD=${BUILD:-build}
A=$BUILD/argen
PY=/usr/bin/python3
[ -f data/tiny/config.json ] || { echo "test_phenomena: data/tiny is missing"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/argen-phen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
ARGEN=$A sh traces/examples/make-examples.sh data/tiny "$tmp/fresh" "" >/dev/null

check() { # folder
    dir=$1
    "$A" score --model data/tiny --json --ids "$($PY -c '
import json, sys
d = json.load(open(sys.argv[1])); print(",".join(map(str, d["prompt_ids"] + [s["id"] for s in d["strategies"][0]["steps"]])))' "$dir/beam-vs-greedy.json")" >"$tmp/greedy-score.json"
    "$A" score --model data/tiny --json --ids "$($PY -c '
import json, sys
d = json.load(open(sys.argv[1])); print(",".join(map(str, d["prompt_ids"] + [s["id"] for s in d["strategies"][1]["steps"]])))' "$dir/beam-vs-greedy.json")" >"$tmp/beam-score.json"
    $PY - "$dir" "$tmp" <<'PYEOF'
import csv, json, math, sys
d, tmp = sys.argv[1], sys.argv[2]
J = lambda name: json.load(open("%s/%s" % (d, name)))
fails = []

# 1. the loop: the detector's verdict, and the period checked on the tokens themselves
col = J("loop-greedy.json")["strategies"][0]
loop = col["loop"]
ids = [s["id"] for s in col["steps"]]
if not loop or loop["length"] < 1:
    fails.append("loop-greedy: no loop found")
else:
    s0, L = loop["start_step"], loop["length"]
    if len(ids) - s0 < 2 * L or any(ids[i] != ids[i - L] for i in range(s0 + L, len(ids))):
        fails.append("loop-greedy: tokens from step %d do not repeat with period %d twice" % (s0, L))

# 2. top-k vs top-p on one draw
tr = J("top-p-vs-top-k.json")
hits = [s["step"] for s in tr["steps"]
        if s["selection"]["n_kept"] < 40 and s["selection"]["alternatives"]["top-k=40"]["id"] != s["selection"]["alternatives"]["top-p=0.9"]["id"]]
if not hits:
    fails.append("top-p-vs-top-k: no step where the kept sets and the picks differ")
cols = J("compare-top-k-top-p.json")["strategies"]
if [s["id"] for s in cols[0]["steps"]] == [s["id"] for s in cols[1]["steps"]]:
    fails.append("compare-top-k-top-p: top-k and top-p wrote the same text")

# 3. beam vs greedy, rescored by teacher forcing
cmp_ = J("beam-vs-greedy.json")
n_prompt = len(cmp_["prompt_ids"])
def total(path):
    rows = json.load(open(path))["scores"]
    return sum(r["logprob"] for r in rows[n_prompt - 1:])
g, b = total(tmp + "/greedy-score.json"), total(tmp + "/beam-score.json")
if not b > g:
    fails.append("beam-vs-greedy: beam's total log-probability %.4f is not above greedy's %.4f" % (b, g))

# 4. drift
sc = J("drift.json")
fr = sc["free"]
k = fr.get("first_divergence")
if k is None or all(fr["matches"]):
    fails.append("drift: the free run never leaves the text")

# 5. KV cache: positions forwarded per step (column 3), by hand
def positions(name):
    with open("%s/%s" % (d, name)) as f:
        return [int(r[2]) for r in csv.reader(f, delimiter="\t") if r and r[0].isdigit()]
pc, pn = positions("kv-cache.tsv"), positions("no-kv-cache.tsv")
n = len(pc)
n_prompt5 = pn[0]
if n < 100 or len(pn) != n or pc[0] != n_prompt5 or any(x != 1 for x in pc[1:]):
    fails.append("kv-cache: expected %d steps of 1 position after the prompt, got %r..." % (n, pc[:5]))
if pn != [n_prompt5 + i for i in range(n)]:
    fails.append("no-kv-cache: step i should forward n_prompt + i positions")
if sum(pn) != n_prompt5 * n + n * (n - 1) // 2 or sum(pc) != n_prompt5 + n - 1:
    fails.append("kv totals: %d and %d" % (sum(pc), sum(pn)))

# 6. Jacobi: a pass that makes several positions correct at once
jt = J("jacobi-lookup.json")
jump = []
for blk in jt["steps"]:
    prev = 0
    for it in blk["iterations"]:
        if it["n_correct"] - prev > 1: jump.append((blk["block"], it["pass"]))
        prev = it["n_correct"]
tokens = sum(len(b["accepted"]["ids"]) for b in jt["steps"])
passes = sum(b["passes"] for b in jt["steps"])
if not jump or passes >= tokens:
    fails.append("jacobi-lookup: %d passes for %d tokens, multi-token passes %r" % (passes, tokens, jump))

for f in fails: print("FAIL %s: %s" % (d, f))
if fails: sys.exit(1)
print("%s: loop %s; top-k/top-p differ at steps %s; beam %.3f > greedy %.3f nats; drift at %s; "
      "KV %d vs %d positions; Jacobi %d passes for %d tokens" % (d, loop, hits, b, g, k, sum(pc), sum(pn), passes, tokens))
PYEOF
}
check traces/examples
check "$tmp/fresh"
