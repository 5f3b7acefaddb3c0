#!/usr/bin/env bash
# PyTorch parity for every cell: a model trained by train-model, loaded into torch.nn
# modules by scripts/pytorch_parity.py, must give the same logits, loss, gradients and
# Adam-step losses as charloom (Debian's python3-torch, installed by scripts/setup.sh), and
# evaluate-model's per-line scores must equal PyTorch's.
set -euo pipefail
train_model=$1 parity_dump=$2 source_dir=$3 evaluate_model=$4
source "$(dirname "$0")/assert.sh"
scratch_directory
cd "$tmp"

python=/usr/bin/python3  # Debian's interpreter, where python3-torch lives
"$python" -c 'import torch' || { echo "python3-torch is missing: run scripts/setup.sh"; exit 1; }
cp "$source_dir/corpora/samples/multilingual.txt" text.txt
for cell in lstm gru "rnn --activation tanh" "rnn --activation relu"; do
  name=${cell// /}
  # shellcheck disable=SC2086
  run "$train_model" --corpus text.txt --output "$name.safetensors" --cell $cell --layers 2 --hidden 12 \
    --embedding-size 6 --batch-size 4 --seq-length 16 --max-iters 4 --quiet --val-fraction 0.2
  expect_status 0 "train $cell"
  run "$parity_dump" "$name.safetensors" text.txt 10 3 3 "$name.dump"
  expect_status 0 "parity-dump $cell"
  run "$python" "$source_dir/scripts/pytorch_parity.py" "$name.safetensors" "$name.dump"
  echo "$out"
  expect_status 0 "PyTorch parity for $cell"
  expect_contains "matches PyTorch" "$out" "parity verdict for $cell"
done

# evaluate-model --per-line, for a code point model and a byte model.
for unit in codepoint byte; do
  run "$train_model" --corpus text.txt --output "eval-$unit.safetensors" --unit "$unit" --layers 2 --hidden 16 \
    --embedding-size 8 --batch-size 4 --seq-length 16 --max-iters 20 --quiet
  expect_status 0 "train a $unit model"
  run "$evaluate_model" --model "eval-$unit.safetensors" --per-line text.txt
  expect_status 0 "evaluate-model --per-line ($unit)"
  printf '%s\n' "$out" >"scores-$unit.jsonl"
  run "$python" "$source_dir/scripts/pytorch_parity.py" --per-line "eval-$unit.safetensors" text.txt "scores-$unit.jsonl"
  echo "$out"
  expect_status 0 "PyTorch per-line parity ($unit)"
  expect_contains "matches PyTorch" "$out" "per-line parity verdict ($unit)"
done
finish
