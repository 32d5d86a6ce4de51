#!/bin/sh
# argen score, the KV cache made visible, and Jacobi decoding at the command
# line: scores against numpy's log-softmax of `argen logits --all-positions`,
# traces that validate against traces/schema.json, usage errors, Jacobi ==
# greedy (random models, and data/tiny when it is there), --timing.
BUILD=${BUILD:-build}
ARGEN="$BUILD/argen"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/argen_test_score.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

# the GPT-2 tokenizer (gitignored), fetched as test_tokenizer.sh does
[ -f data/gpt2/vocab.json ] && [ -f data/gpt2/merges.txt ] || make -s gpt2-tokenizer >/dev/null || { echo "FAIL cannot fetch data/gpt2 (make gpt2-tokenizer)"; exit 1; }
"$ARGEN" init --out "$T/m" --layers 2 --heads 2 --embd 16 --positions 32 --seed 5 --tokenizer data/gpt2 >/dev/null 2>&1 ||
    "$ARGEN" init --out "$T/m" --layers 2 --heads 2 --embd 16 --positions 32 --seed 5 >/dev/null 2>&1 || { bad "argen init"; exit 1; }
M="$T/m"
IDS=464,2068,7586,21831,18045,625,262,16931,3290,13

# Scores: numpy recomputes log-softmax, rank, entropy from the logits of the
# same ids (argen logits runs them one at a time through the KV cache).
"$ARGEN" score --model "$M" --ids $IDS --json >"$T/s.json" 2>"$T/err" &&
"$ARGEN" logits --model "$M" --ids $IDS --all-positions >"$T/l.json" 2>>"$T/err"
if $PY - "$T/s.json" "$T/l.json" <<'PYEOF'
import json, sys, math
import numpy as np
s = json.load(open(sys.argv[1])); l = json.load(open(sys.argv[2]))
ids = l["ids"]; L = np.array(l["logits"], dtype=np.float64)   # [n, V]
lse = L.max(1) + np.log(np.exp(L - L.max(1, keepdims=True)).sum(1))
logp = L - lse[:, None]
assert len(s["scores"]) == len(ids) - 1
nll = 0.0
for i, sc in enumerate(s["scores"]):
    t, tok = i, ids[i + 1]
    assert sc["position"] == i + 1 and sc["id"] == tok
    want = logp[t, tok]; nll -= want
    assert abs(sc["logprob"] - want) < 1e-5, (i, sc["logprob"], want)
    assert abs(sc["probability"] - math.exp(want)) < 1e-6 * max(1, math.exp(want)) + 1e-9
    assert abs(sc["surprisal_bits"] + want / math.log(2)) < 1e-5
    p = np.exp(logp[t]); H = -(p * logp[t]).sum() / math.log(2)
    assert abs(sc["entropy_bits"] - H) < 1e-5, (sc["entropy_bits"], H)
    row = L[t]; rank = 1 + int((row > row[tok]).sum()) + int((row[:tok] == row[tok]).sum())
    assert sc["rank"] == rank, (sc["rank"], rank)
    assert sc["top"]["id"] == int(np.argmax(row))
    # ranks count from 1: the argmax token (the model's top choice) is rank 1, and only it
    assert (sc["rank"] == 1) == (sc["id"] == sc["top"]["id"]), (sc["rank"], sc["id"], sc["top"]["id"])
n = len(ids) - 1
assert abs(s["summary"]["mean_loss_nats"] - nll / n) < 1e-5
assert abs(s["summary"]["perplexity"] / math.exp(nll / n) - 1) < 1e-5
PYEOF
then ok "scores equal numpy's log-softmax of argen logits"; else bad "scores vs numpy: $(cat "$T/err")"; fi

# The score trace, and a Jacobi trace, validate; after pass k the first k positions are correct.
validate() {
    $PY - "$@" <<'PYEOF'
import json, sys, jsonschema
schema = json.load(open("traces/schema.json"))
for f in sys.argv[1:]:
    doc = json.load(open(f))
    jsonschema.Draft202012Validator(schema).validate(doc)
    for b in doc.get("steps", []):
        if "iterations" not in b: continue
        assert 1 <= b["passes"] <= b["size"] and len(b["iterations"]) == b["passes"]
        for it in b["iterations"]:
            assert all(it["correct"][:it["pass"]]), (b["block"], it)
        last = b["iterations"][-1]
        assert all(last["correct"]) and (b["converged_by"] == "pass_limit" or last["n_changed"] == 0)
PYEOF
}
"$ARGEN" score --model "$M" --ids $IDS --bos --free-from 4 --trace "$T/st.json" >"$T/out" 2>"$T/err" &&
    "$ARGEN" generate --model "$M" --ids 464,2068 --strategy jacobi --block 5 --max-new-tokens 17 --trace "$T/jt.json" >/dev/null 2>>"$T/err" &&
    validate "$T/st.json" "$T/jt.json" && ok "score and jacobi traces validate" || bad "traces: $(cat "$T/err")"
grep -q "perplexity" "$T/out" && grep -q "free greedy generation from position 4" "$T/out" &&
    grep -Eq '[0-9] bits +[0-9.]+ bits ' "$T/out" && ok "score table (surprisal and entropy printed with their unit, bits)" ||
    bad "score table: $(cat "$T/out")"

# --file reads the same text as --text (when the model has the GPT-2 tokenizer).
if [ -f "$M/vocab.json" ]; then
    printf 'Once upon a time there was a cat.' >"$T/text.txt"
    x=$("$ARGEN" score --model "$M" --text "Once upon a time there was a cat." --json)
    y=$("$ARGEN" score --model "$M" --file "$T/text.txt" --json)
    [ -n "$x" ] && [ "$x" = "$y" ] && ok "--file == --text" || bad "--file: $y vs $x"
