#!/usr/bin/env bash
# Regenerates the golden model under tests/golden/ and its expected outputs. Run it only on
# purpose: when the model file format or the network's arithmetic changes by design. Commit
# the new files with a message that says why the old outputs were no longer right.
#
#   scripts/regenerate-golden.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
golden=$root/tests/golden
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# A tiny 1x32 LSTM on the project's own multilingual sample, one thread, fixed seed.
"$build/apps/train-model" --corpus "$root/corpora/samples/multilingual.txt" --output "$golden/tiny-lstm.safetensors" \
  --layers 1 --hidden 32 --embedding-size 16 --dropout 0 --batch-size 4 --seq-length 32 --max-iters 1500 --max-epochs 0 \
  --eval-every 1500 --seed 1 --threads 1 --checkpoint-dir "$scratch/checkpoints" --quiet
# Its argmax continuation of a fixed prime: generate-text must reproduce it byte for byte.
"$build/apps/generate-text" --model "$golden/tiny-lstm.safetensors" --prime "English: The loom" --temperature 0 \
  --length 300 --threads 1 >"$golden/tiny-lstm.argmax.txt"
echo "regenerated $golden: $(wc -c <"$golden/tiny-lstm.safetensors") bytes of model, argmax output:"
cat "$golden/tiny-lstm.argmax.txt"
