#!/bin/sh
# test_train.sh - argen train and train-tokenizer on bad input, from the command
# line: each case a one-line message naming the file or option, the
# right exit code, and no checkpoint written.  A data file of arbitrary bytes
# is not bad input: byte-level BPE maps every byte, so it must train.
BUILD=${BUILD:-build}
ARGEN=$BUILD/argen
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

# expect NAME CODE SUBSTRING COMMAND...: exit code CODE, one stderr line containing SUBSTRING
expect() {
    name=$1 code=$2 sub=$3
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -eq "$code" ] && grep -qF -- "$sub" "$T/err" && [ "$(grep -c . "$T/err")" -le 2 ]; then
        ok "$name: $(tail -n 1 "$T/err")"
    else
        bad "$name: exit $rc (expected $code), stderr: $(cat "$T/err")"
    fi
}

# A small tokenizer and model to train.
"$ARGEN" corpus --out "$T/stories.txt" --bytes 20000 --seed 3 2>/dev/null
"$ARGEN" train-tokenizer --data "$T/stories.txt" --vocab-size 300 --out "$T/tok" 2>/dev/null
V=$(/usr/bin/python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$T/tok/vocab.json")
"$ARGEN" init --out "$T/m" --layers 1 --heads 2 --embd 16 --positions 32 --vocab "$V" --tokenizer "$T/tok" 2>/dev/null
TRAIN="--steps 2 --batch 1 --seq 8 --eval-every 0 --checkpoint-every 0"

expect "missing data file" 1 "nope.txt" "$ARGEN" train --data "$T/nope.txt" --model "$T/m" --out "$T/o1" $TRAIN
: >"$T/empty.txt"
expect "empty data file" 1 "empty.txt" "$ARGEN" train --data "$T/empty.txt" --model "$T/m" --out "$T/o2" $TRAIN
[ ! -e "$T/o1" ] && [ ! -e "$T/o2" ] && ok "no checkpoint written for bad data" || bad "a checkpoint was written for bad data"

# Every byte value, invalid UTF-8 and NULs included: trains.
/usr/bin/python3 -c "import sys; sys.stdout.buffer.write(bytes(range(256)) * 4 + b'\xff\xfe\xc3(' * 10)" >"$T/bytes.bin"
if "$ARGEN" train --data "$T/bytes.bin" --model "$T/m" --out "$T/o3" $TRAIN >/dev/null 2>"$T/err" &&
   "$ARGEN" info --model "$T/o3" >/dev/null 2>&1; then
    ok "a data file of arbitrary bytes trains (byte-level BPE maps every byte)"
else
    bad "arbitrary bytes: $(cat "$T/err")"
fi

# The model folder's tokenizer has more tokens than the model's vocabulary.
"$ARGEN" init --out "$T/small" --layers 1 --heads 2 --embd 16 --positions 32 --vocab $((V - 10)) --tokenizer "$T/tok" 2>/dev/null
expect "tokenizer larger than the model" 1 "vocab" "$ARGEN" train --data "$T/stories.txt" --model "$T/small" --out "$T/o4" $TRAIN

# train-tokenizer
expect "train-tokenizer: missing data" 1 "nope.txt" "$ARGEN" train-tokenizer --data "$T/nope.txt" --vocab-size 300 --out "$T/t1"
expect "train-tokenizer: empty data" 1 "empty.txt" "$ARGEN" train-tokenizer --data "$T/empty.txt" --vocab-size 300 --out "$T/t2"
expect "train-tokenizer: vocab size too small" 2 "--vocab-size" "$ARGEN" train-tokenizer --data "$T/stories.txt" --vocab-size 10 --out "$T/t3"
expect "train: bad --lr" 2 "--lr" "$ARGEN" train --data "$T/stories.txt" --model "$T/m" --out "$T/o5" --lr 0

[ "$fail" -eq 0 ] && echo "test_train: ok"
exit "$fail"
