#!/usr/bin/env bash
# Models by name: --model NAME finds NAME.safetensors in CHARLOOM_MODEL_PATH (then the installed
# and the source tree's models), each app has its default name, --list-models shows what is
# found with its record, and a name not found lists where it looked and what it found.
set -euo pipefail
generate=$1 evaluate=$2 score=$3 source_dir=$4
source "$(dirname "$0")/assert.sh"
scratch_directory
cd "$tmp"
golden=$source_dir/tests/golden/tiny-lstm.safetensors
classifier=$source_dir/tests/golden/v2-classifier.safetensors
mkdir first second
cp "$golden" first/shakespeare.safetensors
cp "$golden" second/tiny.safetensors
cp "$classifier" second/sst2.safetensors
cp "$classifier" second/shakespeare.safetensors  # shadowed: the first folder's wins
cat >second/models.json <<'JSON'
{"models": {"sst2": {"kind": "sentiment-classifier", "figures": {"dev_accuracy": 0.5}}}}
JSON
export CHARLOOM_MODEL_PATH=$tmp/first:$tmp/second

# Each app's default name, found in the first folder that has it.
run "$generate" --length 40 --seed 3
expect_status 0 "generate-text with its default model"
by_name=$out
run "$generate" --model "$golden" --length 40 --seed 3
expect_equal "$out" "$by_name" "the default name is the first folder's shakespeare"
run "$evaluate" "$source_dir/corpora/samples/multilingual.txt"
expect_status 0 "evaluate-model with its default model"
expect_contains "\"model\": \"shakespeare\"" "$out" "evaluate-model reports the model as named"
run "$score" <<<'a fine film'
expect_status 0 "score-sentiment with its default model"
expect_contains '"label":' "$out" "score-sentiment scores with sst2"
run "$generate" --model tiny --length 40 --seed 3
expect_equal "$by_name" "$out" "a name in the second folder"

# --list-models: every name once, its kind, size, folder and recorded figures.
run "$score" --list-models
expect_status 0 "--list-models"
expect_contains "$tmp/first" "$out" "the folders searched are listed"
expect_equal 3 "$(printf '%s\n' "$out" | grep -cE '^(shakespeare|tiny|sst2) ')" "three names, each once"
expect_contains "$(printf 'shakespeare      language-model')" "$out" "the first folder's shakespeare, a language model"
sst2_line=$(printf '%s\n' "$out" | grep '^sst2 ')
expect_contains "sentiment-classifier" "$sst2_line" "the record's kind"
expect_contains '{"dev_accuracy":0.5}' "$sst2_line" "the record's figures"
expect_contains "$tmp/second" "$sst2_line" "where it was found"

# A name not found: one line with the folders searched and the names found; a path is a path.
run "$generate" --model nosuch
expect_status 1 "an unknown name"
expect_contains "no model named 'nosuch' (searched $tmp/first, $tmp/second" "$err" "the folders searched"
expect_contains "found shakespeare, sst2, tiny" "$err" "the names found"
expect_equal 1 "$(printf '%s\n' "$err" | wc -l)" "one line"
run "$generate" --model ./missing.safetensors
expect_status 1 "a missing path"
expect_contains "missing.safetensors" "$err" "a path is read as a path"
finish
