#!/bin/sh
# test_sanitizers.sh - the whole suite once more under the sanitizers, and
# one generation under valgrind.
#
# 1. argen and every Check suite built with clang
#    -fsanitize=address,undefined -fno-sanitize-recover=all into build/asan/
#    (the Makefile passes OPT at compile and at link time), each
#    build/asan/tests/check_* run with leak detection: any report fails it.
# 2. One small generation of the shipped model data/tiny (prompt through the
#    tokenizer, top-k sampling, a JSON trace) under valgrind memcheck with the
#    plain build $BUILD: zero errors and zero leaks of any kind.
BUILD=${BUILD:-build}
ASAN_BUILD=build/asan
OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
log=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$log" "$tmp"' EXIT
failed=0

# ---- 1. ASan + UBSan ----
if ! make -s BUILD="$ASAN_BUILD" CC=clang OPT="$OPT" tests >"$log" 2>&1; then
    tail -30 "$log"; echo "test_sanitizers: the sanitizer build failed"; exit 1
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Sanitized code runs a few times slower: give Check's per-test timeouts room.
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-6}
for t in "$ASAN_BUILD"/tests/check_*; do
    [ -x "$t" ] || continue
    case "$t" in *.d) continue ;; esac
    if "$t" >"$log" 2>&1 && ! grep -q -e "ERROR: AddressSanitizer" -e "ERROR: LeakSanitizer" -e "runtime error:" "$log"; then
        echo "  asan $(basename "$t"): $(grep -E '^[0-9]+%' "$log" | tail -1)"
    else
        echo "  asan $(basename "$t"): FAILED"; tail -40 "$log"; failed=1
    fi
done

# ---- 2. valgrind memcheck ----
if ! command -v valgrind >/dev/null 2>&1; then
    echo "test_sanitizers: valgrind is missing (tests/install-deps.sh installs it)"; exit 1
fi
# The shipped model (data/tiny) when it is there, else a 2-layer `argen init`
# model with the committed fuzz tokenizer; either way the prompt goes through
# the tokenizer.
model=data/tiny
if [ ! -f "$model/model.safetensors" ] || [ ! -f "$model/vocab.json" ]; then
    model="$tmp/m"
    vocab=$(grep -o '": [0-9]*' tests/fuzz/tokenizer/vocab.json | wc -l)
    if ! "$BUILD/argen" init --out "$model" --layers 2 --heads 2 --embd 16 --positions 32 --vocab "$vocab" \
            --tokenizer tests/fuzz/tokenizer --seed 7 >"$log" 2>&1; then
        cat "$log"; echo "test_sanitizers: argen init failed"; exit 1
    fi
fi
if valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
        "$BUILD/argen" generate --model "$model" --prompt "Once upon a time, $(printf 'caf\303\251')" --max-new-tokens 8 \
        --strategy top-k --top-k 5 --seed 3 --trace "$tmp/t.json" >"$log" 2>&1 && [ -s "$tmp/t.json" ]; then
    echo "  valgrind generate ($model): no errors, no leaks"
else
    echo "  valgrind generate ($model): FAILED"; tail -40 "$log"; failed=1
fi
[ "$failed" -eq 0 ] && echo "test_sanitizers: ok"
exit "$failed"
