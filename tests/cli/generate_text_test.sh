#!/usr/bin/env bash
# End-to-end tests of generate-text: the golden model's exact argmax output, seeds, batches,
# stop strings, JSONL, a closed pipe, valid UTF-8 from models of every unit, and bad input.
set -euo pipefail
generate=$1 train=$2 source_dir=$3
source "$(dirname "$0")/assert.sh"
scratch_directory
cd "$tmp"
golden=$source_dir/tests/golden/tiny-lstm.safetensors
python=/usr/bin/python3

run "$generate" --help
expect_status 0 "--help"
for flag in --model --prime --prime-file --unknown --length --temperature --top-k --top-p --seed --samples --stop \
  --format --threads --precision; do
  expect_contains "$flag" "$out" "--help lists $flag"
done

# The golden model's argmax output is exact across versions (scripts/regenerate-golden.sh).
"$generate" --model "$golden" --prime "English: The loom" --temperature 0 --length 300 --threads 1 >argmax.txt
cmp -s argmax.txt "$source_dir/tests/golden/tiny-lstm.argmax.txt" || fail "golden argmax output changed: $(cat argmax.txt)"
checks=$((checks + 1))
run "$generate" --model "$golden" --prime "English: The loom" --top-k 1 --length 300 --threads 1 --seed 9
expect_equal "$(cat argmax.txt)" "$out" "--top-k 1 equals argmax"

# Seeds: the same seed repeats the output, another changes it.
run "$generate" --model "$golden" --length 200 --seed 5
first=$out
run "$generate" --model "$golden" --length 200 --seed 5
expect_equal "$first" "$out" "same seed, same text"
run "$generate" --model "$golden" --length 200 --seed 6
[ "$first" != "$out" ] || fail "another seed gave the same text"
# int8 weights: reproducible too. How far int8 moves the model from f32 is bounded in nats per
# character by evaluate_model_test.sh; whether its argmax text differs is chance, not a check.
run "$generate" --model "$golden" --length 200 --seed 5 --precision int8
expect_status 0 "--precision int8"
int8_first=$out
run "$generate" --model "$golden" --length 200 --seed 5 --precision int8
expect_equal "$int8_first" "$out" "int8: same seed, same text"

# JSONL: one record per sample, in order, with the seed that reproduces it.
run "$generate" --model "$golden" --prime "Deutsch:" --length 50 --samples 3 --format jsonl --seed 11
expect_status 0 "jsonl"
expect_equal 3 "$(printf '%s\n' "$out" | wc -l)" "three records"
printf '%s\n' "$out" >samples.jsonl
expect_equal "0 1 2|11|Deutsch:|length|50" "$("$python" -c '
import json, sys
rows = [json.loads(line) for line in open("samples.jsonl")]
print(" ".join(str(r["sample"]) for r in rows), rows[0]["seed"], rows[0]["prime"], rows[0]["stop_reason"], rows[0]["units"], sep="|")')" \
  "jsonl fields"
# Text output of the same run: each sample starts with the prime and ends its line.
run "$generate" --model "$golden" --prime "Deutsch:" --length 50 --samples 3 --seed 11
expect_equal 3 "$(printf '%s\n' "$out" | grep -c '^Deutsch:')" "three text samples"
run "$generate" --model "$golden" --prime "Deutsch:" --length 50 --samples 3 --seed 11 --hide-prime
expect_equal 0 "$(printf '%s\n' "$out" | grep -c '^Deutsch:' || true)" "--hide-prime"

# --stop ends a sample before the first match; the record names it.
run "$generate" --model "$golden" --prime "English: The loom" --temperature 0 --length 300 --threads 1 --stop "fen"
expect_equal "$(head -c "$("$python" -c 'import sys; t=open(sys.argv[1]).read(); print(len(t[:t.index("fen", 17)].encode()))' argmax.txt)" argmax.txt)" \
  "$out" "--stop cuts at the first match"
run "$generate" --model "$golden" --temperature 0 --length 300 --threads 1 --stop "zzz" --stop "te" --format jsonl
expect_contains '"stop_reason":"stop","stop":"te"' "$out" "--stop record"

# A closed pipe ends the run quietly with status 0.
set +e
"$generate" --model "$golden" --length 1000000 --seed 1 2>pipe.err | head -c 100 >/dev/null
pipe_status=${PIPESTATUS[0]}
set -e
expect_equal 0 "$pipe_status" "exit status after the reader closed the pipe"
expect_equal "" "$(cat pipe.err)" "no error after the reader closed the pipe"

# Output is valid UTF-8 for grapheme, code point and byte models trained on the multilingual sample.
for unit in grapheme codepoint byte; do
  run "$train" --corpus "$source_dir/corpora/samples/multilingual.txt" --output "$unit.safetensors" --unit "$unit" \
    --layers 1 --hidden 32 --embedding-size 8 --batch-size 4 --seq-length 32 --max-iters 60 --quiet
  expect_status 0 "train a $unit model"
  "$generate" --model "$unit.safetensors" --temperature 1.8 --length 3000 --samples 8 --seed 3 >"$unit.txt"
  "$python" -c 'import sys; sys.stdin.buffer.read().decode("utf-8")' <"$unit.txt" || fail "$unit model wrote invalid UTF-8"
  checks=$((checks + 1))
done
expect_contains "$(printf '\xc3')" "$(cat byte.txt)" "the byte model wrote multi-byte characters"

# Prime units the model never saw are listed, or skipped on request.
run "$generate" --model "$golden" --prime "⌘ʬ loom" --length 5
expect_status 2 "unknown prime units"
expect_contains "--prime has 2 unit(s) the model never saw: '⌘', 'ʬ'; pass --unknown=skip to drop them" "$err" "unknown units listed"
run "$generate" --model "$golden" --prime "⌘ʬ loom" --unknown skip --length 5 --seed 1
expect_status 0 "--unknown skip"

# Bad input: one line, non-zero status, 2 for usage errors.
run "$generate" --model missing.safetensors
expect_status 1 "missing model"
expect_contains "missing.safetensors" "$err" "missing model named"
head -c 2000 "$golden" >truncated.safetensors
run "$generate" --model truncated.safetensors
expect_status 1 "truncated model"
expect_contains "truncated.safetensors" "$err" "truncated model named"
for i in $(seq 40); do printf '1\tgood loom %s\n0\tbad loom %s\n' "$i" "$i"; done >labeled.tsv
run "$train" --task sentiment --train labeled.tsv --dev labeled.tsv --output sentiment.safetensors --hidden 8 \
  --embedding-size 4 --max-epochs 1 --quiet
expect_status 0 "train a sentiment model"
run "$generate" --model sentiment.safetensors
expect_status 1 "a sentiment model"
expect_contains "holds a model of kind 'sentiment-classifier', not a language model" "$err" "sentiment model refused"
run "$generate" --model "$golden" --prime "$(printf 'bad \xff byte')"
expect_status 2 "invalid UTF-8 prime"
expect_contains "invalid UTF-8" "$err" "invalid prime named"
for bad in "--temperature -1" "--top-p 0" "--top-p 1.5" "--length 0" "--top-k -2" "--samples 0" "--format xml"; do
  # shellcheck disable=SC2086
  run "$generate" --model "$golden" $bad
  expect_status 2 "$bad"
  expect_equal 1 "$(printf '%s\n' "$err" | wc -l)" "$bad: one line"
done
finish
