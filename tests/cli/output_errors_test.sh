#!/usr/bin/env bash
# Every app checks its standard output: a write that fails (a full disk: /dev/full) is an
# error with a message and exit 1, and a reader that goes away (a closed pipe) ends it quietly.
set -euo pipefail
train=$1 generate=$2 evaluate=$3 score=$4 inspect=$5 source_dir=$6
source "$(dirname "$0")/assert.sh"
scratch_directory
cd "$tmp"
golden=$source_dir/tests/golden/tiny-lstm.safetensors
classifier=$source_dir/tests/golden/v2-classifier.safetensors
sample=$source_dir/corpora/samples/multilingual.txt
for i in $(seq 3000); do echo "line $i of a text long enough to fill any pipe buffer"; done >long.txt

# Each command prints to standard output; the second of each pair prints a lot.
commands=(
  "$train --help"
  "$generate --model $golden --length 200 --seed 1"
  "$generate --model $golden --length 100000 --seed 1 --samples 2"
  "$evaluate --model $golden $sample"
  "$evaluate --model $golden --per-line long.txt"
  "$score --model $classifier $sample"
  "$score --model $classifier long.txt"
  "$inspect --corpus long.txt"
  "$inspect --corpus long.txt --json"
)
for command in "${commands[@]}"; do
  name=$(basename "${command%% *}")${command#* }
  set +e
  # shellcheck disable=SC2086
  $command >/dev/full 2>full.err
  status=$?
  set -e
  err=$(cat full.err)
  expect_status 1 "$name > /dev/full"
  expect_contains "error: cannot write to standard output: No space left on device" "$err" "$name > /dev/full: the message"
  expect_equal 1 "$(wc -l <full.err)" "$name > /dev/full: one line"
  set +e
  # shellcheck disable=SC2086
  $command 2>pipe.err | head -c 10 >/dev/null
  status=${PIPESTATUS[0]}
  set -e
  err=$(cat pipe.err)
  expect_status 0 "$name | head -c 10"
  expect_equal "" "$err" "$name | head -c 10: nothing on stderr"
done
finish
