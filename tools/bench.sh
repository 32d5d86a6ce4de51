#!/bin/sh
# make bench: the benchmark table on a GPT-2 124M-shaped checkpoint (random
# weights, made once by `argen init --preset gpt2` and kept in build/bench/gpt2),
# at 1 and 2 threads (the OpenMP build, build/omp/argen, which takes the AVX-512
# or AVX2 path at run time where the CPU has it), 1 thread with the weight matrices
# held in F16 and in BF16 (--weights), then 1 thread of the portable-kernels
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
    echo "each figure the best of $REPEAT runs (cached decode: the fastest time of each step over"
    echo "the runs, added up).  The ceilings are measured in the same run, before and after: the"
    echo "read bandwidth (a streaming sum in the widest vector unit, every thread of the run),"
    echo "which over the bytes of weights one token reads is the decode bound, and the"
    echo "multiply-add peak of the kernels' vector unit, which bounds prefill."
    echo
    echo "## 1 thread (\`make OMP=1\`: the default flags; the widest kernel path the CPU has, chosen at run time)"
    echo
    OMP_NUM_THREADS=1 "$ARGEN" bench --model "$MODEL" --repeat "$REPEAT" --markdown
    echo
    echo "## 2 threads (the same build, OMP_WAIT_POLICY ${OMP_WAIT_POLICY:-unset}; every ratio against one thread, run for run)"
    echo
    OMP_NUM_THREADS=2 "$ARGEN" bench --model "$MODEL" --repeat "$REPEAT" --markdown \
        --prefill 64,256 --decode 128 --no-cache-decode 0 --trace-decode 0
    for dt in f16 bf16; do
        echo
        echo "## 1 thread, weight matrices held in $dt (\`--weights $dt\`: half the bytes per token)"
        echo
        OMP_NUM_THREADS=1 "$ARGEN" bench --model "$MODEL" --repeat "$REPEAT" --markdown --weights "$dt" \
            --prefill 64,256 --decode 128 --no-cache-decode 0 --trace-decode 0
    done
    if [ -x "$PORTABLE" ]; then
        echo
        echo "## 1 thread, portable kernels (-DARGEN_PORTABLE_KERNELS: the plain C compiled for baseline SSE2)"
        echo
        "$PORTABLE" bench --model "$MODEL" --repeat "$REPEAT" --markdown --prefill 64 --decode 128 \
            --no-cache-decode 0 --trace-decode 0
    fi
    if [ -x "$FAST" ]; then
        echo
        echo "## 1 thread, \`make fast\` (-march=native; the same numbers, bit for bit)"
        echo
        "$FAST" bench --model "$MODEL" --repeat "$REPEAT" --markdown --prefill 64,256 --decode 128 \
            --no-cache-decode 0 --trace-decode 0
    fi
    cat <<'NOTES'

## What limits each figure

- **Read bandwidth** is the ceiling of every figure that streams the weights:
  a sum with four independent accumulators in the widest vector unit the CPU
  has (AVX-512 here), each thread over its own contiguous part of a 512 MB
  buffer.  With 2 threads the row gives the ratio to one thread measured in
  the same run: where it stays near 1, the two CPUs share one memory path and
  no thread count can make decode faster.
- **Decode, KV cache** reads every weight once per token (497.8 MB), so it is
  bounded by read bandwidth / bytes of weights.  What keeps it below the
  bound: each kernel's read rate (the per-kernel rows, as a share of the
  bandwidth; attn.c_proj's 28 MB stays partly in the last-level cache
  between repeats, so its row can pass the bandwidth), then the work that
  reads no weights (attention over the cached
  positions, which grows with the position, layernorm, GELU, softmax), then,
  with threads, the synchronisation: every matmul, attention, GELU and
  lm_head is one OpenMP parallel region, 73 per token, each a fork and a join
  (a few microseconds on idle CPUs; ten or more when the CPUs are shared, and
  a descheduled thread stalls its partner at every join).
