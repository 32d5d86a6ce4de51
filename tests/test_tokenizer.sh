#!/bin/sh
# test_tokenizer.sh - the tokenizer commands end to end: tokenize, detokenize,
# --trace, train-tokenizer, and their option errors.  Fetches data/gpt2 with
# `make gpt2-tokenizer` when it is missing.
BUILD=${BUILD:-build}
A=$BUILD/argen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_tokenizer: FAIL: $*"; exit 1; }
[ -f data/gpt2/vocab.json ] && [ -f data/gpt2/merges.txt ] || make -s gpt2-tokenizer || fail "cannot fetch data/gpt2"

# GPT-2's ids for a known sentence (js-tiktoken gpt2: 15496 995 0 632 338 257 1332 13).
out=$(printf "Hello world! It's a test." | $A tokenize --model data/gpt2 --json) || fail "tokenize --json"
[ "$out" = '{"ids":[15496,995,0,632,338,257,1332,13]}' ] || fail "tokenize --json gave $out"
out=$(printf 'a<|endoftext|>b' | $A tokenize --model data/gpt2 --json)
[ "$out" = '{"ids":[64,50256,65]}' ] || fail "special token: $out"
out=$(printf 'a<|endoftext|>b' | $A tokenize --model data/gpt2 --json --no-special)
[ "$out" = '{"ids":[64,27,91,437,1659,5239,91,29,65]}' ] || fail "--no-special: $out"
# The table shows offsets and visible spaces.
printf ' hi\n' | $A tokenize --model data/gpt2 > "$tmp/table" || fail "tokenize table"
grep -q '␣hi' "$tmp/table" && grep -q '\\n' "$tmp/table" || fail "table: $(cat "$tmp/table")"

# Round trip of arbitrary bytes (invalid UTF-8 included) through both commands.
printf 'caf\303\251 \377\376 \342\202 x<|endoftext|>\r\n  end' > "$tmp/in"
$A tokenize --model data/gpt2 --json < "$tmp/in" | sed 's/.*\[//; s/\].*//' > "$tmp/ids"
$A detokenize --model data/gpt2 < "$tmp/ids" > "$tmp/out" || fail "detokenize"
cmp -s "$tmp/in" "$tmp/out" || fail "round trip through tokenize | detokenize"
$A detokenize --model data/gpt2 --ids 15496,995 > "$tmp/out2" && [ "$(cat "$tmp/out2")" = "Hello world" ] || fail "--ids"

# --trace: valid JSON with each word's merges.
printf 'Hello there' | $A tokenize --model data/gpt2 --trace "$tmp/trace.json" > /dev/null || fail "--trace"
python3 -c "
import json, sys
t = json.load(open(sys.argv[1]))
w = t['words']
assert [x['text'] for x in w] == ['Hello', ' there'], w
assert len(w[0]['symbols']) == 5 and w[0]['ids'] == [15496], w[0]
assert w[0]['merges'] and all(a['rank'] < 50000 for a in w[0]['merges'])
assert t['ids'] == [15496, 612]
" "$tmp/trace.json" || fail "trace content"

# Option errors: exit 2 with a line naming the option.
$A tokenize --help > /dev/null || fail "tokenize --help"
$A detokenize --help > /dev/null || fail "detokenize --help"
$A train-tokenizer --help > /dev/null || fail "train-tokenizer --help"
$A tokenize < /dev/null 2> "$tmp/err"; [ $? -eq 2 ] && grep -q -- '--model' "$tmp/err" || fail "tokenize without --model"
$A tokenize --model data/gpt2 --bogus < /dev/null 2> "$tmp/err"; [ $? -eq 2 ] || fail "unknown option"
echo 5 99999 | $A detokenize --model data/gpt2 2> "$tmp/err"; [ $? -eq 2 ] && grep -q '99999' "$tmp/err" || fail "bad id"
$A tokenize --model "$tmp/none" < /dev/null 2> "$tmp/err"; [ $? -eq 1 ] && grep -q 'vocab.json' "$tmp/err" || fail "missing model"
$A train-tokenizer --data "$tmp/in" --vocab-size 12 --out "$tmp/m" 2> "$tmp/err"; [ $? -eq 2 ] && grep -q '257' "$tmp/err" || fail "vocab size range"
: > "$tmp/empty"
$A train-tokenizer --data "$tmp/empty" --vocab-size 300 --out "$tmp/m" 2> "$tmp/err"; [ $? -eq 1 ] && grep -q 'empty' "$tmp/err" || fail "empty data"

# train-tokenizer writes a model that tokenize accepts and that round-trips.
printf 'the cat sat on the mat. the cat ran. the dog sat.\n' > "$tmp/train.txt"
$A train-tokenizer --data "$tmp/train.txt" --vocab-size 280 --out "$tmp/m" 2> /dev/null || fail "train-tokenizer"
head -1 "$tmp/m/merges.txt" | grep -q '^#version: 0.2$' || fail "merges.txt header"
$A tokenize --model "$tmp/m" --json < "$tmp/train.txt" | sed 's/.*\[//; s/\].*//' > "$tmp/ids2"
$A detokenize --model "$tmp/m" < "$tmp/ids2" | cmp -s - "$tmp/train.txt" || fail "trained round trip"
echo "test_tokenizer: ok"
