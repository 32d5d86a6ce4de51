#!/bin/sh
# make-examples.sh - regenerates the example traces in this folder from the
# shipped model, and the figures in docs/img/ drawn from them.
#
#   sh traces/examples/make-examples.sh [MODEL [OUT [IMG]]]
#       MODEL  default data/tiny          OUT  default traces/examples
#       IMG    default docs/img (empty: no figures)
#
# Every trace is small (a few KB to a few hundred KB): few new tokens, the
# full-level one only 2.  Run from the repository root after `make`.
set -e
MODEL=${1:-data/tiny}
OUT=${2:-traces/examples}
IMG=${3-docs/img}
ARGEN=${ARGEN:-build/argen}
PROMPT="Once upon a time"
[ -f "$MODEL/config.json" ] || { echo "make-examples.sh: $MODEL has no config.json (make tiny-model)" >&2; exit 1; }
mkdir -p "$OUT"
g() { # name args...
    name=$1; shift
    "$ARGEN" generate --model "$MODEL" --prompt "$PROMPT" --trace "$OUT/$name.json" "$@" >/dev/null
    echo "$OUT/$name.json"
}
g greedy-summary --strategy greedy --max-new-tokens 8 --top-n 8
g top-k-summary --strategy top-k --top-k 40 --temperature 0.8 --seed 42 --max-new-tokens 8 --top-n 10
g top-p-summary --strategy top-p --top-p 0.9 --seed 42 --max-new-tokens 8 --top-n 10
g beam-summary --strategy beam --beams 3 --max-new-tokens 5
g full-2-tokens --strategy top-k --top-k 40 --seed 42 --max-new-tokens 2 --trace-level full --top-n 5
g jacobi --strategy jacobi --block 4 --max-new-tokens 8
"$ARGEN" compare --model "$MODEL" --prompt "$PROMPT" --strategies greedy,top-k=40,top-p=0.9,beam=3 --seed 42 \
    --max-new-tokens 10 --json "$OUT/compare.json" >/dev/null
echo "$OUT/compare.json"
"$ARGEN" score --model "$MODEL" --text "Once upon a time there was a little cat named Tom. Tom lived in a castle near the river. One day, Tom went to the moon." \
    --free-from 12 --trace "$OUT/score.json" >/dev/null
echo "$OUT/score.json"
# ---- one example per phenomenon (tests/test_phenomena.sh checks each is there) ----
# 1. greedy's repetition loop: with end-of-text suppressed, greedy tells the
#    same story again and again, word for word (compare's loop detector fires).
"$ARGEN" compare --model "$MODEL" --prompt "<|endoftext|>" --strategies greedy --ignore-eos \
    --max-new-tokens 250 --json "$OUT/loop-greedy.json" >/dev/null
echo "$OUT/loop-greedy.json"
# 2. top-k and top-p on the same draws: at step 4 top-p keeps 4 animals, top-k 40
#    tokens, and the same u picks " dog" under one and " bird" under the other.
"$ARGEN" generate --model "$MODEL" --prompt "$PROMPT" --strategy top-p --top-p 0.9 --seed 1 \
    --max-new-tokens 12 --top-n 12 --trace "$OUT/top-p-vs-top-k.json" >/dev/null
"$ARGEN" compare --model "$MODEL" --prompt "$PROMPT" --strategies top-k=40,top-p=0.9 --shared-draws --seed 1 \
    --max-new-tokens 30 --json "$OUT/compare-top-k-top-p.json" >/dev/null
echo "$OUT/top-p-vs-top-k.json $OUT/compare-top-k-top-p.json"
# 3. beam search finds a continuation greedy missed, with a higher total log-probability.
"$ARGEN" compare --model "$MODEL" --prompt "$PROMPT" --strategies greedy,beam=3 \
    --max-new-tokens 10 --json "$OUT/beam-vs-greedy.json" >/dev/null
"$ARGEN" generate --model "$MODEL" --prompt "$PROMPT" --strategy beam --beams 3 --max-new-tokens 10 \
    --trace "$OUT/beam-10.json" >/dev/null
echo "$OUT/beam-vs-greedy.json $OUT/beam-10.json"
# 4. teacher forcing against free generation: the true text vs the model's own choices.
"$ARGEN" score --model "$MODEL" --text "Once upon a time there was a young fox named Sam. Sam lived in a castle near the river. One day, Sam went to the moon." \
    --free-from 10 --trace "$OUT/drift.json" >/dev/null
echo "$OUT/drift.json"
# 5. the KV cache: positions each step forwards, with and without the cache.
"$ARGEN" generate --model "$MODEL" --prompt "$PROMPT" --ignore-eos --max-new-tokens 200 --timing "$OUT/kv-cache.tsv" >/dev/null
"$ARGEN" generate --model "$MODEL" --prompt "$PROMPT" --ignore-eos --max-new-tokens 200 --no-kv-cache --timing "$OUT/no-kv-cache.tsv" >/dev/null
echo "$OUT/kv-cache.tsv $OUT/no-kv-cache.tsv"
# 6. Jacobi with the prompt-lookup guess: a pass that fixes several tokens at once.
"$ARGEN" generate --model "$MODEL" --prompt "$PROMPT" --strategy jacobi --block 4 --max-new-tokens 100 \
    --trace "$OUT/jacobi-lookup.json" >/dev/null 2>&1
echo "$OUT/jacobi-lookup.json"
ls -l "$OUT"/*.json
[ -n "$IMG" ] || exit 0
T=$(mktemp -d /tmp/argen-examples.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$ARGEN" render "$OUT/top-k-summary.json" --out "$T" --kind probs --step 2 >/dev/null
"$ARGEN" render "$OUT/beam-summary.json" --out "$T/beam" --kind tree >/dev/null
"$ARGEN" render "$OUT/score.json" --out "$T" --kind score >/dev/null
"$ARGEN" render "$OUT/jacobi.json" --out "$T" --kind jacobi >/dev/null
mkdir -p "$IMG"
cp "$T/probs-2.png" "$IMG/probs-top-k.png"
cp "$T/beam/tree.png" "$IMG/tree-beam.png"
cp "$T/score.png" "$IMG/score.png"
cp "$T/jacobi.png" "$IMG/jacobi.png"
ls -l "$IMG"/probs-top-k.png "$IMG"/tree-beam.png "$IMG"/score.png "$IMG"/jacobi.png
