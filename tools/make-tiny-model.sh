#!/bin/sh
# Rebuilds the shipped model data/tiny from scratch, with argen alone:
#   1. the story corpus (argen corpus)         2. a BPE vocabulary (argen train-tokenizer)
#   3. random GPT-2 weights (argen init)       4. teacher-forced training in two phases
#      (argen train: first 128-token windows, then the full 256-token window, which is
#      what teaches the position embeddings past 128)
#   5. the model card: the learned-vs-true table (argen corpus --evaluate) and a loss curve.
# Every step is seeded, so the same commands give the same model on the same build.
# A stage whose output is complete (a .done file) is not run again: an interrupted
# rebuild continues where it stopped.  `rm -rf build/tiny-work` starts afresh.
# Usage: sh tools/make-tiny-model.sh [OUT_DIR]   (default data/tiny)
set -eu
ARGEN=${ARGEN:-build/argen}
OUT=${1:-data/tiny}
WORK=${WORK:-build/tiny-work}
VOCAB=${VOCAB:-512}
SHAPE=${SHAPE:-"--layers 4 --heads 4 --embd 128 --positions 256"}
TRAIN1=${TRAIN1:-"--steps 1200 --batch 8 --seq 128 --lr 2e-3 --warmup 100 --weight-decay 0.1 --clip 1 --eval-every 100 --checkpoint-every 200 --seed 1"}
TRAIN2=${TRAIN2:-"--steps 400 --batch 8 --seq 256 --lr 1e-3 --warmup 20 --weight-decay 0.1 --clip 1 --eval-every 50 --checkpoint-every 100 --seed 2"}
CORPUS_BYTES=${CORPUS_BYTES:-4000000}

mkdir -p "$WORK"
start=$(date +%s)
stage() {  # stage NAME: true when NAME still has to run
    [ ! -f "$WORK/$1.done" ]
}
if stage corpus; then
    echo "== 1/5 corpus ($CORPUS_BYTES bytes)"
    "$ARGEN" corpus --out "$WORK/stories.txt" --bytes "$CORPUS_BYTES" --seed 1
    touch "$WORK/corpus.done"
fi
if stage tokenizer; then
    echo "== 2/5 tokenizer (vocab $VOCAB)"
    "$ARGEN" train-tokenizer --data "$WORK/stories.txt" --vocab-size "$VOCAB" --out "$WORK/tokenizer"
    touch "$WORK/tokenizer.done"
fi
if stage init; then
    echo "== 3/5 init ($SHAPE)"
    # shellcheck disable=SC2086
    "$ARGEN" init --out "$WORK/init" $SHAPE --vocab "$VOCAB" --seed 1 --tokenizer "$WORK/tokenizer"
    touch "$WORK/init.done"
fi
if stage train1; then
    echo "== 4/5 train, phase 1 ($TRAIN1)"
    rm -rf "$WORK/trained"
    t0=$(date +%s)
    # shellcheck disable=SC2086
    "$ARGEN" train --data "$WORK/stories.txt" --model "$WORK/init" --out "$WORK/trained" $TRAIN1
    echo $(( $(date +%s) - t0 )) > "$WORK/train1.done"
fi
if stage train2; then
    echo "== 4/5 train, phase 2 ($TRAIN2)"
    rm -rf "$WORK/trained2"
    t0=$(date +%s)
    # shellcheck disable=SC2086
    "$ARGEN" train --data "$WORK/stories.txt" --model "$WORK/trained" --out "$WORK/trained2" $TRAIN2
    echo $(( $(date +%s) - t0 )) > "$WORK/train2.done"
fi
echo "== 5/5 model card"
"$ARGEN" corpus --evaluate --model "$WORK/trained2" --json > "$WORK/branch_eval.json"
mkdir -p "$OUT"
for f in config.json model.safetensors vocab.json merges.txt; do cp "$WORK/trained2/$f" "$OUT/$f"; done
cp "$WORK/trained/train_log.tsv" "$OUT/train_log_phase1.tsv"
cp "$WORK/trained2/train_log.tsv" "$OUT/train_log_phase2.tsv"
cp "$WORK/branch_eval.json" "$OUT/branch_eval.json"
PROMPT="Once upon a time"
"$ARGEN" generate --model "$OUT" --prompt "$PROMPT" --strategy greedy --max-new-tokens 120 > "$WORK/greedy.txt"
"$ARGEN" generate --model "$OUT" --prompt "$PROMPT" --strategy top-k --top-k 40 --seed 42 --max-new-tokens 120 > "$WORK/topk.txt"
/usr/bin/python3 tools/model_card.py --out "$OUT" \
    --train-seconds $(( $(cat "$WORK/train1.done") + $(cat "$WORK/train2.done") )) \
    --shape "$SHAPE" --train "$TRAIN1" --train2 "$TRAIN2" --vocab "$VOCAB" --corpus-bytes "$CORPUS_BYTES" \
    --greedy "$WORK/greedy.txt" --topk "$WORK/topk.txt"
echo "wrote $OUT in $(( $(date +%s) - start )) s"
