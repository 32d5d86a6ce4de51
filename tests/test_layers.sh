#!/bin/sh
# test_layers.sh - `make check-layers` passes on src/, and fails (naming the
# file and line) on a copy of src/ with one upward include planted in the
# core, and on one with a clock in the core.
set -u
T=$(mktemp -d "${TMPDIR:-/tmp}/argen-layers.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

if out=$(sh tools/check-layers.sh src 2>&1); then ok "src/: $out"; else bad "src/ has upward includes: $out"; fi

cp -r src "$T/up"
printf '#include "trace/trace.h"\n' >>"$T/up/core/sampler.c"
out=$(sh tools/check-layers.sh "$T/up" 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'core/sampler.c:[0-9]*: core includes trace/trace.h'; then
    ok "an upward include is refused: $(printf '%s' "$out" | head -1)"
else
    bad "an upward include in core/sampler.c was not caught (exit $rc): $out"
fi

cp -r src "$T/clock"
printf 'double f(void);\n#include <time.h>\n' >>"$T/clock/core/generate.c"
if sh tools/check-layers.sh "$T/clock" >"$T/out" 2>&1; then bad "a clock in the core was not caught"
else ok "a clock in the core is refused: $(grep 'no clock' "$T/out" | head -1)"; fi

[ $fail -eq 0 ] && echo "test_layers: ok" || echo "test_layers: FAILED"
exit $fail
