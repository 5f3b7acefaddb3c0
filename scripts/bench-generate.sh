#!/usr/bin/env bash
# Sampling and scoring speed: charloom's bench-generate beside the same LSTM stepped by
# PyTorch (Debian's python3-torch), at 2x512 and 2x128, with the same thread count; charloom
# in f32 and in int8.
#
#   scripts/bench-generate.sh [THREADS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
threads=${1:-$(nproc)}
"$root/scripts/setup.sh" >/dev/null
cmake --build "$root/build" --target bench-generate >/dev/null
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $threads threads"
for hidden in 512 128; do
  OMP_NUM_THREADS=$threads "$root/build/tests/tools/bench-generate" --hidden "$hidden" --runs 5 --precision f32,int8
  /usr/bin/python3 "$root/scripts/bench_torch.py" --mode sample --hidden "$hidden" --threads "$threads" --runs 5
done
