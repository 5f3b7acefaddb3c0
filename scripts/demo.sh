#!/usr/bin/env bash
# The README's first command: sets everything up, samples and scores with the shipped models,
# then fetches a real corpus, shows what the text layer makes of it, trains a small model on
# it briefly, samples text from the model and scores the validation split with it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/build/apps"

"$root/scripts/setup.sh"

echo
echo "== The shipped models, found by name"
"$bin/generate-text" --list-models
echo
echo "== 400 characters from the shipped shakespeare model (temperature 0.8, seed 1)"
"$bin/generate-text" --prime "ROMEO:" --length 400 --temperature 0.8 --seed 1
echo
echo "== How likely each line is under it, in nats per character (Shakespeare scores lower)"
printf 'What light through yonder window breaks?\nThe quarterly report is attached below.\n' |
  "$bin/evaluate-model" --per-line
if "$bin/score-sentiment" --list-models | grep -q '^sst2 '; then
  echo
  echo "== The shipped sst2 classifier on two sentences from a pipe"
  printf 'a warm , funny and moving film\na dull , lifeless mess\n' | "$bin/score-sentiment"
  trace=$(mktemp --suffix .html)
  "$bin/score-sentiment" --trace "$trace" <<<'slow at first , then wonderful' >/dev/null
  echo "demo: every character coloured by the running score: open $trace in a browser"
fi

corpus=""
if corpus=$("$root/scripts/fetch-corpora.sh" moby-dick); then
  echo "demo: corpus moby-dick at $corpus"
elif [ -f "$root/../shared/data/corpora/tinyshakespeare.txt" ]; then
  corpus="$root/../shared/data/corpora/tinyshakespeare.txt"
  echo "demo: moby-dick could not be fetched; using $corpus"
else
  corpus="$root/corpora/samples/multilingual.txt"
  echo "demo: moby-dick could not be fetched; using the committed sample $corpus"
fi

echo
echo "== The text layer on $(basename "$corpus"): code points, NFC, the default 90/10 split"
"$bin/inspect-corpus" --corpus "$corpus" --batch-size 4 --seq-length 72 --top 8

echo
echo "== The committed multilingual sample, as grapheme clusters (a ZWJ family is one unit)"
"$bin/inspect-corpus" --corpus "$root/corpora/samples/multilingual.txt" --unit grapheme \
  --batch-size 2 --seq-length 60 --top 5

out=$(mktemp -d)
echo
echo "== Training a small 2x256 LSTM on $(basename "$corpus") for 90 seconds (checkpoints in $out)"
"$bin/train-model" --corpus "$corpus" --output "$out/demo.safetensors" --hidden 256 \
  --time-limit 90 --eval-every 100 --log-every 20 --summary-json "$out/summary.json"
echo "demo: the model is $out/demo.safetensors; its summary:"
cat "$out/summary.json"

echo
echo "== Sampling 600 characters from it (temperature 0.8, seed 1)"
"$bin/generate-text" --model "$out/demo.safetensors" --prime "The " --length 600 --temperature 0.8 --seed 1

echo
echo "== Three samples as one batch, each stopped at its first blank line, as JSONL"
"$bin/generate-text" --model "$out/demo.safetensors" --prime "I" --length 300 --samples 3 --stop $'\n\n' \
  --format jsonl --seed 2

echo
echo "== Scoring the validation split: the same figure train-model reported"
"$bin/evaluate-model" --model "$out/demo.safetensors" --split val "$corpus"

echo
echo "== Three things to try next"
cat <<EOF
1. Train on your own text (Ctrl-C stops with a checkpoint and prints the command that resumes):
   $bin/train-model --corpus my-text.txt --output my.safetensors --time-limit 900
2. Sample from it, primed, a little cooler:
   $bin/generate-text --model my.safetensors --prime "Once" --temperature 0.7 --length 500
3. Score each line of a text, to find the ones your model finds most surprising:
   $bin/evaluate-model --model my.safetensors --per-line my-text.txt
EOF
