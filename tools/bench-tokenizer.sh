#!/bin/sh
# bench-tokenizer.sh - encode throughput of argen's tokenizer next to
# js-tiktoken's gpt2 encoding on the same text (a benchmark, not a test).
#
#   make gpt2-tokenizer && (cd tests/ref && npm ci) && sh tools/bench-tokenizer.sh
#
# The text: argen's own sources and docs, repeated up to >= 1 MB (code and
# English prose).  argen's time is that of `argen tokenize --json` less that of
# the same command on empty input (loading vocab.json and merges.txt).
set -e
ARGEN=${ARGEN:-build/argen}
text=$(mktemp)
trap 'rm -f "$text"' EXIT
while [ "$(wc -c < "$text")" -lt 1048576 ]; do cat src/*/*.c src/*/*.h docs/*.md >> "$text"; done
bytes=$(wc -c < "$text")
best() {   # best of 3 wall times (s) of the command "$2..." reading file $1
    input=$1; shift
    b=999
    for r in 1 2 3; do
        s=$(date +%s.%N); "$@" < "$input" > /dev/null; e=$(date +%s.%N)
        b=$(awk -v s="$s" -v e="$e" -v b="$b" 'BEGIN { d = e - s; print (d < b) ? d : b }')
    done
    echo "$b"
}
load=$(best /dev/null "$ARGEN" tokenize --model data/gpt2 --json)
total=$(best "$text" "$ARGEN" tokenize --model data/gpt2 --json)
n=$("$ARGEN" tokenize --model data/gpt2 --json < "$text" | tr ',' '\n' | wc -l)
awk -v b="$bytes" -v t="$total" -v l="$load" -v n="$n" 'BEGIN {
    printf "argen:       %d bytes -> %d tokens in %.3f s (+ %.3f s load) = %.2f MB/s\n", b, n, t - l, l, b / 1e6 / (t - l) }'
node tests/ref/bench_tokenizer.mjs "$text"
