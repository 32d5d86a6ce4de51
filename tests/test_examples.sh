#!/bin/sh
# test_examples.sh - the front door, examples/generate.c, runs on the shipped
# model and tells the same story as `argen generate` with the same settings
# (top-k 40, T 0.8, seed 42): the example is the loop, not a copy of it.
set -u
BUILD=${BUILD:-build}
EX=$BUILD/examples/generate
[ -x "$EX" ] || { echo "test_examples: $EX is missing (make examples)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/argen-examples.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
fail=0
"$EX" data/tiny "Once upon a time" 30 >"$T/ex" 2>"$T/err" || { echo "FAIL examples/generate: $(cat "$T/err")"; exit 1; }
"$BUILD/argen" generate --model data/tiny --prompt "Once upon a time" --strategy top-k --top-k 40 \
    --temperature 0.8 --seed 42 --max-new-tokens 30 >"$T/cli" 2>/dev/null
head -n 1 "$T/ex" >"$T/ex_text"
if cmp -s "$T/ex_text" "$T/cli"; then echo "ok   examples/generate tells argen generate's story: $(cut -c1-60 "$T/ex_text")..."
else echo "FAIL examples/generate and argen generate differ:"; diff "$T/ex_text" "$T/cli"; fail=1; fi
if grep -q '^\[stopped: ' "$T/ex"; then echo "ok   it says why it stopped: $(tail -n 1 "$T/ex")"
else echo "FAIL no stop reason printed"; fail=1; fi
if "$EX" no/such/model >/dev/null 2>"$T/err"; then echo "FAIL a missing model folder exits 0"; fail=1
else echo "ok   a missing model: $(cat "$T/err")"; fi
exit $fail
