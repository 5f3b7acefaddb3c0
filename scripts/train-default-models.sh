#!/usr/bin/env bash
# Retrains the shipped models from scratch, stores their tensors as BF16 in models/, measures
# each beside its f32 original, and records both in models/models.json (scripts/record_model.py).
#
#   scripts/train-default-models.sh [shakespeare] [sst2]     (both when none is named)
#
# The data comes from ../shared/data (or $CHARLOOM_DATA). On 2 cores of an AVX2 EPYC,
# shakespeare takes about 40 minutes and sst2 a few.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data=${CHARLOOM_DATA:-$root/../shared/data}
bin=$root/build/apps
models=$root/models
"$root/scripts/setup.sh" >/dev/null
mkdir -p "$models"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The defaults (a 2x512 LSTM, dropout 0.25, Adam at 3e-3, then a cosine over the last 40% of
# the time) on tinyshakespeare for 40 minutes. The whole validation split (the last 10%) is
# scored as train-model validated it.
shakespeare() {
  local corpus=$data/corpora/tinyshakespeare.txt
  train=(train-model --corpus "$corpus" --output "$work/shakespeare.f32.safetensors" --time-limit 2400 --threads 2 --seed 1)
  trained_on=("$corpus")
  ship shakespeare language-model
}
measure_shakespeare() { "$bin/evaluate-model" --model "$1" --split val "$data/corpora/tinyshakespeare.txt"; }

# A 1x256 LSTM classifier of SST-2 from scratch with the classifier's defaults: max pooling,
# dropout 0.1, Adam at 2e-3, at most 20 epochs, dev accuracy picking the epoch (patience 5).
# Small and fast; the sentiment recipe (scripts/train-sentiment.sh) scores higher at five
# networks' cost.
sst2() {
  trained_on=("$data/sentiment/sst2-train.tsv" "$data/sentiment/sst2-dev.tsv")
  train=(train-model --task sentiment --train "${trained_on[0]}" --dev "${trained_on[1]}"
    --output "$work/sst2.f32.safetensors" --threads 2 --seed 1)
  ship sst2 sentiment-classifier
}
measure_sst2() { "$bin/score-sentiment" --model "$1" --eval "$data/sentiment/sst2-dev.tsv"; }

# ship NAME KIND: runs the command in $train (which writes $work/NAME.f32.safetensors),
# stores it as BF16 in models/, measures both files with measure_NAME, and records the model.
ship() {
  local name=$1 kind=$2 start seconds
  local f32=$work/$name.f32.safetensors shipped=$models/$name.safetensors
  local convert=(convert-model --storage bf16 "$f32" "$shipped")
  start=$(date +%s)
  "$bin/${train[0]}" "${train[@]:1}"
  seconds=$(($(date +%s) - start))
  "$bin/${convert[0]}" "${convert[@]:1}"
  "measure_$name" "$f32" >"$work/f32.json"
  "measure_$name" "$shipped" >"$work/bf16.json"
  python3 "$root/scripts/record_model.py" --name "$name" --kind "$kind" --file "$shipped" \
    --data "${trained_on[@]}" --seconds "$seconds" --command "$(shown "${train[@]}")" "$(shown "${convert[@]}")" \
    --figures "$(figures "$kind" "$work/bf16.json" "$work/f32.json")"
}

# A command as it reads from the project's root, with the data under ../shared/data and the
# scratch folder's files by their names.
shown() {
  local text="$*"
  text=${text//$work\//}
  text=${text//$data/../shared/data}
  printf '%s' "${text//$root\//}"
}

# figures KIND BF16_JSON F32_JSON: the record's figures, from the shipped file's measurement,
# with the f32 original's beside them.
figures() {
  python3 - "$@" <<'PY'
import json, sys
kind, bf16, f32 = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
if kind == "language-model":
    figures = {"val_nats_per_char": bf16["nats_per_char"], "val_bits_per_char": bf16["bits_per_char"],
               "val_characters": bf16["characters"], "f32_val_nats_per_char": f32["nats_per_char"]}
else:
    figures = {"dev_accuracy": bf16["accuracy"], "dev_roc_auc": bf16["roc_auc"], "dev_log_loss": bf16["log_loss"],
               "dev_texts": bf16["texts"], "dev_texts_per_second": round(bf16["texts_per_second"]),
               "f32_dev_accuracy": f32["accuracy"], "f32_dev_log_loss": f32["log_loss"]}
print(json.dumps(figures))
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
