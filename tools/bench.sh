#!/bin/sh
# make bench: the benchmark table on a GPT-2 124M-shaped checkpoint (random
# weights, made once by `argen init --preset gpt2` and kept in build/bench/gpt2),
# at 1 and 2 threads (the OpenMP build, build/omp/argen, which takes the AVX2
# path at run time where the CPU has it), then 1 thread of the portable-kernels
# build (build/portable/argen) and of `make fast`, written to docs/bench.md
# with the date and the CPU (lscpu's model name).  About 4 minutes on 2 cores.
# A benchmark, not a test: nothing in `make test` depends on these numbers.
set -eu
ARGEN=${ARGEN:-build/omp/argen}
FAST=${FAST:-build/fast/argen}
PORTABLE=${PORTABLE:-build/portable/argen}
MODEL=${MODEL:-build/bench/gpt2}
OUT=${OUT:-docs/bench.md}
REPEAT=${REPEAT:-3}
if [ ! -f "$MODEL/model.safetensors" ]; then
    echo "bench: writing a GPT-2 124M-shaped checkpoint to $MODEL (once)"
    mkdir -p "$(dirname "$MODEL")"
    "$ARGEN" init --preset gpt2 --seed 1 --out "$MODEL"
fi
cpu=$( (lscpu 2>/dev/null || true) | sed -n 's/^Model name: *//p' | head -n 1)
[ -n "$cpu" ] || cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
per_core=$( (lscpu 2>/dev/null || true) | sed -n 's/^Thread(s) per core: *//p' | head -n 1)
tmp="$OUT.tmp.$$"
{
    echo "# Benchmarks"
    echo
    echo "\`make bench\` on $(date -u +%Y-%m-%d): $cpu (lscpu), $(nproc) CPUs${per_core:+, $per_core thread(s) per core}, $(uname -m)."
    echo "GPT-2 124M shape (12 layers, 12 heads, n_embd 768, vocab 50257), F32, random weights;"
    echo "each figure the best of $REPEAT runs.  The ceilings are measured in the same run: the"
    echo "read bandwidth (a streaming sum in the widest vector unit, every thread of the run),"
    echo "which over the bytes of weights one token reads is the decode bound, and the"
    echo "multiply-add peak of the kernels' vector unit, which bounds prefill."
    echo
    echo "## 1 thread (\`make OMP=1\`: the default flags; the AVX2 path chosen at run time)"
    echo
    OMP_NUM_THREADS=1 "$ARGEN" bench --model "$MODEL" --repeat "$REPEAT" --markdown
    echo
    echo "## 2 threads (the same build; every ratio against one thread, run for run)"
    echo
    OMP_NUM_THREADS=2 "$ARGEN" bench --model "$MODEL" --repeat "$REPEAT" --markdown \
        --prefill 64,256 --no-cache-decode 0 --trace-decode 0
    if [ -x "$PORTABLE" ]; then
        echo
        echo "## 1 thread, portable kernels (-DARGEN_PORTABLE_KERNELS: the plain C compiled for baseline SSE2)"
        echo
        "$PORTABLE" bench --model "$MODEL" --repeat "$REPEAT" --markdown --prefill 64,256 --no-cache-decode 0 --trace-decode 0
    fi
    if [ -x "$FAST" ]; then
        echo
        echo "## 1 thread, \`make fast\` (-march=native; the same numbers, bit for bit)"
        echo
        "$FAST" bench --model "$MODEL" --repeat "$REPEAT" --markdown --prefill 64,256 --no-cache-decode 0 --trace-decode 0
    fi
    cat <<'NOTES'

## Reading the table

- **Decode** reads every weight once per token, so it is bounded by memory
  bandwidth: the bound is the read bandwidth of a plain streaming sum in the
  same run, in the same vector unit and with the same threads.  The decode
  kernels add eight weight rows into a block of outputs before storing it
  (the additions stay in order), and the per-kernel rows show each weight
  matrix's read rate against that bandwidth; lm_head is a dot product per
  vocabulary row.
- **Kernel paths**: the default build compiles the hot loops twice, plain C
  for the build's target and the same sums for AVX2 (no FMA), and asks the CPU
  at run time; `-DARGEN_PORTABLE_KERNELS` keeps the plain C only.  Every path,
  build and thread count gives the same bits (tests/test_determinism.sh,
  tests/check_kernels.c).
- **Prefill** is compute-bound.  Every sum is a multiply then an add in a fixed
  order (`-ffp-contract=off`: no fused multiply-add, so every build gives the
  same bits).  The AVX2 path keeps a 6-token x 16-output tile of sums in
  twelve registers; the portable path a 12 x 32 tile in an L1-resident array.
  An FMA build would be faster and different.
- **This run** was taken while other jobs compiled on the same two cores:
  the 2-thread section competed with them for both cores and shows it (4
  tok/s decode), and single runs moved by 30 % or more between repeats.
  Rerun `make bench` on a quiet machine before comparing builds.
- **Not yet done**: half-precision weights kept in memory (`--weights
  f16|bf16`), decode threads that each stream one contiguous share of every
  matrix, and summary tracing within 10 % of untraced.
- **Tracing**: `summary` writes, per step, every layer and head's attention for
  the last query and the selection table; the time goes to formatting floats as
  their shortest round-trip decimals (`argen generate --profile` shows it as
  "the rest").  `full` writes every intermediate tensor.
- **Peak RSS** here is the weights (mapped) plus a run state sized for the
  1024-token prefill (189 MB with the KV cache).  `argen generate` with a short
  prompt peaks at about the weights alone.
NOTES
} > "$tmp"
mv "$tmp" "$OUT"
cat "$OUT"
