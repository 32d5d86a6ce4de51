#!/bin/sh
# Writes the traces that the notebooks in notebooks/ read, from one model:
#
#   sh notebooks/make_traces.sh [MODEL_DIR] [OUT_DIR]   (default data/tiny build/notebook-traces)
#
#   step-full.json     full trace: sampling with top-k and top-p (notebooks 01, 02, 04)
#   greedy.json, top-k.json, top-p.json, beam.json
#                      summary traces of each strategy, same seed and prompt (notebook 03)
#   compare.json       argen compare --shared-draws over the same four (notebook 03):
#                      with shared draws, column c uses the stream that
#                      `argen generate --seed S` uses, so it matches the traces above
#   score.json         argen score --free-from 7 over a corpus story: teacher forcing, and
#                      greedy from its first 7 tokens beside it (notebook 03)
#   teacher.json       argen logits --all-positions over the same story, and
#   free.json          argen generate greedy from its first 7 tokens: to check score.json against
#   branch_eval.json   argen corpus --evaluate: learned vs true next words (notebook 05)
#
# Environment: ARGEN (default build/argen), PROMPT, SEED, STEPS (new tokens per trace).
set -eu
ARGEN=${ARGEN:-build/argen}
MODEL=${1:-data/tiny}
OUT=${2:-build/notebook-traces}
PROMPT=${PROMPT:-"Once upon a time there was a"}
SEED=${SEED:-42}
STEPS=${STEPS:-30}
PY=/usr/bin/python3

[ -f "$MODEL/config.json" ] || { echo "make_traces.sh: no model in $MODEL (config.json missing; make tiny-model?)" >&2; exit 1; }
mkdir -p "$OUT"

# One real step, every tensor: sampling with both cut-offs, so the table says
# what top-k and top-p each kept.  16 new tokens keep the file small.
"$ARGEN" generate --model "$MODEL" --prompt "$PROMPT" --strategy sample --top-k 20 --top-p 0.9 \
    --seed "$SEED" --max-new-tokens 16 --top-n 40 --trace-level full --trace "$OUT/step-full.json" >/dev/null

# The same prompt under each strategy, summary level.
"$ARGEN" generate --model "$MODEL" --prompt "$PROMPT" --strategy greedy --seed "$SEED" \
    --max-new-tokens "$STEPS" --trace "$OUT/greedy.json" >/dev/null
"$ARGEN" generate --model "$MODEL" --prompt "$PROMPT" --strategy top-k --top-k 40 --seed "$SEED" \
    --max-new-tokens "$STEPS" --trace "$OUT/top-k.json" >/dev/null
"$ARGEN" generate --model "$MODEL" --prompt "$PROMPT" --strategy top-p --top-p 0.9 --seed "$SEED" \
    --max-new-tokens "$STEPS" --trace "$OUT/top-p.json" >/dev/null
"$ARGEN" generate --model "$MODEL" --prompt "$PROMPT" --strategy beam --beams 4 --seed "$SEED" \
    --max-new-tokens "$STEPS" --trace "$OUT/beam.json" >/dev/null
"$ARGEN" compare --model "$MODEL" --prompt "$PROMPT" --strategies greedy,top-k=40,top-p=0.9,beam=4 \
    --shared-draws --seed "$SEED" --max-new-tokens "$STEPS" --json "$OUT/compare.json" >/dev/null

# Teacher forcing against free generation: the first 48 tokens of a corpus
# story, scored in one pass, and greedy from its first 7 tokens.
ids=$("$ARGEN" corpus --sample 1 --seed 3 | head -n 1 | "$ARGEN" tokenize --model "$MODEL" --json |
    $PY -c 'import json, sys; print(",".join(str(i) for i in json.load(sys.stdin)["ids"][:48]))')
prefix=$(echo "$ids" | cut -d, -f1-7)
n_ref=$(echo "$ids" | tr ',' '\n' | wc -l)
"$ARGEN" score --model "$MODEL" --ids "$ids" --free-from 7 --trace "$OUT/score.json" >/dev/null
"$ARGEN" logits --model "$MODEL" --ids "$ids" --all-positions --no-kv-cache > "$OUT/teacher.json"
"$ARGEN" generate --model "$MODEL" --ids "$prefix" --strategy greedy \
    --max-new-tokens $((n_ref - 7)) --trace "$OUT/free.json" >/dev/null

"$ARGEN" corpus --evaluate --model "$MODEL" --json > "$OUT/branch_eval.json"
echo "make_traces.sh: wrote $OUT (model $MODEL)"
