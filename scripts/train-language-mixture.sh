#!/usr/bin/env bash
# Trains one language model with the defaults per seed, each on a core of its own, and mixes
# them into one model that predicts the mean of their probabilities.
#
#   scripts/train-language-mixture.sh OUTPUT CORPUS SECONDS SEED...
#
# Each member trains for SECONDS with one thread; as many train at once as there are cores.
# OUTPUT is written with f32 tensors, and each member's training summary beside it as
# OUTPUT.member-SEED.summary.json. train-model and convert-model come from PATH.
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: $0 OUTPUT CORPUS SECONDS SEED..." >&2
  exit 2
fi
output=$1 corpus=$2 seconds=$3
shift 3
seeds=("$@")
cores=$(nproc)
members=() pids=()
# Waits for the round's runs; any that failed fails the whole.
finish_round() {
  for pid in "${pids[@]}"; do wait "$pid"; done
  pids=()
}
for i in "${!seeds[@]}"; do
  seed=${seeds[$i]}
  member=$output.member-$seed.safetensors
  members+=("$member")
  taskset -c $((i % cores)) train-model --corpus "$corpus" --output "$member" --time-limit "$seconds" --threads 1 \
    --seed "$seed" --summary-json "$output.member-$seed.summary.json" --quiet &
  pids+=($!)
  # A full round of cores finishes before the next begins.
  if [ $(((i + 1) % cores)) -eq 0 ]; then finish_round; fi
done
finish_round
mix=()
for member in "${members[@]:1}"; do mix+=(--mix-with "$member"); done
convert-model --storage f32 "${mix[@]}" "${members[0]}" "$output"
rm -rf "${members[@]}" "${members[@]/%/.checkpoints}"
