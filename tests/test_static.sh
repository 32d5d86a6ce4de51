#!/bin/sh
# test_static.sh - static analysis of src/ with no findings:
#   cppcheck  (warning, portability, performance; tests/cppcheck-suppressions.txt
#             lists the justified false positives; inline suppressions allowed)
#   clang-tidy with the repository's .clang-tidy: bug-prone patterns on every
#             file.  The clang static analyzer (clang-analyzer-*, in the same
#             config) takes minutes and, file by file, cannot see that
#             error_set() always returns -1, so it runs only on request:
#             STATIC_ANALYZER=1 on the parsers of outside bytes and the
#             loaders they feed, STATIC_FULL=1 on every file.
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for tool in cppcheck clang-tidy; do
    command -v "$tool" >/dev/null 2>&1 || { echo "test_static: $tool is missing (tests/install-deps.sh)"; exit 1; }
done

if cppcheck --std=c99 --enable=warning,portability,performance --inline-suppr --quiet -j2 \
        --suppress=missingIncludeSystem --suppressions-list=tests/cppcheck-suppressions.txt \
        --error-exitcode=1 --template='{file}:{line}: {severity}: {message} [{id}]' src/ >"$log" 2>&1; then
    echo "  cppcheck: no findings"
else
    echo "  cppcheck: FINDINGS"; grep -E '^src/' "$log" || cat "$log"; failed=1
fi

# The parsers of files and text from outside, and the loaders they feed.
ANALYZED=""
if [ -n "$STATIC_ANALYZER" ]; then
    ANALYZED="src/formats/json.c src/formats/safetensors.c src/formats/checkpoint.c src/formats/files.c src/cli/cli.c src/formats/tokenizer.c src/trace/trace_read.c"
fi
[ -n "$STATIC_FULL" ] && ANALYZED=$(ls src/*/*.c)
REST=""
for f in src/*/*.c; do
    case " $ANALYZED " in *" $f "*) ;; *) REST="$REST $f" ;; esac
done
tidy() {  # tidy EXTRA_CHECKS FILES...
    checks=$1; shift
    [ $# -eq 0 ] && return 0
    # --quiet still prints "N warnings generated": keep only the findings
    clang-tidy --quiet ${checks:+--checks="$checks"} "$@" -- -std=c99 -D_POSIX_C_SOURCE=200809L -Isrc -I"${BUILD:-build}/gen" >"$log" 2>&1
    rc=$?
    if grep -qE '(warning|error):' "$log" || [ "$rc" -ne 0 ]; then
        grep -E -A3 '(warning|error):' "$log" || tail -20 "$log"
        return 1
    fi
}
if tidy "" $ANALYZED && tidy "-clang-analyzer-*" $REST; then
    echo "  clang-tidy: no findings"
else
    echo "  clang-tidy: FINDINGS"; failed=1
fi
[ "$failed" -eq 0 ] && echo "test_static: ok"
exit "$failed"
