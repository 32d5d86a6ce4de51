#!/bin/sh
# Rebuilds the shipped model data/tiny from scratch, with argen alone:
#   1. the story corpus (argen corpus), 2. a BPE vocabulary (argen train-tokenizer),
#   3. random GPT-2 weights (argen init), 4. teacher-forced training (argen train),
#   5. the model card: the learned-vs-true table (argen corpus --evaluate) and a loss curve.
# Every step is seeded, so the same commands give the same model on the same build.
# Usage: sh tools/make-tiny-model.sh [OUT_DIR]   (default data/tiny)
set -eu
ARGEN=${ARGEN:-build/argen}
OUT=${1:-data/tiny}
WORK=${WORK:-build/tiny-work}
VOCAB=${VOCAB:-512}
SHAPE=${SHAPE:-"--layers 4 --heads 4 --embd 128 --positions 256"}
TRAIN=${TRAIN:-"--steps 1500 --batch 8 --seq 128 --lr 3e-3 --warmup 100 --weight-decay 0.1 --clip 1 --eval-every 100 --checkpoint-every 250 --seed 1"}
CORPUS_BYTES=${CORPUS_BYTES:-4000000}

mkdir -p "$WORK"
start=$(date +%s)
echo "== 1/5 corpus ($CORPUS_BYTES bytes)"
"$ARGEN" corpus --out "$WORK/stories.txt" --bytes "$CORPUS_BYTES" --seed 1
echo "== 2/5 tokenizer (vocab $VOCAB)"
"$ARGEN" train-tokenizer --data "$WORK/stories.txt" --vocab-size "$VOCAB" --out "$WORK/tokenizer"
echo "== 3/5 init ($SHAPE)"
# shellcheck disable=SC2086
"$ARGEN" init --out "$WORK/init" $SHAPE --vocab "$VOCAB" --seed 1 --tokenizer "$WORK/tokenizer"
echo "== 4/5 train ($TRAIN)"
rm -rf "$WORK/trained"
t0=$(date +%s)
# shellcheck disable=SC2086
"$ARGEN" train --data "$WORK/stories.txt" --model "$WORK/init" --out "$WORK/trained" $TRAIN
t1=$(date +%s)
echo "== 5/5 model card"
"$ARGEN" corpus --evaluate --model "$WORK/trained" --json > "$WORK/branch_eval.json"
mkdir -p "$OUT"
for f in config.json model.safetensors vocab.json merges.txt train_log.tsv; do cp "$WORK/trained/$f" "$OUT/$f"; done
cp "$WORK/branch_eval.json" "$OUT/branch_eval.json"
"$ARGEN" generate --model "$OUT" --prompt "Once upon a time" --strategy greedy --max-new-tokens 100 > "$WORK/greedy.txt" || true
"$ARGEN" generate --model "$OUT" --prompt "Once upon a time" --strategy top-k --top-k 40 --seed 42 --max-new-tokens 100 > "$WORK/topk.txt" || true
/usr/bin/python3 tools/model_card.py --out "$OUT" --train-seconds $((t1 - t0)) --total-seconds $(( $(date +%s) - start )) \
    --shape "$SHAPE" --train "$TRAIN" --vocab "$VOCAB" --corpus-bytes "$CORPUS_BYTES" \
    --greedy "$WORK/greedy.txt" --topk "$WORK/topk.txt"
echo "wrote $OUT"