- **The decode kernels** add eight weight rows into a block of outputs per
  pass, in order (y[o] is loaded and stored once per eight terms and stays
  in the L1 cache), so the weights stream side by side at close to the read
  bandwidth; lm_head is one dot product per vocabulary row (rows of wte are
  contiguous).  With threads, each thread takes one contiguous block of
  columns of every row (a multiple of 16 floats, so no two threads write one
  cache line), and the lm_head's rows go in chunks of 512 to whichever
  thread is free (a thread slowed by other work then holds up less of the
  step): each output's sum stays whole and in order on one thread, which is
  why the thread count never changes a bit.  Rows per thread would read one
  contiguous block of memory each, but would add partial sums in another
  order than matmul_reference.  On a matrix 768 outputs wide (mlp.c_proj)
  each of 2 threads reads 1.5 KB of every 3 KB row, a pattern the CPU's
  prefetcher serves poorly: that row of the 2-thread table is the lowest.
  Splitting that matrix into two contiguous halves of rows instead (tried,
  not kept: it changes every sum) raised its 2-thread rate only from about
  54 % to 65 % of the bandwidth in four back-to-back pairs, so the short
  rows, not only the strided split, hold it back.
- **Prefill** is bounded by the multiply-add peak: a register-resident loop of
  twelve independent chains of vector multiply then add, in the unit the
  kernels use (AVX-512 or AVX2 on the default path).  Every product and every sum is
  rounded on its own (`-ffp-contract=off`), which is what keeps every build
  bit-identical; the fused multiply-add row shows what an FMA build in the
  widest unit could reach, at the price of other bits.  The prefill tiles
  keep 8 x 32 sums in AVX-512 registers (6 x 16 in AVX2 ones), so each
  weight loaded serves eight tokens (six);
  attention is not tiled and grows as T^2, which is why T=1024 runs slower
  per token than T=256.
- **Kernel paths**: the default build compiles the hot loops three times,
  plain C for the build's target and the same sums for AVX2 (8 lanes) and for
  AVX-512 (16 lanes), all without FMA, and asks the CPU once at run time for
  the widest it has; `-DARGEN_PORTABLE_KERNELS` keeps the plain C only (SSE2,
  4 lanes).  Every path, build and thread count gives the same bits
  (tests/test_determinism.sh runs 1, 2 and 3 threads; tests/check_kernels.c).
- **On a shared machine** the figures move between runs, so each is the best
  of the runs and every 2-thread ratio compares runs made back to back.
  Spinning OpenMP threads collapse when other jobs hold the CPUs; there
  `OMP_WAIT_POLICY=passive` (threads sleep at the joins) keeps 2 threads
  usable, at a few microseconds per join on idle CPUs.
- **Half-precision weights** (`--weights f16|bf16`, or an F16/BF16
  checkpoint as stored) hold the matrices in 16 bits and widen them in the
  kernels (`vcvtph2ps` or a 16-bit shift, 16 or 8 at a time on the AVX-512
  and AVX2 paths), so a token reads half the bytes and the decode bound
  doubles.  Their rows are half as long, so the CPU's prefetcher, which
  learns each row anew, runs ahead over less of each; the half kernels
  prefetch the next pass's lines themselves.  Their "decode bound" row is that
  doubled bound, so set their decode rate against the first section's F32
  bound to see the gain over F32 weights.  Holding F16/BF16 checkpoints so
  gives the same bits as converting them to F32 at load; `--weights` on an
  F32 checkpoint rounds each weight (docs/generation.md measures the effect).
- **Tracing**: `summary` writes, per step, every layer and head's attention for
  the last query and the selection table; the per-token cost is mostly the
  trace's own work over the vocabulary (a full sort and softmax that untraced
  greedy skips) and the float writer (`argen generate --profile` shows it as
  "trace, printed text"; docs/generation.md, "Cost of tracing").  `full`
  writes every intermediate tensor.
- **Peak RSS** here is the weights (mapped) plus a run state sized for the
  1024-token prefill (189 MB with the KV cache).  `argen generate` with a short
  prompt peaks at about the weights alone.
NOTES
} > "$tmp"
mv "$tmp" "$OUT"
cat "$OUT"
