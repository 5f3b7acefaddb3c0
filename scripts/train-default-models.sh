#!/usr/bin/env bash
# Retrains the shipped models from scratch, stores their tensors as BF16 in models/, measures
# each beside its f32 original, and records both in models/models.json (scripts/record_model.py).
#
#   scripts/train-default-models.sh [shakespeare] [sst2-ensemble] [sst2]   (all when none is named)
#
# The data comes from ../shared/data (or $CHARLOOM_DATA). shakespeare takes 50 minutes on
# 2 cores, sst2-ensemble about 45 on one core, and sst2, which learns from sst2-ensemble, 55
# on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data=${CHARLOOM_DATA:-$root/../shared/data}
bin=$root/build/apps
models=$root/models
"$root/scripts/setup.sh" >/dev/null
mkdir -p "$models"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A mixture of three runs of the defaults (a 2x512 LSTM, dropout 0.25, Adam at 3e-3, then a
# cosine over the last 40% of the time) on tinyshakespeare, seeds 1 to 3, each for 25 minutes
# on one core. Each run alone levels off near 1.42 nats/char; the mean of their probabilities
# predicts better than any one. The whole validation split (the last 10%) is scored as
# train-model validated it.
shakespeare() {
  local corpus=$data/corpora/tinyshakespeare.txt
  train=(scripts/train-language-mixture.sh "$work/shakespeare.f32.safetensors" "$corpus" 1500 1 2 3)
  trained_on=("$corpus")
  ship shakespeare language-model
}
measure_language() { "$bin/evaluate-model" --model "$1" --split val "$data/corpora/tinyshakespeare.txt"; }

# sst2-ensemble distilled into its own 1x512 classifier (scripts/distill-sentiment.sh): the
# ensemble scores the movie-review sentences, and its network, without the class language
# models, learns from those scores and SST-2's labels for 11 epochs. More accurate than
# sst2-ensemble at a fifth of its cost: the default.
sst2() {
  trained_on=("$data/sentiment/sst2-train.tsv" "$data/sentiment/sst2-dev.tsv")
  train=(scripts/distill-sentiment.sh models/sst2-ensemble.safetensors "$work/sst2.f32.safetensors" 11 0)
  ship sst2 sentiment-classifier
}

# The sentiment recipe (scripts/train-sentiment.sh) on the last core, its language model trained
# for 20 minutes: a 1x512 classifier beside two pairs of class language models, all
# fine-tuned from one language model of SST-2's training text and movie reviews. More
# accurate than sst2, at five networks' cost.
sst2_ensemble() {
  trained_on=("$data/sentiment/sst2-train.tsv" "$data/sentiment/sst2-dev.tsv")
  train=(env CHARLOOM_RECIPE_SECONDS=3300 taskset -c $(($(nproc) - 1)) scripts/train-sentiment.sh
    "$work/sst2-ensemble.f32.safetensors" 1200)
  ship sst2-ensemble sentiment-classifier
}
measure_sentiment() { "$bin/score-sentiment" --model "$1" --eval "$data/sentiment/sst2-dev.tsv"; }

# ship NAME KIND: runs the command in $train (which writes $work/NAME.f32.safetensors),
# stores it as BF16 in models/, measures both files, and records the model.
ship() {
  local name=$1 kind=$2 start seconds
  local f32=$work/$name.f32.safetensors shipped=$models/$name.safetensors
  local convert=(convert-model --storage bf16 "$f32" "$shipped")
  start=$(date +%s)
  (cd "$root" && PATH=$bin:$PATH "${train[@]}")
  seconds=$(($(date +%s) - start))
  "$bin/${convert[0]}" "${convert[@]:1}"
  local measure=measure_language
  [ "$kind" = language-model ] || measure=measure_sentiment
  "$measure" "$f32" >"$work/f32.json"
  "$measure" "$shipped" >"$work/bf16.json"
  python3 "$root/scripts/record_model.py" --name "$name" --kind "$kind" --file "$shipped" \
    --data "${trained_on[@]}" --seconds "$seconds" --command "$(shown "${train[@]}")" "$(shown "${convert[@]}")" \
    --figures "$(figures "$kind" "$work/bf16.json" "$work/f32.json" "$f32.summary.json")"
}

# A command as it reads from the project's root, with the data under ../shared/data and the
# scratch folder's files by their names.
shown() {
  local text="$*"
  text=${text//$work\//}
  text=${text//$data/../shared/data}
  printf '%s' "${text//$root\//}"
}

# figures KIND BF16_JSON F32_JSON [SUMMARY_JSON]: the record's figures, from the shipped
# file's measurement, with the f32 original's beside them, and the training summary's
# half-fitted dev accuracy where there is one.
figures() {
  python3 - "$@" <<'PY'
import json, os, sys
kind, bf16, f32 = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
summary = json.load(open(sys.argv[4])) if len(sys.argv) > 4 and os.path.exists(sys.argv[4]) else {}
if kind == "language-model":
    figures = {"val_nats_per_char": bf16["nats_per_char"], "val_bits_per_char": bf16["bits_per_char"],
               "val_characters": bf16["characters"], "f32_val_nats_per_char": f32["nats_per_char"]}
else:
    figures = {"dev_accuracy": bf16["accuracy"], "dev_roc_auc": bf16["roc_auc"], "dev_log_loss": bf16["log_loss"],
               "dev_texts": bf16["texts"], "dev_texts_per_second": round(bf16["texts_per_second"]),
               "f32_dev_accuracy": f32["accuracy"], "f32_dev_log_loss": f32["log_loss"]}
    if "dev_accuracy_half_fitted" in summary:
        figures["dev_accuracy_half_fitted"] = summary["dev_accuracy_half_fitted"]
print(json.dumps(figures))
PY
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(shakespeare sst2-ensemble sst2)
for name in "${names[@]}"; do
  case $name in
    shakespeare | sst2 | sst2-ensemble) "${name//-/_}" ;;
    *) echo "$0: unknown model '$name': give shakespeare, sst2-ensemble and/or sst2" >&2; exit 2 ;;
  esac
done
