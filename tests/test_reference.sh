#!/bin/sh
# test_reference.sh - `argen logits` against the independent float64
# reference (tests/ref/gpt2_ref.py) on random checkpoints of several shapes,
# the GPT-2 124M shape among them, written both by numpy
# (tests/ref/make_checkpoint.py, independent of argen's writer) and by
# `argen init`.  Pass: max |argen - reference| <= 1e-4 at every position and
# every vocabulary entry, with and without --no-kv-cache and --all-positions.
# Nothing is committed: the checkpoints are made in a temporary folder and
# removed.  Needs /usr/bin/python3 with numpy (python3-numpy); the 124M
# cases write two ~250-500 MB files and take most of the ~40 s.
#
#   BUILD=build sh tests/test_reference.sh
set -u
BUILD=${BUILD:-build}
ARGEN=$BUILD/argen
PY=/usr/bin/python3
REF=tests/ref/gpt2_ref.py
MAKE_CKPT=tests/ref/make_checkpoint.py
TOL=1e-4

[ -x "$ARGEN" ] || { echo "FAIL: $ARGEN not built"; exit 1; }
$PY -c "import numpy" 2>/dev/null || { echo "FAIL: $PY lacks numpy (apt-get install python3-numpy)"; exit 1; }
TMP=$(mktemp -d /tmp/argen_test_reference.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM
failed=0

# the reference's own hand-derived cases and sensitivity checks first
$PY $REF --self-test || failed=$((failed + 1))

# check NAME IDS [--no-kv-cache] [--last]: argen against the reference on $TMP/NAME
check() {
    name=$1; ids=$2; shift 2
    all=--all-positions; extra=""
    for a in "$@"; do
        case $a in --last) all="" ;; *) extra="$extra $a" ;; esac
    done
    # shellcheck disable=SC2086
    if ! "$ARGEN" logits --model "$TMP/$name" --ids "$ids" $all $extra > "$TMP/$name.argen.json" 2> "$TMP/err"; then
        echo "FAIL $name: argen logits$extra exited non-zero: $(cat "$TMP/err")"
        failed=$((failed + 1))
        return
    fi
    # shellcheck disable=SC2086
    if ! $PY $REF --model "$TMP/$name" --ids "$ids" $all --check "$TMP/$name.argen.json" --tol $TOL; then
        echo "     ($name, argen logits $all$extra)"
        failed=$((failed + 1))
    fi
}

numpy_ckpt() {  # NAME make_checkpoint options...
    name=$1; shift
    $PY $MAKE_CKPT --out "$TMP/$name" "$@" || { echo "FAIL $name: make_checkpoint.py"; failed=$((failed + 1)); }
}

argen_ckpt() {  # NAME argen init options...
    name=$1; shift
    "$ARGEN" init --out "$TMP/$name" "$@" > /dev/null 2> "$TMP/err" ||
        { echo "FAIL $name: argen init: $(cat "$TMP/err")"; failed=$((failed + 1)); }
}

# ---- small shapes, every variant, every position ----
numpy_ckpt np_a --layers 2 --heads 4 --embd 32 --vocab 100 --positions 16 --seed 11 --dtype f32 --prefix --buffers --shuffle --untied
check np_a 5,99,0,42,42,7,13,88,1,2,3,64,64,10,99,50
check np_a 5,99,0,42,42,7,13,88,1,2,3,64,64,10,99,50 --no-kv-cache
check np_a 5,99,0 --last
numpy_ckpt np_b --layers 3 --heads 2 --embd 24 --vocab 77 --positions 10 --seed 12 --dtype bf16 --eps 1e-3
check np_b 76,0,1,2,3,4,5,6,7,76
numpy_ckpt np_c --layers 1 --heads 8 --embd 64 --vocab 300 --positions 20 --seed 13 --dtype f16 --prefix --untied --n-ctx-key
check np_c 299,1,17,17,200,3,150,0,42,42,8,9,10,11,12,13,14,15,16,299
check np_c 299,1,17,17,200,3 --no-kv-cache --last
numpy_ckpt np_d --layers 4 --heads 6 --embd 48 --vocab 513 --positions 32 --seed 14 --dtype f32 --style gpt2 --shuffle
check np_d 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,512
argen_ckpt ar_a --layers 2 --heads 3 --embd 48 --vocab 120 --positions 12 --seed 7 --dtype f32
check ar_a 0,119,5,5,60,61,62,1,2,3,4,119
argen_ckpt ar_b --layers 3 --heads 4 --embd 32 --vocab 64 --positions 9 --seed 8 --dtype f16 --untied
check ar_b 63,0,31,31,7,8,9,10,11
check ar_b 63,0,31,31,7,8,9,10,11 --no-kv-cache
argen_ckpt ar_c --layers 1 --heads 1 --embd 16 --vocab 40 --positions 6 --seed 9 --dtype bf16
check ar_c 39,0,1,2,3,39

# ---- the GPT-2 124M shape: 12 layers, 12 heads, n_embd 768, vocab 50257, 1024 positions ----
numpy_ckpt np_124m --layers 12 --heads 12 --embd 768 --vocab 50257 --positions 1024 --seed 15 --style gpt2 --dtype f32 --prefix --buffers
check np_124m 464,2068,7586,50256
rm -rf "$TMP/np_124m"
argen_ckpt ar_124m --layers 12 --heads 12 --embd 768 --vocab 50257 --positions 1024 --seed 16 --dtype bf16
check ar_124m 50256,464,2068 --no-kv-cache
rm -rf "$TMP/ar_124m"

if [ "$failed" -ne 0 ]; then
    echo "test_reference: $failed failed"
    exit 1
fi
echo "test_reference: all agree with the float64 reference within $TOL"
