#!/usr/bin/env bash
# charloom beside PyTorch on this machine: training, evaluation and sampling speed and peak
# memory, in f32, bf16 and int8, as one Markdown table and a JSON file (build/bench/).
#
#   scripts/bench.sh [--threads N] [--rounds 3] [--runs 5] [--hidden 128,512] [--cells lstm,gru]
#   scripts/bench.sh --quality [SECONDS] [CORPUS]
#
# --quality trains the default model in charloom (f32 and bf16) and in PyTorch with the same
# hyperparameters, each for SECONDS of wall time (default 600) on CORPUS (default
# tinyshakespeare), plots validation loss against time for all three (build/bench/quality.png)
# and prints when charloom reached each loss level PyTorch reached.
#
# setup.sh installs what it needs from Debian (python3-torch, and libopenblas0-pthread so that
# PyTorch's BLAS is OpenBLAS; the BLAS in use and torch.__config__ are printed) and builds
# Release.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CHARLOOM_BUILD_TYPE=Release "$root/scripts/setup.sh" >/dev/null
echo "PyTorch's BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
/usr/bin/python3 -c 'import torch; print(torch.__config__.show())'
threads=$(nproc)

if [ "${1:-}" = "--quality" ]; then
  seconds=${2:-600}
  corpus=${3:-$root/../shared/data/corpora/tinyshakespeare.txt}
  [ -f "$corpus" ] || { echo "bench.sh: error: no corpus at $corpus; pass one: bench.sh --quality SECONDS CORPUS" >&2; exit 2; }
  out=$root/build/bench/quality
  mkdir -p "$out"
  # The PyTorch script's hyperparameters, spelled out: Adam at a constant 2e-3 and dropout on
  # the embedding and between layers only. The comparison is of speed at equal arithmetic;
  # charloom's own defaults (an annealed 3e-3, dropout before the head) would add to its lead.
  for precision in f32 bf16; do
    echo "charloom $precision: training for $seconds s" >&2
    OMP_NUM_THREADS=$threads "$root/build/apps/train-model" --corpus "$corpus" --output "$out/charloom-$precision.safetensors" \
      --precision "$precision" --learning-rate 2e-3 --lr-schedule constant \
      --dropout-before-head false --time-limit "$seconds" --metrics "$out/charloom-$precision.jsonl" --quiet
  done
  echo "PyTorch: training for $seconds s" >&2
  OPENBLAS_NUM_THREADS=$threads /usr/bin/python3 "$root/scripts/bench_torch_quality.py" "$corpus" "$out/pytorch-f32.jsonl" \
    --seconds "$seconds" --threads "$threads" >/dev/null
  /usr/bin/python3 "$root/scripts/plot-training.py" "$out/charloom-f32.jsonl" "$out/charloom-bf16.jsonl" \
    "$out/pytorch-f32.jsonl" "$root/build/bench/quality.png"
  /usr/bin/python3 "$root/scripts/quality_report.py" "$out/pytorch-f32.jsonl" "$out/charloom-f32.jsonl" "$out/charloom-bf16.jsonl"
  echo "plot written to $root/build/bench/quality.png"
  exit 0
fi
exec /usr/bin/python3 "$root/scripts/bench.py" "$root/build" --threads "$threads" "$@"
