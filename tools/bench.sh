#!/bin/sh
# make bench: issue 10's table on a GPT-2 124M-shaped checkpoint (random weights,
# made once by `argen init --preset gpt2` and kept in build/bench/gpt2), at 1 and
# 2 threads (the OpenMP build, build/omp/argen), written to docs/bench.md.
# A benchmark, not a test: nothing in `make test` depends on these numbers.
set -eu
ARGEN=${ARGEN:-build/omp/argen}
FAST=${FAST:-build/fast/argen}
MODEL=${MODEL:-build/bench/gpt2}
OUT=${OUT:-docs/bench.md}
REPEAT=${REPEAT:-3}
if [ ! -f "$MODEL/model.safetensors" ]; then
    echo "bench: writing a GPT-2 124M-shaped checkpoint to $MODEL (once)"
    mkdir -p "$(dirname "$MODEL")"
    "$ARGEN" init --preset gpt2 --seed 1 --out "$MODEL"
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
tmp="$OUT.tmp.$$"
{
    echo "# Benchmarks"
    echo
    echo "\`make bench\` on $(date -u +%Y-%m-%d): $cpu, $(nproc) cores, $(uname -m)."
    echo "GPT-2 124M shape (12 layers, 12 heads, n_embd 768, vocab 50257), F32, random weights;"
    echo "medians of $REPEAT runs.  The decode bound is the measured read bandwidth divided by the"
    echo "bytes of weights one token reads (every weight once, with the KV cache)."
    for threads in 1 2; do
        echo
        echo "## $threads thread$( [ "$threads" = 1 ] || echo s) (\`make OMP=1\`: the default flags, x86-64 baseline SSE2)"
        echo
        OMP_NUM_THREADS=$threads "$ARGEN" bench --model "$MODEL" --repeat "$REPEAT" --markdown
    done
    if [ -x "$FAST" ]; then
        echo
        echo "## 1 thread, \`make fast\` (-march=native: AVX2 here; the same numbers, bit for bit)"
        echo
        "$FAST" bench --model "$MODEL" --repeat "$REPEAT" --markdown
    fi
    cat <<'NOTES'

## Reading the table

- **Decode** reads every weight once per token, so it is bounded by memory
  bandwidth; each build's bound uses the bandwidth that build's own streaming
  loop reaches (the SSE2 loop of the default build reads less per second than
  the AVX2 loop of `make fast`, so compare a build with its own bound).
- **Prefill** is compute-bound.  Every sum is a multiply then an add in a fixed
  order (`-ffp-contract=off`: no fused multiply-add, so every build gives the
  same bits); at that, the default build is near the SSE2 multiply+add peak and
  `make fast` near the AVX2 one.  An FMA build would be faster and different.
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
