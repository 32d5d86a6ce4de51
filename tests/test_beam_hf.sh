#!/bin/sh
# Beam search against an independent reference of Hugging Face's beam search
# (tests/ref/hf_beam_ref.py, numpy) on a checkpoint whose logits are a fixed
# vector: the repetition penalty applies to log-probabilities after
# log-softmax, the early-stopping rule, and --top-k past the vocabulary.
BUILD=${BUILD:-build}
ARGEN="$BUILD/argen"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/argen_test_beam_hf.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

make_model() {   # DIR EOS_LOGIT
    "$ARGEN" init --out "$1" --layers 1 --heads 1 --embd 8 --positions 32 --vocab 12 --seed 1 >/dev/null 2>&1 &&
        $PY tests/ref/hf_beam_ref.py fix-logits --model "$1" --seed 1 --eos-logit "$2"
}
make_model "$T/m" -30 || { bad "fixed-logits checkpoint"; exit 1; }
make_model "$T/e" 4.2 || { bad "fixed-logits checkpoint with a likely eos"; exit 1; }

# The checkpoint's logits are L at every position.
"$ARGEN" logits --model "$T/m" --ids 1,2,3 --all-positions >"$T/logits.json" || bad "argen logits"
$PY - "$T/m/logits.json" "$T/logits.json" <<'PY' && ok "the logits are the fixed vector at every position" || bad "fixed logits"
import json, sys
L = json.load(open(sys.argv[1]))["logits"]
rows = json.load(open(sys.argv[2]))["logits"]
assert len(rows) == 3, rows
for row in rows:
    assert max(abs(a - b) for a, b in zip(row, L)) < 1e-5, (row, L)
PY

# argen's beams against the reference: the same N scores, and each
# hypothesis's sum is its Hugging Face sum; the other order scores differently.
compare() {   # NAME MODEL BEAMS MAX_NEW PENALTY
    name=$1 m=$2 n=$3 k=$4 r=$5
    "$ARGEN" generate --model "$m" --ids 1,2 --strategy beam --beams "$n" --max-new-tokens "$k" \
        --repetition-penalty "$r" --json >"$T/argen.json" || { bad "$name: argen generate"; return; }
    if $PY - "$m/logits.json" "$T/argen.json" "$n" "$k" "$r" <<'PY'; then ok "$name"; else bad "$name"; fi
import json, sys
sys.path.insert(0, "tests/ref")
import numpy as np
import hf_beam_ref as ref
model = json.load(open(sys.argv[1]))
L, eos = np.array(model["logits"], dtype=np.float32), model["eos"]
got = json.load(open(sys.argv[2]))["beams"]
N, M, R = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
want = ref.beam_search(L, eos, [1, 2], N, M, R, 1.0, "hf")
other = ref.beam_search(L, eos, [1, 2], N, M, R, 1.0, "logits")
print("  argen     ", [(h["ids"], round(h["score"], 5)) for h in got])
print("  reference ", [(s[2:], round(sc, 5)) for sc, s, _ in want])
assert len(got) == len(want), (len(got), len(want))
for h, (score, _, _) in zip(got, want):
    assert abs(h["score"] - score) < 1e-4, ("score", h["score"], score)
    total = ref.sequence_sum(L, [1, 2], h["ids"], R)
    assert abs(h["sum_logprob"] - total) < 1e-4, ("sum", h["ids"], h["sum_logprob"], total)
assert abs(got[0]["score"] - other[0][0]) > 1e-2, ("the logit-first order gives the same best score", other[0][0])
PY
}
compare "beam 3, penalty 1.5, 8 tokens: Hugging Face's beams" "$T/m" 3 8 1.5
compare "beam 4, penalty 3, 6 tokens: Hugging Face's beams" "$T/m" 4 6 3
compare "beam 3, penalty 1.5, eos likely: Hugging Face's finished hypotheses" "$T/e" 3 10 1.5

# --top-k past the vocabulary keeps every token, as Hugging Face clamps it,
# and the trace says so.
"$ARGEN" generate --model "$T/m" --ids 1,2 --strategy top-k --top-k 1000 --seed 5 --max-new-tokens 6 \
    --trace "$T/k.json" --json >"$T/k1000.json" 2>"$T/k.err" || bad "--top-k 1000 over 12 tokens: exit $?: $(cat "$T/k.err")"
"$ARGEN" generate --model "$T/m" --ids 1,2 --strategy top-k --top-k 12 --seed 5 --max-new-tokens 6 \
    --json >"$T/k12.json" 2>/dev/null || bad "--top-k 12"
if $PY - "$T/k1000.json" "$T/k12.json" "$T/k.json" <<'PY'; then ok "--top-k 1000 over 12 tokens = --top-k 12, noted in the trace"; else bad "--top-k clamp"; fi
import json, sys
a, b, t = (json.load(open(p)) for p in sys.argv[1:])
assert a["ids"] == b["ids"], (a["ids"], b["ids"])
s = t["settings"]
assert s["top_k"] == 1000 and s["top_k_clamped_to"] == 12, s
assert all(step["selection"]["n_top_k"] == 12 for step in t["steps"])
PY
exit $fail
