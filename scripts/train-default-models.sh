#!/usr/bin/env bash
# Retrains the shipped models from scratch, stores their tensors as BF16 in models/, measures
# each beside its f32 original, and records both in models/models.json (scripts/record_model.py).
#
#   scripts/train-default-models.sh [shakespeare] [sst2]     (both when none is named)
#
# The data comes from ../shared/data (or $CHARLOOM_DATA). shakespeare takes about 105 minutes
# on 2 cores of an AVX2 EPYC; sst2 is the sentiment recipe, scripts/train-sentiment.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data=${CHARLOOM_DATA:-$root/../shared/data}
bin=$root/build/apps
models=$root/models
"$root/scripts/setup.sh" >/dev/null
mkdir -p "$models"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A 3x512 LSTM on tinyshakespeare with dropout 0.4 for 8,500 steps (27.2 epochs), the
# learning rate held at 3e-3 and then a cosine to 2% over the last 40%. The whole validation
# split (the last 10%) is scored as train-model validated it.
shakespeare() {
  local corpus=$data/corpora/tinyshakespeare.txt start seconds
  local train=(train-model --corpus "$corpus" --output "$work/shakespeare.f32.safetensors" --layers 3 --hidden 512
    --dropout 0.4 --lr-schedule cosine --lr-decay-fraction 0.4 --max-iters 8500 --eval-every 500 --threads 2 --seed 1)
  local convert=(convert-model --storage bf16 "$work/shakespeare.f32.safetensors" "$models/shakespeare.safetensors")
  start=$(date +%s)
  "$bin/${train[0]}" "${train[@]:1}" --log-every 200
  seconds=$(($(date +%s) - start))
  "$bin/${convert[0]}" "${convert[@]:1}"
  "$bin/evaluate-model" --model "$work/shakespeare.f32.safetensors" --split val "$corpus" >"$work/f32.json"
  "$bin/evaluate-model" --model "$models/shakespeare.safetensors" --split val "$corpus" >"$work/bf16.json"
  python3 "$root/scripts/record_model.py" --name shakespeare --kind language-model \
    --file "$models/shakespeare.safetensors" --data "$corpus" --seconds "$seconds" \
    --command "$(shown "${train[@]}")" "$(shown "${convert[@]}")" \
    --figures "$(figures_of_language_model "$work/bf16.json" "$work/f32.json")"
}

# The sentiment recipe (scripts/train-sentiment.sh): a 1x512 language model of movie reviews
# and SST-2's training text, fine-tuned as a classifier with two pairs of class language models.
sst2() {
  local start seconds
  local recipe=(scripts/train-sentiment.sh "$work/sst2.f32.safetensors")
  local convert=(convert-model --storage bf16 "$work/sst2.f32.safetensors" "$models/sst2.safetensors")
  start=$(date +%s)
  "$root/${recipe[0]}" "${recipe[@]:1}"
  seconds=$(($(date +%s) - start))
  "$bin/${convert[0]}" "${convert[@]:1}"
  "$bin/score-sentiment" --model "$work/sst2.f32.safetensors" --eval "$data/sentiment/sst2-dev.tsv" >"$work/f32.json"
  "$bin/score-sentiment" --model "$models/sst2.safetensors" --eval "$data/sentiment/sst2-dev.tsv" >"$work/bf16.json"
  python3 "$root/scripts/record_model.py" --name sst2 --kind sentiment-classifier \
    --file "$models/sst2.safetensors" --seconds "$seconds" \
    --data "$data/sentiment/sst2-train.tsv" "$data/sentiment/sst2-dev.tsv" "$("$root/scripts/fetch-corpora.sh" movie-reviews)" \
    --command "$(shown "${recipe[@]}")" "$(shown "${convert[@]}")" \
    --figures "$(figures_of_classifier "$work/bf16.json" "$work/f32.json")"
}

# A command as it reads from the project's root, with the data under ../shared/data and the
# scratch folder's files by their names.
shown() {
  local text="$*"
  text=${text//$work\//}
  text=${text//$data/../shared/data}
  printf '%s' "${text//$root\//}"
}

figures_of_language_model() {
  python3 - "$1" "$2" <<'PY'
import json, sys
bf16, f32 = (json.load(open(path)) for path in sys.argv[1:3])
print(json.dumps({"val_nats_per_char": bf16["nats_per_char"], "val_bits_per_char": bf16["bits_per_char"],
                  "val_characters": bf16["characters"], "f32_val_nats_per_char": f32["nats_per_char"]}))
PY
}

figures_of_classifier() {
  python3 - "$1" "$2" <<'PY'
import json, sys
bf16, f32 = (json.load(open(path)) for path in sys.argv[1:3])
print(json.dumps({"dev_accuracy": bf16["accuracy"], "dev_roc_auc": bf16["roc_auc"], "dev_log_loss": bf16["log_loss"],
                  "dev_texts": bf16["texts"], "dev_texts_per_second": round(bf16["texts_per_second"]),
                  "f32_dev_accuracy": f32["accuracy"], "f32_dev_log_loss": f32["log_loss"]}))
PY
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(shakespeare sst2)
for name in "${names[@]}"; do
  case $name in
    shakespeare | sst2) "$name" ;;
    *) echo "$0: unknown model '$name': give shakespeare and/or sst2" >&2; exit 2 ;;
  esac
done
