#!/bin/sh
# Same numbers in every build: the release, debug (-O0), OpenMP (1, 2 and 3
# threads; 3 cuts column strips of unequal widths), -march=native and
# portable-kernels (no AVX2 path, -DARGEN_PORTABLE_KERNELS) builds must
# write byte-identical full traces and logits for the same run, and the
# logits must be the same bits through the KV cache (one token at a time) and
# without it (one pass).  This holds
# because every sum runs in a fixed order, FP contraction is off and OpenMP
# only splits disjoint outputs.
set -eu
BUILD=${BUILD:-build}
MODEL=data/tiny
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s BUILD=build/omp OMP=1 build/omp/argen >/dev/null
make -s BUILD=build/fast OPT="-O3 -march=native" build/fast/argen >/dev/null
make -s BUILD=build/portable OPT="-O3 -g -DARGEN_PORTABLE_KERNELS" build/portable/argen >/dev/null
fail=0
run() {  # run NAME BINARY [ENV...]: a full trace and all-position logits
    name=$1 bin=$2
    shift 2
    env "$@" "$bin" generate --model "$MODEL" --prompt "Once upon a time" --max-new-tokens 6 \
        --strategy top-k --seed 3 --trace "$tmp/$name.json" --trace-level full >/dev/null
    env "$@" "$bin" logits --model "$MODEL" --ids 330,329,258,328,327,278,258,341 --all-positions --no-kv-cache \
        > "$tmp/$name.logits.json"
    env "$@" "$bin" logits --model "$MODEL" --ids 330,329,258,328,327,278,258,341 --all-positions \
        > "$tmp/$name.kv.json"
}
run release "$BUILD/argen"
run debug build/debug/argen
run omp1 build/omp/argen OMP_NUM_THREADS=1
run omp2 build/omp/argen OMP_NUM_THREADS=2
run omp3 build/omp/argen OMP_NUM_THREADS=3
run fast build/fast/argen
run portable build/portable/argen
for name in release debug omp1 omp2 omp3 fast portable; do
    if cmp -s "$tmp/$name.logits.json" "$tmp/$name.kv.json"; then
        echo "ok   $name: logits through the KV cache byte-identical to one pass"
    else
        echo "FAIL $name: logits through the KV cache differ from one pass"; fail=1
    fi
done
for name in debug omp1 omp2 omp3 fast portable; do
    for kind in json logits.json kv.json; do
        if cmp -s "$tmp/release.$kind" "$tmp/$name.$kind"; then
            echo "ok   $name: $kind byte-identical to release"
        else
            echo "FAIL $name: $kind differs from release"; fail=1
        fi
    done
done
# The check can fail: a trace of another seed must differ.
"$BUILD/argen" generate --model "$MODEL" --prompt "Once upon a time" --max-new-tokens 6 \
    --strategy top-k --seed 4 --trace "$tmp/other.json" --trace-level full >/dev/null
if cmp -s "$tmp/release.json" "$tmp/other.json"; then echo "FAIL another seed gave the same trace"; fail=1; fi
[ "$fail" -eq 0 ] && echo "test_determinism: all builds agree"
exit "$fail"
