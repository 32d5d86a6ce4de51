#!/bin/sh
# test_fuzz_replay.sh - replays every committed fuzz input as a regression
# test: each harness tests/fuzz/fuzz_NAME.c, built with the replay driver
# (tests/fuzz/replay.c) under clang -fsanitize=address,undefined into
# build/asan/fuzz/, runs every file of tests/fuzz/corpus/NAME/ and
# tests/fuzz/regressions/NAME/.  Passes when no input makes a sanitizer
# report or a harness check fail.  (`make fuzz` looks for new inputs.)
ASAN_BUILD=${ASAN_BUILD:-build/asan}   # another folder: ASAN_BUILD=build/NAME sh tests/test_fuzz_replay.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! command -v clang >/dev/null 2>&1; then
    echo "test_fuzz_replay: clang is missing (tests/install-deps.sh installs it)"; exit 1
fi
if ! sh tests/fuzz/build.sh replay "$ASAN_BUILD" >"$log" 2>&1; then
    cat "$log"; echo "test_fuzz_replay: the harnesses do not build"; exit 1
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
for h in tests/fuzz/fuzz_*.c; do
    name=$(basename "$h" .c); name=${name#fuzz_}
    dirs=""
    for d in tests/fuzz/corpus/$name tests/fuzz/regressions/$name; do [ -d "$d" ] && dirs="$dirs $d"; done
    if [ -z "$dirs" ]; then echo "  $name: no corpus"; failed=1; continue; fi
    if "$ASAN_BUILD/fuzz/$name" $dirs >"$log" 2>&1; then
        echo "  $name: $(grep '^replay: [0-9]' "$log")"
    else
        echo "  $name: FAILED on $(grep '^replay: running' "$log" | tail -1 | cut -d' ' -f3-)"
        grep -v -e '^argen fuzz' -e '^replay: running' "$log" | tail -40; failed=1
    fi
done
[ "$failed" -eq 0 ] && echo "test_fuzz_replay: ok"
exit "$failed"
