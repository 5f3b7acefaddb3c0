#!/usr/bin/env bash
# End-to-end tests of evaluate-model: its JSON, train-model's validation figure reproduced
# exactly, per-line records, stdin, and bad input.
set -euo pipefail
evaluate=$1 train=$2 source_dir=$3
source "$(dirname "$0")/assert.sh"
scratch_directory
cd "$tmp"
golden=$source_dir/tests/golden/tiny-lstm.safetensors
python=/usr/bin/python3
field() {  # field JSON NAME: one field of a JSON object
  "$python" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

run "$evaluate" --help
expect_status 0 "--help"
for flag in --model --per-line --split --val-fraction --batch-size --seq-length --threads --precision; do
  expect_contains "$flag" "$out" "--help lists $flag"
done

# The whole-text figures, consistent with each other.
sample=$source_dir/corpora/samples/multilingual.txt
run "$evaluate" --model "$golden" "$sample"
expect_status 0 "evaluate a file"
for name in characters nats_per_char bits_per_char perplexity; do expect_contains "\"$name\":" "$out" "field $name"; done
expect_equal "ok" "$("$python" -c '
import json, math, sys
r = json.loads(sys.argv[1])
ok = abs(r["bits_per_char"] - r["nats_per_char"] / math.log(2)) < 1e-12 and abs(r["perplexity"] - math.exp(r["nats_per_char"])) < 1e-9
ok = ok and abs(r["nats"] / r["characters"] - r["nats_per_char"]) < 1e-12
print("ok" if ok else r)' "$out")" "figures agree"
# stdin gives the same figures as the file.
whole=$out
run "$evaluate" --model "$golden" <"$sample"
expect_equal "$(field "$whole" nats)" "$(field "$out" nats)" "stdin equals the file"

# --split val reproduces train-model's validation loss exactly.
for i in $(seq 120); do echo "Line $i: warp, weft and the shuttle between them."; done >corpus.txt
run "$train" --corpus corpus.txt --output m.safetensors --hidden 32 --embedding-size 8 --batch-size 6 --seq-length 24 \
  --max-iters 30 --eval-every 30 --dropout 0.1 --quiet --summary-json summary.json
expect_status 0 "train"
run "$evaluate" --model m.safetensors --split val corpus.txt
expect_status 0 "--split val"
expect_equal "$(field "$(cat summary.json)" val_loss)" "$(field "$out" nats_per_char)" "val split equals train-model's val_loss"
expect_equal 6 "$(field "$out" batch_size)" "the training batch is the default for a split"
# Unknown units are counted in the part scored: here all three sit in the train part.
{ echo "Zß¿ at the start"; tail -n +2 corpus.txt; } >unknown.txt
for part in "all 3" "train 3" "val 0"; do
  run "$evaluate" --model m.safetensors --split "${part% *}" unknown.txt
  expect_equal "${part#* }" "$(field "$out" unknown_units)" "unknown units in --split ${part% *}"
done

# --precision int8 (weights quantized on loading) stays within 2% of f32 on the same split.
run "$evaluate" --model m.safetensors --split val --precision int8 corpus.txt
expect_status 0 "--precision int8"
expect_equal "ok" "$("$python" -c '
import json, sys
exact, quantized = json.loads(sys.argv[1])["nats_per_char"], json.loads(sys.argv[2])["nats_per_char"]
print("ok" if exact != quantized and abs(quantized - exact) < 0.02 * exact else (exact, quantized))' \
  "$(cat summary.json | "$python" -c 'import json, sys; print(json.dumps({"nats_per_char": json.load(sys.stdin)["val_loss"]}))')" "$out")" \
  "int8 within 2% of f32"
# oneDNN 2.6 quantizes LSTM layers only: a GRU model is a usage error that says so.
run "$train" --corpus corpus.txt --output gru.safetensors --cell gru --hidden 16 --embedding-size 8 --batch-size 6 \
  --seq-length 24 --max-iters 2 --quiet
run "$evaluate" --model gru.safetensors --precision int8 corpus.txt
expect_status 2 "int8 GRU"
expect_contains "LSTM" "$err" "int8 GRU: says LSTM only"

# --per-line: one record per line, each line alone from the zero state.
printf 'Line 1: warp\n\nX\nLine 7: weft and the shuttle\n' >lines.txt
run "$evaluate" --model m.safetensors --per-line lines.txt
expect_status 0 "--per-line"
expect_equal 4 "$(printf '%s\n' "$out" | wc -l)" "one record per line"
printf '%s\n' "$out" >lines.jsonl
expect_equal "12 11|0 0|1 0|28 27" "$("$python" -c '
import json
print("|".join("%d %d" % (r["units"], r["units_scored"]) for r in map(json.loads, open("lines.jsonl"))))')" "units and units_scored"
# A line scores the same alone as among others.
printf 'Line 7: weft and the shuttle\n' >one.txt
run "$evaluate" --model m.safetensors --per-line one.txt
expect_equal "$("$python" -c 'import json; print(round(json.loads(open("lines.jsonl").readlines()[3])["nats"], 9))')" \
  "$("$python" -c 'import json, sys; print(round(json.loads(sys.argv[1])["nats"], 9))' "$out")" "a line alone scores the same"

# Bad input: one line, non-zero status, 2 for usage errors.
run "$evaluate" --model missing.safetensors "$sample"
expect_status 1 "missing model"
expect_contains "missing.safetensors" "$err" "missing model named"
head -c 3000 "$golden" >truncated.safetensors
run "$evaluate" --model truncated.safetensors "$sample"
expect_status 1 "truncated model"
run "$evaluate" --model "$golden" missing.txt
expect_status 1 "missing text"
expect_contains "missing.txt" "$err" "missing text named"
printf 'ok \xff bad\n' >bad.txt
run "$evaluate" --model "$golden" bad.txt
expect_status 1 "invalid UTF-8"
expect_contains "bad.txt:1:4" "$err" "invalid UTF-8 located"
for bad in "--split test" "--batch-size 0" "--seq-length -1" "--per-line --split val" "--precision fp8"; do
  # shellcheck disable=SC2086
  run "$evaluate" --model "$golden" $bad "$sample"
  expect_status 2 "$bad"
  expect_equal 1 "$(printf '%s\n' "$err" | wc -l)" "$bad: one line"
done
finish
