#!/bin/sh
# test_generate_ref.sh - argen's generation loop against the independent
# float64 reference tests/ref/generate_ref.py (numpy forward pass of
# gpt2_ref.py, PCG32 and the processors mirrored from docs/generation.md):
#   * greedy continuations on random checkpoints of several shapes (numpy's
#     make_checkpoint.py with wide weights, so logits are well separated, and
#     `argen init`'s GPT-2 initialisation, a checkpoint whose logits come in
#     exactly tied pairs so ties must break toward the lower id), and on
#     data/tiny when it exists (override with TINY=DIR);
#   * seeded top-k / top-p / min-p / temperature / repetition-penalty runs:
#     argen's ids against the mirror's.  A draw within the float32 error of a
#     slice boundary (or a near-tie) is reported as skipped, not compared;
#   * every stop reason (eos, max_new_tokens, context_full);
#   * traces: they validate against traces/schema.json and every step's
#     probabilities, cumulative sums, truncations, slices, draw and pick are
#     recomputed from the trace's own logits (tolerance 1e-5); and mutated
#     traces and a wrong seed are caught, so the checks can fail.
BUILD=${BUILD:-build}
ARGEN="$BUILD/argen"
PY=/usr/bin/python3
REF=tests/ref/generate_ref.py
T=$(mktemp -d /tmp/argen_test_generate_ref.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0

$PY $REF --self-test || fail=1

# ---- the checkpoints ----
mk() { $PY tests/ref/make_checkpoint.py "$@" || { echo "FAIL make_checkpoint.py $*"; exit 1; }; }
mk --out "$T/wide2" --layers 2 --heads 2 --embd 32 --vocab 97 --positions 32 --seed 1
mk --out "$T/wide3" --layers 3 --heads 4 --embd 48 --vocab 211 --positions 40 --seed 2 --untied --prefix --buffers --shuffle --dtype f16
mk --out "$T/bf16" --layers 1 --heads 1 --embd 16 --vocab 64 --positions 24 --seed 3 --dtype bf16
mk --out "$T/gpt2style" --layers 2 --heads 4 --embd 32 --vocab 300 --positions 48 --seed 4 --style gpt2 --untied
# ties: every logit tied with its twin (wte rows 2k and 2k+1 equal, tied
# unembedding): ties must break toward the lower id, and top-k keeps exactly K.
$PY - "$T/ties" <<'PYEOF' || { echo "FAIL the ties checkpoint"; exit 1; }
import os, sys
import numpy as np
sys.path.insert(0, "tests/ref")
import make_checkpoint as mc
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
L, H, C, V, P = 2, 2, 16, 40, 32
w = dict(mc.make_weights(np.random.default_rng(21), L, C, V, P, False, "wide"))
w["wte.weight"][1::2] = w["wte.weight"][0::2]
mc.write_safetensors(os.path.join(out, "model.safetensors"), list(w.items()), "F32")
mc.write_config(os.path.join(out, "config.json"), L, H, C, V, P, 1e-5, False)
PYEOF
"$ARGEN" init --out "$T/init500" --layers 2 --heads 2 --embd 32 --vocab 500 --positions 64 --seed 5 >/dev/null 2>&1 &&
"$ARGEN" init --out "$T/init50k" --layers 1 --heads 2 --embd 32 --positions 48 --seed 9 >/dev/null 2>&1 ||
    { echo "FAIL argen init"; exit 1; }

# compare MODEL LOGIT_TOL IDS N [options of both]: argen's --json ids against the reference's.
# LOGIT_TOL: float32 error allowed on a logit (measured: ~2e-5 on the wide
# checkpoints, whose logits reach 30; ~1e-7 on GPT-2-initialised ones: ~5-10x
# those, so that a flip is only excused where float32 could really cause it).
# argen runs here; the reference runs once at the end over $T/cases (one
# Python process: numpy's start-up dominates otherwise).
case_n=0
: >"$T/cases"
compare() {
    m=$1 tol=$2 ids=$3 n=$4
    shift 4
    case_n=$((case_n + 1))
    out="$T/out-$case_n.json"
    if ! "$ARGEN" generate --model "$T/$m" --ids "$ids" --max-new-tokens "$n" --json "$@" >"$out" 2>"$T/err"; then
        echo "FAIL $m $*: argen exited non-zero: $(cat "$T/err")"
        fail=1
        return
    fi
    echo "--model $T/$m --ids $ids --max-new-tokens $n --logit-tol $tol --compare $out $*" >>"$T/cases"
}

# ---- greedy ----
compare wide2 1e-4 3,1,4,1,5 20 --strategy greedy
compare wide2 1e-4 90,2,17 20 --strategy greedy --repetition-penalty 1.8
compare wide3 1e-4 3,1,4,1,5 20 --strategy greedy
compare wide3 1e-4 7 25 --temperature 0 --strategy top-k
compare bf16 1e-4 1,2,3 30 --strategy greedy                       # stops at the 24-token window
compare gpt2style 1e-6 5,6,7,8 20 --strategy greedy --repetition-penalty 1.3
compare init500 1e-6 3,1,4,1,5 20 --strategy greedy --repetition-penalty 2
compare init50k 1e-6 464,2068,7586 12 --strategy greedy
compare ties 1e-4 2,5,8 16 --strategy greedy
compare ties 1e-4 2,5,8 16 --strategy greedy --repetition-penalty 1.5

# ---- sampled, seeded ----
compare wide2 1e-4 3,1,4,1,5 20 --strategy top-k --top-k 5 --temperature 4 --seed 1
compare wide2 1e-4 3,1,4,1,5 20 --strategy top-p --top-p 0.8 --temperature 3 --seed 2
compare wide2 1e-4 3,1,4,1,5 20 --strategy min-p --min-p 0.1 --temperature 5 --seed 3
compare wide2 1e-4 3,1,4,1,5 20 --strategy sample --temperature 2.5 --repetition-penalty 1.5 --seed 4
compare wide3 1e-4 11,12 20 --strategy sample --temperature 4 --top-k 20 --top-p 0.9 --min-p 0.02 --repetition-penalty 1.3 --seed 5
compare wide3 1e-4 11,12 20 --strategy top-p --temperature 6 --seed 6
compare wide2 1e-4 3,1,4,1,5 20 --strategy sample --temperature 4 --top-k 5 --top-p 0.6 --seed 5   # top-p renormalized after top-k
compare wide3 1e-4 11,12 20 --strategy top-k --top-k 1 --temperature 3 --seed 6
compare gpt2style 1e-6 5,6 20 --strategy sample --temperature 0.1 --seed 7
compare gpt2style 1e-6 5,6 20 --strategy min-p --min-p 0.9 --temperature 0.2 --seed 8
compare init500 1e-6 3,1,4 20 --strategy top-k --seed 9
compare init500 1e-6 3,1,4 20 --strategy top-p --top-p 0.3 --temperature 0.1 --seed 10
compare init500 1e-6 3,1,4 20 --strategy sample --temperature 0.05 --repetition-penalty 3 --seed 11
compare init50k 1e-6 464,2068 10 --strategy top-p --seed 12
compare ties 1e-4 2,5,8 16 --strategy top-k --top-k 1 --temperature 3 --seed 16
compare ties 1e-4 2,5,8 16 --strategy top-k --top-k 3 --temperature 3 --seed 17
compare ties 1e-4 2,5,8 16 --strategy sample --temperature 4 --top-p 0.7 --seed 18
compare init50k 1e-6 464,2068 10 --strategy top-k --top-k 40 --temperature 0.02 --seed 13

# ---- stop reasons: eos (eos_token_id set to a token greedy reaches), max_new_tokens 0, context_full ----
mkdir -p "$T/eos"
cp "$T/wide3/model.safetensors" "$T/eos/"
"$ARGEN" generate --model "$T/wide3" --ids 3,1,4,1,5 --max-new-tokens 6 --json >"$T/g.json"
$PY - "$T/g.json" "$T/wide3/config.json" "$T/eos/config.json" <<'PYEOF'
import json, sys
ids = json.load(open(sys.argv[1]))["ids"]
c = json.load(open(sys.argv[2]))
c["eos_token_id"] = ids[min(3, len(ids) - 1)]   # the first time greedy reaches it, it stops
json.dump(c, open(sys.argv[3], "w"))
PYEOF
compare eos 1e-4 3,1,4,1,5 20 --strategy greedy
grep -q '"stop_reason":"eos"' "$out" && echo "ok   eos stop: $(cat "$out")" || { echo "FAIL eos stop: $(cat "$out")"; fail=1; }
compare wide2 1e-4 3,1 0 --strategy greedy
compare bf16 1e-4 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23 5 --strategy top-k --temperature 3 --seed 1

# ---- the comparison has teeth: a wrong seed is a mismatch ----
"$ARGEN" generate --model "$T/wide2" --ids 3,1,4,1,5 --max-new-tokens 20 --json --strategy top-k --top-k 5 --temperature 4 --seed 1 >"$T/out.json"
if $PY $REF --model "$T/wide2" --ids 3,1,4,1,5 --max-new-tokens 20 --compare "$T/out.json" --strategy top-k --top-k 5 --temperature 4 --seed 2 >"$T/neg" 2>&1; then
    echo "FAIL the reference accepts seed 1's run as seed 2's: $(cat "$T/neg")"
    fail=1
else
    echo "ok   a wrong seed is caught: $(head -c 200 "$T/neg")"
fi

# ---- traces: schema, and the selection recomputed from the trace's own numbers ----
# trace MODEL LEVEL IDS N [options]
trace_n=0
trace() {
    m=$1 level=$2 ids=$3 n=$4
    shift 4
    trace_n=$((trace_n + 1))
    f="$T/trace-$trace_n-$m-$level.json"
    if ! "$ARGEN" generate --model "$T/$m" --ids "$ids" --max-new-tokens "$n" --json --trace "$f" --trace-level "$level" "$@" >"$T/tr.json" 2>"$T/err"; then
        echo "FAIL trace $m $*: argen exited non-zero: $(cat "$T/err")"
        fail=1
        return
    fi
    cp "$T/tr.json" "$f.out"
    echo "--check-trace $f --model $T/$m --json $f.out" >>"$T/cases"
    last_trace=$f
}
trace wide2 full 3,1,4 6 --strategy top-k --top-k 5 --temperature 4 --seed 1
trace wide3 full 11,12 6 --strategy sample --temperature 4 --top-k 20 --top-p 0.9 --min-p 0.02 --repetition-penalty 1.3 --seed 5
trace wide3 summary 11,12 6 --strategy sample --temperature 4 --top-k 20 --top-p 0.9 --min-p 0.02 --repetition-penalty 1.3 --seed 5
trace init500 full 3,1,4 6 --strategy greedy --repetition-penalty 1.7
trace init500 summary 3,1,4 6 --strategy min-p --temperature 0.7 --seed 3
trace init50k summary 464,2068 4 --strategy top-p --seed 12
trace gpt2style full 5,6 6 --strategy top-p --top-p 0.5 --temperature 0.3 --seed 14
full_trace=$last_trace
trace ties full 2,5,8 6 --strategy top-k --top-k 3 --temperature 3 --seed 17
trace gpt2style full 5,6 6 --strategy min-p --temperature 0.5 --min-p 0.3 --repetition-penalty 1.5 --seed 15

# Mutated traces must fail the check: a probability, a draw, a logit, a cut flag, a slice, an alternative.
$PY - "$full_trace" "$T" <<'PYEOF' || fail=1
import copy, json, sys
sys.path.insert(0, "tests/ref")
import generate_ref
src, tmp = sys.argv[1], sys.argv[2]
doc = json.load(open(src))
def mutate(name, f):
    d = copy.deepcopy(doc)
    f(d)
    p = "%s/mutated.json" % tmp
    json.dump(d, open(p, "w"))
    ck = generate_ref.check_trace(p)
    if ck.errors:
        print("ok   mutated trace caught (%s): %s" % (name, ck.errors[0][:120]))
        return 0
    print("FAIL mutated trace not caught: %s" % name)
    return 1
def row(d, step, rank):
    return [r for r in d["steps"][step]["selection"]["table"] if r["rank"] == rank][0]
bad = 0
bad += mutate("probability x (1 + 1e-4)", lambda d: row(d, 1, 2).update(probability=row(d, 1, 2)["probability"] * 1.0001))
bad += mutate("draw", lambda d: d["steps"][2]["selection"].update(draw=0.5))
bad += mutate("one logit of logits.all", lambda d: d["steps"][0]["logits"]["all"].__setitem__(
    row(d, 0, 4)["id"], d["steps"][0]["logits"]["all"][row(d, 0, 4)["id"]] + 1e-3))
bad += mutate("kept_top_p", lambda d: row(d, 0, 1).update(kept_top_p=False))
bad += mutate("slice", lambda d: row(d, 1, 1).update(slice=[0, row(d, 1, 1)["slice"][1] * 1.001]))
def other_alternative(d):
    alt = d["steps"][0]["selection"]["alternatives"]["top-k=40"]
    alt["id"] = [r["id"] for r in d["steps"][0]["selection"]["table"] if r["id"] != alt["id"]][0]
bad += mutate("alternative top-k=40", other_alternative)
bad += mutate("chosen token", lambda d: d["steps"][1]["selection"]["chosen"].update(id=row(d, 1, 8)["id"]))
bad += mutate("schema: a string probability", lambda d: row(d, 0, 1).update(probability="0.5"))
def ranks_from_zero(d):   # version 1's convention: every generate rank one lower
    for st in d["steps"]:
        for r in st["logits"]["top"] + st["selection"]["table"] + [st["selection"]["chosen"]]:
            r["rank"] -= 1
bad += mutate("ranks counted from 0", ranks_from_zero)
def chosen_rank_off_by_one(d):   # schema-valid (rank 2 >= 1) but not the chosen row's rank
    d["steps"][1]["selection"]["chosen"]["rank"] += 1
bad += mutate("chosen rank one off", chosen_rank_off_by_one)
sys.exit(1 if bad else 0)
PYEOF

# ---- the shipped model ----
# Its tolerance is measured: argen's logits over the greedy continuation
# against the float64 ones, times 10.
TINY=${TINY:-data/tiny}
if [ -f "$TINY/model.safetensors" ]; then
    i=0
    for opts in "--strategy greedy" "--strategy greedy --repetition-penalty 1.3" "--strategy top-k --top-k 40 --seed 42" "--strategy top-p --temperature 0.8 --seed 7"; do
        i=$((i + 1))
        # shellcheck disable=SC2086
        if ! "$ARGEN" generate --model "$TINY" --prompt "Once upon a time" --max-new-tokens 32 --json $opts >"$T/tiny-$i.json" 2>"$T/err"; then
            echo "FAIL $TINY $opts: $(cat "$T/err")"; fail=1; continue
        fi
        ids=$($PY -c 'import json,sys; print(",".join(map(str, json.load(open(sys.argv[1]))["prompt_ids"])))' "$T/tiny-$i.json")
        if [ $i -eq 1 ]; then
            all=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(map(str, d["prompt_ids"] + d["ids"])))' "$T/tiny-1.json")
            "$ARGEN" logits --model "$TINY" --ids "$all" --all-positions >"$T/tiny-logits.json" || fail=1
        fi
        echo "--model $TINY --ids $ids --max-new-tokens 32 --logit-tol-from $T/tiny-logits.json --compare $T/tiny-$i.json $opts" >>"$T/cases"
    done
    if "$ARGEN" generate --model "$TINY" --prompt "Once upon a time" --max-new-tokens 4 --json --trace "$T/tiny-trace.json" \
        --trace-level full --strategy top-k --seed 3 >"$T/tiny-trace.out"; then
        echo "--check-trace $T/tiny-trace.json --model $TINY --json $T/tiny-trace.out" >>"$T/cases"
    else
        echo "FAIL $TINY: argen generate --trace"; fail=1
    fi
else
    echo "skip $TINY: not built yet (make tiny-model)"
fi

# ---- the reference, over every case above ----
$PY $REF --batch "$T/cases" || fail=1

[ "$fail" -eq 0 ] && echo "test_generate_ref: all ok"
exit $fail
