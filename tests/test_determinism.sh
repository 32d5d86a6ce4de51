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
# Weights held in half precision: an F16 and a BF16 checkpoint, which every
# build below must run to the same bits, the same bits as converting them to
# F32 at load (--weights f32): widening is exact and the kernels keep the
# order.  data/tiny converted to F16 at load (--weights f16) agrees too.
IDS=330,329,258,328,327,278,258,341,330,329,258,328,327,278
for dt in f16 bf16; do
    "$BUILD/argen" init --out "$tmp/$dt" --layers 2 --heads 2 --embd 48 --vocab 400 --positions 32 \
        --dtype "$dt" --seed 5 >/dev/null 2>&1
done
run() {  # run NAME BINARY [ENV...]: a full trace and all-position logits, F32 and half
    name=$1 bin=$2
    shift 2
    env "$@" "$bin" generate --model "$MODEL" --prompt "Once upon a time" --max-new-tokens 6 \
        --strategy top-k --seed 3 --trace "$tmp/$name.json" --trace-level full >/dev/null
    env "$@" "$bin" logits --model "$MODEL" --ids 330,329,258,328,327,278,258,341 --all-positions --no-kv-cache \
        > "$tmp/$name.logits.json"
    env "$@" "$bin" logits --model "$MODEL" --ids 330,329,258,328,327,278,258,341 --all-positions \
        > "$tmp/$name.kv.json"
    for dt in f16 bf16; do
        env "$@" "$bin" logits --model "$tmp/$dt" --ids "$IDS" --all-positions --no-kv-cache > "$tmp/$name.$dt.logits.json"
        env "$@" "$bin" logits --model "$tmp/$dt" --ids "$IDS" --all-positions > "$tmp/$name.$dt.kv.json"
    done
    env "$@" "$bin" logits --model "$MODEL" --ids "$IDS" --all-positions --weights f16 > "$tmp/$name.tiny-f16.json"
}
run release "$BUILD/argen"
run debug build/debug/argen
run omp1 build/omp/argen OMP_NUM_THREADS=1
run omp2 build/omp/argen OMP_NUM_THREADS=2
run omp3 build/omp/argen OMP_NUM_THREADS=3
run fast build/fast/argen
run portable build/portable/argen
for name in release debug omp1 omp2 omp3 fast portable; do
    for m in "" f16. bf16.; do
        if cmp -s "$tmp/$name.${m}logits.json" "$tmp/$name.${m}kv.json"; then
            echo "ok   $name: ${m}logits through the KV cache byte-identical to one pass"
        else
            echo "FAIL $name: ${m}logits through the KV cache differ from one pass"; fail=1
        fi
    done
done
for name in debug omp1 omp2 omp3 fast portable; do
    for kind in json logits.json kv.json f16.logits.json f16.kv.json bf16.logits.json bf16.kv.json tiny-f16.json; do
        if cmp -s "$tmp/release.$kind" "$tmp/$name.$kind"; then
            echo "ok   $name: $kind byte-identical to release"
        else
            echo "FAIL $name: $kind differs from release"; fail=1
        fi
    done
done
for dt in f16 bf16; do
    "$BUILD/argen" logits --model "$tmp/$dt" --ids "$IDS" --all-positions --no-kv-cache --weights f32 > "$tmp/convert.$dt.json"
    if cmp -s "$tmp/release.$dt.logits.json" "$tmp/convert.$dt.json"; then
        echo "ok   $dt weights kept in $dt: logits byte-identical to --weights f32"
    else
        echo "FAIL $dt weights kept in $dt: logits differ from --weights f32"; fail=1
    fi
done
"$BUILD/argen" logits --model "$MODEL" --ids "$IDS" --all-positions > "$tmp/tiny-f32.json"
if cmp -s "$tmp/release.tiny-f16.json" "$tmp/tiny-f32.json"; then
    echo "FAIL --weights f16 gave the bits of F32"; fail=1
fi
# The check can fail: a trace of another seed must differ.
"$BUILD/argen" generate --model "$MODEL" --prompt "Once upon a time" --max-new-tokens 6 \
    --strategy top-k --seed 4 --trace "$tmp/other.json" --trace-level full >/dev/null
if cmp -s "$tmp/release.json" "$tmp/other.json"; then echo "FAIL another seed gave the same trace"; fail=1; fi
[ "$fail" -eq 0 ] && echo "test_determinism: all builds agree"
exit "$fail"