fi

# Usage errors: exit 2, one line naming the option.
expect_usage() {
    opt=$1; shift
    "$ARGEN" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "$opt" "$T/err"; then ok "usage error $opt: $(cat "$T/err")"
    else bad "usage error $opt (rc $rc): $(cat "$T/err")"; fi
}
# no --text, --file or --ids: the text comes from standard input, here empty
expect_usage stdin score --model "$M" </dev/null
expect_usage --text score --model "$M" --text a --ids 1,2
expect_usage --ids score --model "$M" --ids 5
expect_usage --ids score --model "$M" --ids "$(seq -s, 1 33)"
expect_usage --free-from score --model "$M" --ids 1,2,3 --free-from 3
expect_usage --block generate --model "$M" --ids 1,2 --block 4
expect_usage --block generate --model "$M" --ids 1,2 --strategy jacobi --block 0
expect_usage --no-kv-cache generate --model "$M" --ids 1,2 --strategy jacobi --no-kv-cache
expect_usage --timing generate --model "$M" --ids 1,2 --strategy beam --timing "$T/t.tsv"
"$ARGEN" score --model "$M" --ids "$(seq -s, 1 33)" 2>&1 | grep -q "32 tokens (n_positions" && ok "a long text names the window" || bad "long text message"

# Jacobi == greedy, block sizes 1..9, two seeds.
for seed in 5 6; do
    "$ARGEN" init --out "$T/j$seed" --layers 2 --heads 2 --embd 16 --positions 40 --vocab 300 --seed $seed >/dev/null 2>&1
    g=$("$ARGEN" generate --model "$T/j$seed" --ids 7,8,9 --max-new-tokens 30 --json)
    same=1
    for N in 1 2 3 4 5 6 7 8 9; do
        j=$("$ARGEN" generate --model "$T/j$seed" --ids 7,8,9 --strategy jacobi --block $N --max-new-tokens 30 --json 2>/dev/null)
        [ "$g" = "$j" ] || { same=0; bad "jacobi N=$N seed $seed: $j vs greedy $g"; }
    done
    [ $same -eq 1 ] && ok "jacobi == greedy, N = 1..9, seed $seed"
done
if [ -f data/tiny/model.safetensors ]; then
    g=$("$ARGEN" generate --model data/tiny --prompt "Once upon a time" --max-new-tokens 40 --json)
    j=$("$ARGEN" generate --model data/tiny --prompt "Once upon a time" --strategy jacobi --block 6 --max-new-tokens 40 --json 2>/dev/null)
    [ "$g" = "$j" ] && ok "jacobi == greedy on data/tiny" || bad "jacobi on data/tiny: $j vs $g"
    "$ARGEN" score --model data/tiny --text "Once upon a time there was a little cat." --trace "$T/tiny.json" >/dev/null &&
        validate "$T/tiny.json" && ok "score on data/tiny" || bad "score on data/tiny"
else
    echo "skip data/tiny is not there (make tiny-model)"
fi

# The KV cache made visible: same tokens; the trace says what each step processed.
a=$("$ARGEN" generate --model "$M" --ids 464,2068,7586 --max-new-tokens 6 --json --trace "$T/c1.json")
b=$("$ARGEN" generate --model "$M" --ids 464,2068,7586 --max-new-tokens 6 --json --trace "$T/c0.json" --no-kv-cache)
if [ "$a" = "$b" ] && $PY - "$T/c1.json" "$T/c0.json" <<'PYEOF'
import json, sys
c1, c0 = (json.load(open(f)) for f in sys.argv[1:])
cfg = c1["model"]["config"]; per = 2 * cfg["n_layer"] * cfg["n_embd"] * 4
for k, (s1, s0) in enumerate(zip(c1["steps"], c0["steps"])):
    n = s1["position"]
    assert s1["forward"]["tokens_processed"] == (3 if k == 0 else 1)
    assert s0["forward"]["tokens_processed"] == n and s0["forward"]["start_position"] == 0
    for s in (s1, s0):
        assert s["forward"]["kv_cache_positions"] == n and s["forward"]["kv_cache_bytes"] == n * per
PYEOF
then ok "KV cache: same tokens; tokens_processed and cache size per step"; else bad "KV cache trace: $a / $b"; fi

# --timing: one row per step; positions processed 1 with the cache, the context without.
"$ARGEN" generate --model "$M" --ids 1,2,3 --max-new-tokens 8 --json --timing "$T/t1.tsv" >/dev/null &&
"$ARGEN" generate --model "$M" --ids 1,2,3 --max-new-tokens 8 --json --timing "$T/t0.tsv" --no-kv-cache >/dev/null &&
$PY - "$T/t1.tsv" "$T/t0.tsv" <<'PYEOF' && ok "--timing rows" || bad "--timing"
import sys
def rows(f):
    lines = open(f).read().split("\n")
    assert lines[0].split("\t") == ["step", "position", "tokens_processed", "kv_cache_positions", "kv_cache_bytes", "seconds"]
    return [list(map(float, l.split("\t"))) for l in lines[1:] if l]
r1, r0 = rows(sys.argv[1]), rows(sys.argv[2])
assert len(r1) == len(r0) == 8
assert [r[2] for r in r1] == [3] + [1] * 7 and [r[2] for r in r0] == [3 + k for k in range(8)]
assert all(r[5] >= 0 for r in r1 + r0)
PYEOF

exit $fail
