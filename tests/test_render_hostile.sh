#!/bin/sh
# argen render and the notebooks' loader on hostile traces (made from the
# committed examples by tests/make_hostile_traces.py): attention shapes that
# ask for gigabytes or wrap a 64-bit product are refused naming the field
# before anything is allocated; special files are refused before a byte is
# read; a beam with no ids is refused; seeds up to 2^53 (what generate
# writes) are read; a null where a number belongs is named as a non-finite
# value; tokens made of every ASCII punctuation and control byte give DOT
# that Graphviz's dot accepts for every kind; positions near INT_MAX are
# printed as they are; nesting 100000 deep is refused by the notebooks'
# loader with its own error.
BUILD=${BUILD:-build}
ARGEN="$BUILD/argen"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/argen_test_render_hostile.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

command -v dot >/dev/null 2>&1 || { bad "Graphviz dot is not installed (make test installs it)"; exit 1; }
$PY tests/make_hostile_traces.py "$T/h" || { bad "tests/make_hostile_traces.py"; exit 1; }

# refused: NAME EXIT MESSAGE-SUBSTRING; under a 1 GB address-space limit, so
# a reader that allocates first fails with "out of memory" instead.
refused() {
    (ulimit -v 1000000; "$ARGEN" render "$T/h/$1.json" --out "$T/out" >/dev/null 2>"$T/err"); rc=$?
    if [ "$rc" -eq "$2" ] && grep -qF -- "$3" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ]; then ok "$1: exit $rc, '$3'"
    else bad "$1: expected exit $2 and one line with '$3', got exit $rc: $(head -c 300 "$T/err")"; fi
}
refused attention-huge 1 "steps[0].forward.layers[0].attention: declares 4x1x2000000000 weights (heads x query_positions x key_count) but holds 16"
refused attention-wrap 1 "steps[0].forward.layers[0].attention: declares 131072x131072x1073741824 weights"
refused beam-empty 1 "steps[0].beams[0].ids: expected at least one id"
refused seed-too-big 1 "seed: expected an integer in [0, 2^53]"
refused nan-logit 1 "steps[1].logits.top[0].logit: expected a number, got null (argen writes NaN and infinity as null"

if "$ARGEN" render "$T/h/seed-big.json" --out "$T/out" --kind tree >/dev/null 2>"$T/err"; then ok "seed 2^53 is read"
else bad "seed 2^53: $(cat "$T/err")"; fi

# special files: refused before they are read (a FIFO would block, /dev/zero never end)
mkfifo "$T/fifo"
for f in "$T/fifo" /dev/zero "$T"; do
    timeout 10 "$ARGEN" render "$f" --out "$T/out" >/dev/null 2>"$T/err"; rc=$?
    if [ "$rc" -eq 1 ] && grep -q "expected a regular file" "$T/err"; then ok "render $f: refused"
    else bad "render $f: exit $rc: $(cat "$T/err")"; fi
done

# every ASCII punctuation and control byte in token text: dot accepts every kind
for f in "$T"/h/punct-*.json; do
    name=$(basename "$f" .json)
    for k in step probs attention heatmap tree compare score jacobi; do
        rm -rf "$T/out"
        "$ARGEN" render "$f" --out "$T/out" --kind "$k" --format svg >/dev/null 2>"$T/err"; rc=$?
        if [ "$rc" -eq 2 ] && grep -q "cannot be drawn" "$T/err"; then continue; fi
        if [ "$rc" -eq 0 ]; then ok "$name --kind $k: dot accepts it"
        else bad "$name --kind $k: exit $rc: $(head -c 300 "$T/err")"; fi
    done
done

# positions near INT_MAX are printed as they are (no signed overflow)
rm -rf "$T/out"
if "$ARGEN" render "$T/h/jacobi-int-max.json" --out "$T/out" --kind jacobi --format svg >/dev/null 2>"$T/err" &&
    grep -q "positions 2147483647..2147483650" "$T/out/jacobi.dot" && grep -q "pos 2147483650<" "$T/out/jacobi.dot"; then
    ok "jacobi: start_position INT_MAX drawn as positions 2147483647..2147483650"
else
    bad "jacobi: start_position INT_MAX: $(cat "$T/err") $(grep -o 'positions [-0-9.]*' "$T/out/jacobi.dot" 2>/dev/null | head -1)"
fi
if "$ARGEN" render "$T/h/probs-rank-max.json" --out "$T/out" --kind probs --step 7 --format svg >/dev/null 2>"$T/err"; then
    ok "probs: rank INT_MAX drawn"
else
    bad "probs: rank INT_MAX: $(cat "$T/err")"
fi

# the notebooks' loader: its own error, not RecursionError, on deep nesting and NaN
for f in deep nan-logit; do
    out=$(cd notebooks && $PY -c "
import sys, argen_trace
try:
    argen_trace.load_trace(sys.argv[1])
except argen_trace.TraceError as e:
    print('TraceError: %s' % e)
" "$T/h/$f.json" 2>&1)
    case "$out" in
    "TraceError: "*"nested deeper than 256 levels"*|"TraceError: "*"logit: None is not of type 'number' (argen writes NaN"*) ok "notebooks loader, $f: $out" ;;
    *) bad "notebooks loader, $f: $(echo "$out" | tail -1)" ;;
    esac
done
out=$(cd notebooks && timeout 10 $PY -c "
import sys, argen_trace
try:
    argen_trace.load_trace(sys.argv[1])
except argen_trace.TraceError as e:
    print('TraceError: %s' % e)
" "$T/fifo" 2>&1)
case "$out" in "TraceError: "*"not a regular file"*) ok "notebooks loader, FIFO: refused" ;; *) bad "notebooks loader, FIFO: $out" ;; esac

[ "$fail" -eq 0 ] && echo "test_render_hostile: ok"
exit "$fail"
