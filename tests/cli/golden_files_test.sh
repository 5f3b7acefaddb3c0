#!/usr/bin/env bash
# Model files written by earlier formats load and score as they did when they were written:
# each file under tests/golden beside the outputs the build that wrote it gave, compared to
# 1e-9 (the last bits of oneDNN's sums may differ between CPUs, nothing more).
set -euo pipefail
score=$1 evaluate=$2 source_dir=$3
source "$(dirname "$0")/assert.sh"
scratch_directory
golden=$source_dir/tests/golden

# same_numbers EXPECTED ACTUAL LABEL: the same JSONL records, numbers within 1e-6 relative.
# The models compute in f32 (about 7 digits), and oneDNN picks kernels by CPU, so the last
# digits differ between CPUs (by up to 3e-9 relative between AVX-512 CPUs of two makers); a
# change of format or arithmetic moves the figures far more.
same_numbers() {
  checks=$((checks + 1))
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY' || fail "$3 differs from the golden output"
import json, math, sys
expected = [json.loads(line) for line in open(sys.argv[1])]
actual = [json.loads(line) for line in open(sys.argv[2])]
def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b
ok = len(expected) == len(actual) and all(same(a, b) for a, b in zip(expected, actual))
if not ok:
    print(f"{sys.argv[3]}:\n expected {expected}\n actual   {actual}", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

for kind in v2-classifier v2-bidirectional-classifier v2-classifier-with-class-models; do
  "$score" --model "$golden/$kind.safetensors" --threads 1 <"$golden/sentiment-texts.txt" >"$tmp/$kind.jsonl"
  same_numbers "$golden/$kind.scores.jsonl" "$tmp/$kind.jsonl" "$kind's scores"
done

cd "$source_dir"
"$evaluate" --model tests/golden/v2-language-model.safetensors --threads 1 --per-line \
  corpora/samples/multilingual.txt >"$tmp/lm.jsonl"
same_numbers tests/golden/v2-language-model.lines.jsonl "$tmp/lm.jsonl" "the v2 language model's per-line scores"
"$evaluate" --model tests/golden/v4-language-model-mixture.safetensors --threads 1 --per-line \
  corpora/samples/multilingual.txt >"$tmp/mixture.jsonl"
same_numbers tests/golden/v4-language-model-mixture.lines.jsonl "$tmp/mixture.jsonl" "the v4 mixture's per-line scores"
finish
