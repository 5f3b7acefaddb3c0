#!/usr/bin/env bash
# convert-model: BF16 storage halves a model's tensors and moves its scores by little; widening
# back to f32 is exact; a checkpoint's training state is left behind; bad input keeps the output.
set -euo pipefail
convert=$1 evaluate=$2 score=$3 source_dir=$4
source "$(dirname "$0")/assert.sh"
scratch_directory
cd "$tmp"
golden=$source_dir/tests/golden/v2-language-model.safetensors
classifier=$source_dir/tests/golden/v2-classifier-with-class-models.safetensors
sample=$source_dir/corpora/samples/multilingual.txt
nats() { "$evaluate" --model "$1" "$sample" | sed -n 's/.*"nats_per_char": \([0-9.e-]*\).*/\1/p'; }

run "$convert" "$golden" small.safetensors
expect_status 0 "to bf16"
expect_contains "wrote small.safetensors: bf16 tensors" "$out" "what was written"
f32_bytes=$(stat -c %s "$golden") bf16_bytes=$(stat -c %s small.safetensors)
python3 -c "import sys; sys.exit(0 if $bf16_bytes < 0.6 * $f32_bytes else 1)" ||
  fail "bf16 storage should take little more than half: $bf16_bytes of $f32_bytes bytes"
f32_nats=$(nats "$golden") bf16_nats=$(nats small.safetensors)
python3 -c "import sys; d = abs($bf16_nats - $f32_nats); sys.exit(0 if 0 < d < 0.01 else 1)" ||
  fail "bf16 weights should move nats/char a little: $f32_nats became $bf16_nats"

run "$convert" --storage f32 small.safetensors wide.safetensors
expect_status 0 "back to f32"
expect_equal "$bf16_nats" "$(nats wide.safetensors)" "widening bf16 to f32 changes no weight"
run "$convert" small.safetensors again.safetensors
cmp -s small.safetensors again.safetensors || fail "bf16 to bf16 should write the same bytes"

# A classifier keeps its class language models, each stored as bf16 too.
run "$convert" "$classifier" classifier.safetensors
expect_status 0 "a classifier with class language models"
run "$score" --model classifier.safetensors <<<'a fine , moving film'
expect_status 0 "the converted classifier scores"
expect_contains '"label":' "$out" "a score"

# Mixing: a model mixed with itself scores as it does alone; a mixture of mixtures is flat.
run "$convert" --storage f32 --mix-with "$golden" "$golden" twice.safetensors
expect_status 0 "a mixture"
expect_contains "a mixture of 2" "$out" "what was written"
twice_nats=$(nats twice.safetensors)
python3 -c "import sys; sys.exit(0 if abs($twice_nats - $f32_nats) < 1e-9 * $f32_nats else 1)" ||
  fail "a model mixed with itself should score as alone: $f32_nats became $twice_nats"
run "$convert" --mix-with twice.safetensors --mix-with "$golden" "$golden" four.safetensors
expect_contains "a mixture of 4" "$out" "members of a mixed-in mixture join one by one"
run "$convert" --mix-with "$source_dir/tests/golden/tiny-lstm.safetensors" "$golden" kept.safetensors
expect_status 2 "a model of another width"
expect_contains "cannot join the mixture: a member's hidden (32) differs from the first model's (16)" "$err" "says why"
run "$convert" --mix-with "$classifier" "$golden" kept.safetensors
expect_status 2 "a classifier"
expect_contains "only language models mix" "$err" "says why"

# Bad input: usage errors exit 2; nothing replaces the output when the input is bad.
echo keep >kept.safetensors
run "$convert" --storage f16 "$golden" kept.safetensors
expect_status 2 "an unknown storage"
expect_contains "--storage must be bf16 or f32, got 'f16'" "$err" "names the flag"
run "$convert" "$golden"
expect_status 2 "no output"
printf 'not a model' >bad.safetensors
run "$convert" bad.safetensors kept.safetensors
expect_status 1 "a bad input file"
expect_contains "bad.safetensors" "$err" "names the file"
expect_equal keep "$(cat kept.safetensors)" "the output is untouched"
finish
