#!/usr/bin/env bash
# Regenerates every golden tensor with PyTorch under each OpenBLAS kernel set
# this CPU can run (OPENBLAS_CORETYPE) and with 1 and 2 threads, and fails
# unless every run reproduces the committed files byte for byte: the bytes
# depend neither on the machine nor on the code under test.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

flags=$(grep -m1 '^flags' /proc/cpuinfo)
has() { [[ " $flags " == *" $1 "* ]]; }
cores=(Prescott)
if has avx2 && has fma; then cores+=(Haswell Zen); fi
if has avx512f && has avx512bw && has avx512vl && has avx512dq; then cores+=(SkylakeX); fi
if has avx512_bf16; then cores+=(Cooperlake); fi

runs=0
for core in "${cores[@]}"; do
  for threads in 1 2; do
    d="$out/$core-$threads"
    OPENBLAS_CORETYPE=$core OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads \
      /usr/bin/python3 make_golden.py "$d" > "$out/log" 2>&1 || { cat "$out/log"; exit 1; }
    if ! diff -r "$d/kernels" kernels || ! diff -r "$d/model" model ||
       ! diff -r "$d/analysis" analysis; then
      echo "goldens differ with OPENBLAS_CORETYPE=$core and $threads thread(s)"
      exit 1
    fi
    rm -rf "$d"
    runs=$((runs + 1))
  done
done
echo "goldens reproduced byte for byte: $(find kernels model analysis -type f | wc -l) files," \
     "$runs runs (OPENBLAS_CORETYPE ${cores[*]}; 1 and 2 threads)"
