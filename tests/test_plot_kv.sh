#!/bin/sh
# test_plot_kv.sh - tools/plot_kv_timing.py plots as many tokens as asked
# (--ignore-eos: the shipped model's stories end after ~30 tokens otherwise),
# and the work it reports is linear with the KV cache and quadratic without:
# a prompt of P tokens and N new ones process P + N - 1 positions with the
# cache (the prompt once, then one token a step) and N*P + N(N-1)/2 without
# (every step the whole context).  A request past the context window is
# refused with one line.
set -eu
BUILD=${BUILD:-build}
PY=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/argen-plotkv.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "test_plot_kv: FAIL: $*"; exit 1; }
P=$("$BUILD/argen" tokenize --model data/tiny --json --text "Once upon a time" | tr -cd , | wc -c)
P=$((P + 1))
N=160
out=$("$PY" tools/plot_kv_timing.py --argen "$BUILD/argen" --tokens $N --out "$tmp/kv.png") || fail "the script failed"
[ -s "$tmp/kv.png" ] || fail "no PNG"
want="$N tokens, positions processed $((P + N - 1)) with the KV cache, $((N * P + N * (N - 1) / 2)) without"
case "$out" in *"$want"*) ;; *) fail "expected '$want', got '$out'" ;; esac
if "$PY" tools/plot_kv_timing.py --argen "$BUILD/argen" --tokens 400 --out "$tmp/no.png" > "$tmp/out" 2> "$tmp/err"; then
    fail "400 tokens past a 256-position window were accepted"
fi
grep -q "context window (256 positions) is full" "$tmp/err" || fail "unexpected message: $(cat "$tmp/err")"
[ ! -e "$tmp/no.png" ] || fail "a plot was written for a refused request"
echo "test_plot_kv: ok ($want)"
