#!/bin/sh
# build.sh - builds every fuzz harness, for replay or for libFuzzer.
#
#   sh tests/fuzz/build.sh replay [BUILD]   BUILD defaults to build/asan
#   sh tests/fuzz/build.sh fuzzer [BUILD]   BUILD defaults to build/fuzz
#
# Run from the repository root.  argen's own objects are made by the
# Makefile (make BUILD=... CC=clang OPT=...), so the sanitizer build of
# `make test` and the replay share one set of objects; each harness
# tests/fuzz/fuzz_NAME.c is then linked with them (all of src/ but main.c)
# into BUILD/fuzz/NAME.  replay: with tests/fuzz/replay.c as main, under
# -fsanitize=address,undefined.  fuzzer: with libFuzzer's main.
set -e
mode=${1:-replay}
case "$mode" in
replay) BUILD=${2:-build/asan}; SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
        LINK_SAN="$SAN"; MAIN=tests/fuzz/replay.c ;;
fuzzer) BUILD=${2:-build/fuzz}; SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
        LINK_SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"; MAIN= ;;
*) echo "usage: build.sh replay|fuzzer [BUILD]" >&2; exit 2 ;;
esac
OPT="-O1 -g -fno-omit-frame-pointer $SAN"
make -s BUILD="$BUILD" CC=clang OPT="$OPT" "$BUILD/argen" >&2
# the objects of today's sources (not stale ones an older layout left in BUILD/obj)
objs=$(for c in src/*/*.c; do o=${c#src/}; echo "$BUILD/obj/${o%.c}.o"; done | grep -v '/cli/main\.o$')
mkdir -p "$BUILD/fuzz"
for h in tests/fuzz/fuzz_*.c; do
    name=$(basename "$h" .c)
    name=${name#fuzz_}
    out="$BUILD/fuzz/$name"
    # relink only when the harness, a header it includes or an object is newer
    if [ -x "$out" ] && [ -z "$(find "$h" tests/fuzz/*.h $MAIN $objs -newer "$out" 2>/dev/null | head -1)" ]; then
        continue
    fi
    clang -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -ffp-contract=off -O1 -g -fno-omit-frame-pointer $LINK_SAN \
        -Isrc -Itests/fuzz -o "$out" "$h" $MAIN $objs -lm
done
