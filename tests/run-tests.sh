#!/bin/sh
# Runs every test of argen: each Check suite build/tests/check_*, then each
# script tests/test_*.sh (given the build folder as $1).  Prints one closing
# line "tests: N passed, N failed" and exits non-zero if anything failed.
BUILD=${1:-build}
passed=0
failed=0
failures=""
for t in "$BUILD"/tests/check_*; do
    [ -x "$t" ] || continue
    case "$t" in *.d) continue ;; esac
    echo "== $t"
    if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures="$failures $t"; fi
done
for t in tests/test_*.sh; do
    [ -f "$t" ] || continue
    echo "== $t"
    if BUILD="$BUILD" sh "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures="$failures $t"; fi
done
[ -n "$failures" ] && echo "failed:$failures"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
