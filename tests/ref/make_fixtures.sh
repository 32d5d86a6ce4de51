#!/bin/sh
# Regenerates the committed forward-pass fixtures in tests/data/forward/:
# for each NAME a checkpoint folder NAME/ written by make_checkpoint.py (numpy
# only) and NAME.json, the float64 logits at every position computed by
# gpt2_ref.py (never by argen).  Run from the repository root:
#     sh tests/ref/make_fixtures.sh
# It also prints, for each fixture, how far each plausible implementation slip
# moves the logits, and fails if one of them would hide under the 1e-4
# tolerance the tests use.
set -e
PY=/usr/bin/python3
OUT=tests/data/forward
mkdir -p "$OUT"
fixture() {  # NAME "IDS" make_checkpoint options...
    name=$1; ids=$2; shift 2
    rm -rf "$OUT/$name"
    $PY tests/ref/make_checkpoint.py --out "$OUT/$name" "$@"
    $PY tests/ref/gpt2_ref.py --model "$OUT/$name" --ids "$ids" --all-positions > "$OUT/$name.json"
    $PY tests/ref/gpt2_ref.py --model "$OUT/$name" --ids "$ids" --sensitivity
}
# F32, "transformer." prefix, tied, attn.bias/masked_bias buffers, shuffled order; T = P = 12
fixture f32_prefix_tied 3,49,0,17,17,8,42,1,23,49,5,30 \
    --layers 2 --heads 3 --embd 24 --vocab 50 --positions 12 --seed 1 --dtype f32 --prefix --buffers --shuffle
# F16, no prefix, untied lm_head, "n_ctx" in config.json, head size 3; T = P = 9
fixture f16_plain_untied 36,0,7,7,12,35,1,20,9 \
    --layers 3 --heads 4 --embd 12 --vocab 37 --positions 9 --seed 2 --dtype f16 --untied --n-ctx-key
# BF16, prefix, untied, buffers, shuffled, layer_norm_epsilon 1e-3; T = 7 < P = 8
fixture bf16_prefix_untied 28,4,4,0,13,27,2 \
    --layers 1 --heads 2 --embd 16 --vocab 29 --positions 8 --seed 3 --dtype bf16 --untied --prefix --buffers --shuffle --eps 1e-3
# F32, no prefix, tied, a single head; T = P = 6
fixture f32_plain_onehead 18,2,9,0,18,11 \
    --layers 2 --heads 1 --embd 8 --vocab 19 --positions 6 --seed 4 --dtype f32
ls -l "$OUT"
