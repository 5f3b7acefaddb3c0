#!/usr/bin/env bash
# End-to-end tests of the sentiment job: train-model --task sentiment on a separable toy,
# score-sentiment's inputs, outputs, --eval and --trace (checked in headless Chromium), and
# bad input with its line numbers.
set -euo pipefail
train=$1 score=$2 generate=$3
source "$(dirname "$0")/assert.sh"
scratch_directory
cd "$tmp"
python=/usr/bin/python3

words=(the film was quite plot and story very)
for i in $(seq 0 239); do
  text="${words[i % 8]} ${words[(i * 3) % 8]} ${words[(i * 5 + 1) % 8]}"
  if [ $((i % 2)) -eq 0 ]; then printf '1\t%s good\n' "$text"; else printf '0\tbad %s\n' "$text"; fi
done >train.tsv
head -60 train.tsv >dev.tsv

run "$train" --task sentiment --help
expect_status 0 "--help"
for flag in --task --train --dev --input-format --columns --pool --init-from --freeze-encoder --class-weight --max-length --head-only-epochs \
  --ema-decay --decay-to-pretrained --weight-drop --lm-loss-weight --positive-lm --negative-lm --soft-labels; do
  expect_contains "$flag" "$out" "--help lists $flag"
done
run "$train" --task sentiment --train train.tsv --dev dev.tsv --output s.safetensors --hidden 24 --embedding-size 8 \
  --max-epochs 25 --patience 0 --summary-json summary.json --metrics metrics.jsonl --quiet
expect_status 0 "train a sentiment model"
expect_contains '"dev_accuracy": 1.0' "$(cat summary.json)" "the toy is learned perfectly"
expect_contains '"type":"eval"' "$(cat metrics.jsonl)" "metrics per epoch"

# A bidirectional encoder learns the toy too, and scores like any other model.
run "$train" --task sentiment --bidirectional --train train.tsv --dev dev.tsv --output bi.safetensors --hidden 16 \
  --embedding-size 8 --max-epochs 25 --patience 0 --summary-json bi.json --quiet
expect_status 0 "train a bidirectional model"
expect_contains '"dev_accuracy": 1.0' "$(cat bi.json)" "the bidirectional model learns the toy"
run "$score" --model bi.safetensors <<<'so good'
expect_contains '"label":"positive"' "$out" "a bidirectional model scores"

# Distillation: the model's own scores of the training texts, as soft labels, teach a new
# classifier that starts from it; without --soft-labels such a file is refused with its line.
run "$score" --model s.safetensors --format tsv --input-format tsv train.tsv
cut -f1,3 <<<"$out" >soft.tsv
expect_contains $'0.' "$(head -c 2 soft.tsv)" "scores as soft labels"
run "$train" --task sentiment --train soft.tsv --dev dev.tsv --output x.safetensors --quiet
expect_status 1 "a soft label without --soft-labels"
expect_contains "soft.tsv:1: unknown label '$(head -1 soft.tsv | cut -f1)'" "$err" "soft label located"
expect_contains "--soft-labels" "$err" "the refusal names --soft-labels"
run "$train" --task sentiment --soft-labels --class-weight none --train soft.tsv --dev dev.tsv --init-from s.safetensors \
  --output distilled.safetensors --max-epochs 2 --summary-json distilled.json --quiet
expect_status 0 "train on soft labels"
expect_contains '"dev_accuracy": 1.0' "$(cat distilled.json)" "the distilled model keeps the toy"

# SIGINT mid-run: a checkpoint, the best model so far, exit 130 and the command that resumes,
# quoted for a shell: the output's folder has a space and a quote in its name. Running the
# printed line finishes the run.
mkdir -p "it's here"
"$train" --task sentiment --train train.tsv --dev dev.tsv --output "it's here/sig.safetensors" --hidden 24 \
  --embedding-size 8 --max-epochs 30 --patience 0 --quiet --summary-json resumed.json 2>sig.err &
pid=$!
for _ in $(seq 100); do [ -e "it's here/sig.safetensors.checkpoints/best.safetensors" ] && break; sleep 0.1; done
kill -INT "$pid"
set +e
wait "$pid"
status=$?
set -e
err=$(cat sig.err)
expect_status 130 "SIGINT"
expect_contains "train-model: resume with: " "$err" "resume advice"
[ -s "it's here/sig.safetensors" ] || fail "no model after SIGINT"
resume_line=$(sed -n 's/^train-model: resume with: //p' sig.err)
expect_contains "--resume 'it'\\''s here/sig.safetensors.checkpoints/step-" "$resume_line" "the checkpoint is quoted"
rm -f resumed.json
set +e
(eval "$resume_line") 2>resume.err
status=$?
set -e
expect_status 0 "the printed resume command runs"
expect_contains '"epochs": 30.0' "$(cat resumed.json)" "the resumed run reaches its epoch budget"
ls "it's here/sig.safetensors.checkpoints" | grep -q '\.tmp$' && fail "a temporary checkpoint was left behind"

# Lines in, JSONL out: score in [0, 1] and the label.
run "$score" --model s.safetensors <<<$'the film was good\nbad plot'
expect_status 0 "score lines"
printf '%s\n' "$out" >scored.jsonl
expect_equal "positive negative|ok" "$("$python" -c '
import json
rows = [json.loads(line) for line in open("scored.jsonl")]
ok = all(0 <= r["score"] <= 1 for r in rows) and rows[0]["text"] == "the film was good"
print(" ".join(r["label"] for r in rows) + "|" + ("ok" if ok else "bad"))')" "labels and scores"
# JSONL in keeps the input's own fields; its label becomes input_label.
run "$score" --model s.safetensors --input-format jsonl <<<'{"id": 42, "text": "so good", "label": "pos"}'
expect_contains '"id":42' "$out" "input fields kept"
expect_contains '"input_label":"pos"' "$out" "input label kept"
expect_contains '"label":"positive"' "$out" "prediction"
# TSV in (text first), TSV out.
printf 'bad story\t0\n' >text-label.tsv
run "$score" --model s.safetensors --input-format tsv --columns text,label --format tsv text-label.tsv
expect_contains $'\tnegative\tbad story' "$out" "TSV output"

# --eval: the metrics of the dev file.
run "$score" --model s.safetensors --eval dev.tsv
expect_status 0 "--eval"
for field in accuracy precision recall f1 roc_auc log_loss confusion_matrix true_positive false_negative; do
  expect_contains "\"$field\"" "$out" "--eval field $field"
done
expect_contains '"accuracy": 1.0' "$out" "--eval accuracy"

# --trace: JSONL data, and an HTML page whose colours a real browser draws.
run "$score" --model s.safetensors --trace trace.jsonl --trace-format jsonl <<<'so good'
expect_contains '"units":["s","o"," ","g","o","o","d"]' "$(cat trace.jsonl)" "trace units"
run "$score" --model s.safetensors --trace trace.html <<<$'this film was good good good\nbad bad bad plot'
expect_status 0 "--trace html"
chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
  fail "chromium is missing: run scripts/setup.sh"
else
  "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=900,500 \
    --screenshot="$tmp/trace.png" "file://$tmp/trace.html" >/dev/null 2>&1 || true
  # The screenshot must hold strongly green and strongly red pixels: the colours were drawn.
  expect_equal "green and red" "$("$python" -c '
from PIL import Image
image = Image.open("trace.png").convert("RGB")
pixels = list(image.getdata())
green = sum(1 for r, g, b in pixels if g > 120 and r < 130 and b < 130)
red = sum(1 for r, g, b in pixels if r > 180 and g < 120 and b < 120)
print("green and red" if green > 200 and red > 200 else f"green {green}, red {red}")')" "trace colours in Chromium"
fi

# Bad input: one line with the file and line, non-zero status.
run "$score" --model s.safetensors <<<$'fine\n\nalso fine'
expect_status 1 "an empty text"
expect_equal "score-sentiment: error: <stdin>:2: the text is empty; remove the line or give it text" "$err" "empty text located"
printf '1\tgood\nmaybe\tbad\n' >bad-label.tsv
run "$score" --model s.safetensors --eval bad-label.tsv
expect_status 1 "unknown label"
expect_contains "bad-label.tsv:2: unknown label 'maybe'" "$err" "unknown label located"
printf '1\tgood\nbad\n' >missing-label.tsv
run "$train" --task sentiment --train missing-label.tsv --dev dev.tsv --output x.safetensors --quiet
expect_status 1 "missing label"
expect_contains "missing-label.tsv:2:" "$err" "missing label located"
printf '1\tgood\n1\tfine\n' >one-class.tsv
run "$train" --task sentiment --train one-class.tsv --dev dev.tsv --output x.safetensors --quiet
expect_status 1 "one class"
expect_contains "has only positive labels" "$err" "one class named"
[ -e x.safetensors ] && fail "a refused run left an output"
for i in $(seq 30); do echo "a loom hums $i"; done >corpus.txt
run "$train" --corpus corpus.txt --output lm.safetensors --hidden 8 --embedding-size 4 --max-iters 2 --batch-size 2 \
  --seq-length 8 --quiet
run "$score" --model lm.safetensors <<<'good'
expect_status 1 "a language model given to score-sentiment"
expect_contains "holds a model of kind 'language-model', not a sentiment classifier" "$err" "language model refused"
run "$generate" --model s.safetensors
expect_status 1 "a sentiment model given to generate-text"
run "$score" --model s.safetensors --format xml <<<'good'
expect_status 2 "--format xml"
# A flag of the other task is a usage error that names it.
for flag in "--checkpoint-every 5" "--optimizer sgd" "--precision bf16" "--seq-length 50" "--max-iters 3"; do
  # shellcheck disable=SC2086
  run "$train" --task sentiment --train train.tsv --dev dev.tsv --output y.safetensors $flag --quiet
  expect_status 2 "$flag with --task sentiment"
  expect_contains "${flag%% *} means nothing for --task sentiment" "$err" "$flag with --task sentiment: the message"
done
run "$train" --corpus corpus.txt --output y.safetensors --pool max --quiet
expect_status 2 "--pool with --task lm"
expect_contains "--pool means nothing for --task lm" "$err" "--pool with --task lm: the message"
run "$train" --task sentiment --train train.tsv --dev dev.tsv --output y.safetensors --head-only-epochs 2 --quiet
expect_status 2 "--head-only-epochs without --init-from"
expect_contains "--head-only-epochs needs --init-from LM" "$err" "--head-only-epochs without --init-from: the message"
run "$train" --task sentiment --train train.tsv --dev dev.tsv --output y.safetensors --lr-schedule step --quiet
expect_status 2 "--lr-schedule step with --task sentiment"
expect_contains "--lr-schedule for --task sentiment is constant or cosine, got 'step'" "$err" "--lr-schedule step: the message"
run "$train" --task sentiment --train train.tsv --dev dev.tsv --output y.safetensors --ema-decay 1.5 --quiet
expect_status 2 "--ema-decay 1.5"
expect_contains "--ema-decay must be at least 0 and below 1" "$err" "--ema-decay 1.5: the message"
# A classifier can start another run from all its weights (an intermediate task); a text file cannot.
run "$train" --task sentiment --init-from s.safetensors --train train.tsv --dev dev.tsv --output from-s.safetensors \
  --max-epochs 1 --summary-json from-s.json --quiet
expect_status 0 "--init-from a sentiment classifier"
expect_contains '"dev_accuracy": 1.0' "$(cat from-s.json)" "the run keeps the perfect classifier it started from"
run "$train" --task sentiment --init-from corpus.txt --train train.tsv --dev dev.tsv --output y.safetensors --quiet
expect_status 1 "--init-from a text file"
# The auxiliary language-model loss needs a language model's head, and reports its loss per epoch.
run "$train" --task sentiment --init-from lm.safetensors --lm-loss-weight 0.5 --train train.tsv --dev dev.tsv \
  --output lm-loss.safetensors --max-epochs 2 --metrics lm-loss.jsonl --quiet
expect_status 0 "--lm-loss-weight from a language model"
expect_contains '"lm_loss":' "$(cat lm-loss.jsonl)" "--lm-loss-weight: the metrics carry the next-unit loss"
run "$train" --task sentiment --init-from s.safetensors --lm-loss-weight 0.5 --train train.tsv --dev dev.tsv \
  --output y.safetensors --quiet
expect_status 2 "--lm-loss-weight from a classifier"
expect_contains "--lm-loss-weight needs --init-from a language model" "$err" "--lm-loss-weight from a classifier: the message"
# Class language models: one fine-tuned on each class's texts from lm.safetensors; the output
# carries them, the summary reports the fitted weight, and score-sentiment uses them.
for class in 1 0; do
  awk -F'\t' -v label="$class" '$1 == label { print $2 }' train.tsv >class-$class.txt
  run "$train" --corpus class-$class.txt --init-from lm.safetensors --output class-$class.safetensors --max-iters 20 \
    --batch-size 4 --seq-length 16 --quiet
  expect_status 0 "a class language model for label $class"
done
run "$train" --task sentiment --train train.tsv --dev dev.tsv --output pair.safetensors --hidden 8 --embedding-size 4 \
  --max-epochs 1 --positive-lm class-1.safetensors --negative-lm class-0.safetensors --summary-json pair.json
expect_status 0 "--positive-lm and --negative-lm"
expect_contains "class language models at weight" "$err" "the fitted weight is reported"
expect_contains '"class_lm_weight":' "$(cat pair.json)" "the summary carries the weight"
expect_contains '"class_lm_scale":' "$(cat pair.json)" "the summary carries the scale"
expect_contains '"classifier_dev_accuracy":' "$(cat pair.json)" "the summary carries the classifier's own accuracy"
run "$score" --model pair.safetensors --eval dev.tsv
expect_status 0 "score-sentiment with class language models"
printf '%s\n' "$out" >pair-eval.json
expect_equal "same" "$("$python" -c '
import json
summary, scored = json.load(open("pair.json")), json.load(open("pair-eval.json"))
print("same" if abs(summary["dev_accuracy"] - scored["accuracy"]) < 1e-9 else f"{summary} against {scored}")')" \
  "score-sentiment --eval gives the dev accuracy that training reported"
# Each epoch is judged by the combined score, the model the run saves: every dev record carries
# it beside the classifier's own figure and the weight, the best flags follow it, and the
# saved model is the last best epoch's (or, when none beats it, epoch 0: the untrained
# classifier beside the class models). Which epoch wins depends on the CPU's rounding and the
# dropout draws; the rule is checked whichever it is.
for class in 1 0; do
  run "$train" --corpus class-$class.txt --init-from lm.safetensors --output weak-$class.safetensors --max-iters 3 \
    --batch-size 4 --seq-length 16 --quiet
  expect_status 0 "a weak class language model for label $class"
done
run "$train" --task sentiment --train train.tsv --dev dev.tsv --output epochs.safetensors --hidden 24 --embedding-size 4 \
  --max-epochs 4 --positive-lm weak-1.safetensors --negative-lm weak-0.safetensors --summary-json epochs.json \
  --metrics epochs.jsonl --quiet
expect_status 0 "class language models over four epochs"
expect_equal "follows" "$("$python" -c '
import json
summary = json.load(open("epochs.json"))
records = [json.loads(line) for line in open("epochs.jsonl")]
records = [r for r in records if r["type"] == "eval"]
problems = ["epoch %d lacks %s" % (r["epoch"], key) for r in records
            for key in ("classifier_dev_accuracy", "class_lm_weight") if key not in r]
# Epoch 0 is the untrained classifier beside the class models; when it stays best, the
# summary holds its figures and no epoch is flagged.
best = summary if summary["best_epoch"] == 0 else {"dev_accuracy": -1.0, "dev_loss": float("inf")}
for r in records:
    better = r["dev_accuracy"] > best["dev_accuracy"] or (
        r["dev_accuracy"] == best["dev_accuracy"] and r["dev_loss"] < best["dev_loss"])
    if r["best"] != better:
        problems.append("epoch %d flagged best=%s" % (r["epoch"], r["best"]))
    if better:
        best = r
flagged = [r for r in records if r["best"]]
if summary["best_epoch"] != (flagged[-1]["epoch"] if flagged else 0):
    problems.append("best_epoch %d, but the flags say otherwise" % summary["best_epoch"])
for key in ("dev_accuracy", "classifier_dev_accuracy", "class_lm_weight"):
    if flagged and abs(summary[key] - flagged[-1][key]) > 1e-9:
        problems.append("summary %s %s against epoch %d: %s" % (key, summary[key], flagged[-1]["epoch"], flagged[-1][key]))
print("; ".join(problems) or "follows")')" \
  "the epoch is chosen by the combined dev accuracy, and the summary is that epoch's"
# A second pair, the language model itself for each class: its ratio is 0 wherever it is
# read, so the weight and the dev accuracy are the first pair's alone.
run "$train" --task sentiment --train train.tsv --dev dev.tsv --output pairs.safetensors --hidden 8 --embedding-size 4 \
  --max-epochs 1 --positive-lm class-1.safetensors lm.safetensors --negative-lm class-0.safetensors lm.safetensors \
  --summary-json pairs.json --quiet
expect_status 0 "two pairs of class language models"
expect_equal "same" "$("$python" -c '
import json, struct
one, two = json.load(open("pair.json")), json.load(open("pairs.json"))
with open("pairs.safetensors", "rb") as f:
    header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
second = any(name.startswith("positive_lm2.") for name in header) and any(name.startswith("negative_lm2.") for name in header)
same = all(one[key] == two[key] for key in ("dev_accuracy", "class_lm_weight", "classifier_dev_accuracy"))
print("same" if same and second else f"{one} against {two}; second pair in the file: {second}")')" \
  "two pairs: the file carries the second, and a pair that says nothing changes nothing"
run "$train" --task sentiment --train train.tsv --dev dev.tsv --output y.safetensors \
  --positive-lm class-1.safetensors lm.safetensors --negative-lm class-0.safetensors --quiet
expect_status 2 "two positive class language models and one negative"
expect_contains "2 positive, 1 negative" "$err" "unequal pairs: the message"
run "$train" --task sentiment --train train.tsv --dev dev.tsv --output y.safetensors --positive-lm class-1.safetensors --quiet
expect_status 2 "--positive-lm alone"
expect_contains "--positive-lm and --negative-lm come together" "$err" "--positive-lm alone: the message"
run "$train" --task sentiment --train train.tsv --dev dev.tsv --output y.safetensors --positive-lm s.safetensors \
  --negative-lm class-0.safetensors --quiet
expect_status 1 "a classifier as --positive-lm"
expect_contains "not a language model" "$err" "a classifier as --positive-lm: the message"
[ -e y.safetensors ] && fail "a refused run left an output"

# GLUE's SST-2 files start with a line naming the columns: skipped, under the default --header auto.
{ printf 'sentence\tlabel\n'; awk -F'\t' '{print $2 "\t" $1}' train.tsv; } >glue-train.tsv
{ printf 'sentence\tlabel\n'; awk -F'\t' '{print $2 "\t" $1}' dev.tsv; } >glue-dev.tsv
run "$train" --task sentiment --train glue-train.tsv --dev glue-dev.tsv --columns text,label --output glue.safetensors \
  --hidden 8 --embedding-size 4 --max-epochs 1 --summary-json glue.json --quiet
expect_status 0 "a header line under --header auto"
run "$train" --task sentiment --train glue-train.tsv --dev glue-dev.tsv --columns text,label --output y.safetensors \
  --header no --quiet
expect_status 1 "a header line under --header no"
expect_contains "glue-train.tsv:1: unknown label 'label'" "$err" "--header no reads the first line as a record"
run "$score" --model glue.safetensors --eval glue-dev.tsv --columns text,label
expect_status 0 "--eval of a file with a header line"
expect_contains '"texts": 60' "$out" "the header line is not a text"

# Divergence: a relu RNN under a huge step overflows; stop names the checkpoint, rollback retries.
explode=(--task sentiment --train train.tsv --dev dev.tsv --cell rnn --activation relu --hidden 16 --embedding-size 8
  --learning-rate 90 --grad-clip 0 --max-epochs 4)
run "$train" "${explode[@]}" --output nan.safetensors --quiet
expect_status 1 "a diverging classifier"
expect_contains "stopped being finite at iteration" "$err" "divergence names the iteration"
expect_contains "lower --learning-rate or pass --on-divergence=rollback" "$err" "divergence says what to do"
[ -e nan.safetensors ] && fail "a diverged run wrote its output"
run "$train" "${explode[@]}" --output nan.safetensors --on-divergence rollback
expect_contains "rolled back to iteration 0 with the learning rate halved" "$err" "rollback restores the last checkpoint"
expect_status 0 "rollback rescues the run once the halved rate is small enough"
[ -s nan.safetensors ] || fail "the rescued run wrote no output"

# Resume refuses other data, batch size or seed, and its metrics continue the file.
run "$train" --task sentiment --train train.tsv --dev dev.tsv --output r.safetensors --hidden 8 --embedding-size 4 \
  --max-epochs 2 --metrics r.jsonl --quiet
expect_status 0 "a run to resume"
head -200 train.tsv >other-train.tsv
for change in "--train train.tsv --seed 9|resume with the same seed" \
  "--train train.tsv --batch-size 16|resume with the same value" \
  "--train other-train.tsv|trained on other data than --train other-train.tsv"; do
  # shellcheck disable=SC2086
  run "$train" --task sentiment --dev dev.tsv --output r.safetensors --max-epochs 3 \
    --resume r.safetensors.checkpoints --quiet ${change%%|*}
  expect_status 2 "resume with ${change%%|*}"
  expect_contains "${change#*|}" "$err" "resume with ${change%%|*}: the message"
done
run "$train" --task sentiment --train train.tsv --dev dev.tsv --output r.safetensors --max-epochs 3 \
  --resume r.safetensors.checkpoints --metrics r.jsonl --quiet
expect_status 0 "resume with the same settings"
expect_equal "1 2 3" "$(grep -o '"epoch":[0-9]*' r.jsonl | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')" \
  "the resumed run's metrics follow the first run's"

# A byte-unit classifier: its units are lone bytes, yet every JSON and page it writes is UTF-8.
{ printf '1\tcaf\xc3\xa9 tr\xc3\xa8s bon\n0\tpas bon \xe2\x80\x94 nul\n'; cat train.tsv; } >bytes-train.tsv
run "$train" --task sentiment --unit byte --train bytes-train.tsv --dev dev.tsv --output bytes.safetensors --hidden 8 \
  --embedding-size 4 --max-epochs 1 --quiet
expect_status 0 "a byte-unit classifier"
printf 'caf\xc3\xa9 \xe2\x80\x94 tr\xc3\xa8s bon\n' >bytes-input.txt
run "$score" --model bytes.safetensors --trace bytes-trace.jsonl --trace-format jsonl bytes-input.txt
expect_status 0 "a byte-unit trace as JSONL"
run "$score" --model bytes.safetensors --trace bytes-trace.html bytes-input.txt
expect_status 0 "a byte-unit trace as HTML"
printf '%s\n' "$out" >bytes-scores.jsonl
expect_equal "valid" "$("$python" -c '
import json
for name in ("bytes-trace.jsonl", "bytes-trace.html", "bytes-scores.jsonl"):
    text = open(name, "rb").read().decode("utf-8")  # strict: raises on any invalid byte
    if name.endswith(".jsonl"):
        [json.loads(line) for line in text.splitlines()]
print("valid")')" "a byte-unit model's outputs are valid UTF-8"
expect_contains '"text":"café — très bon"' "$(cat bytes-scores.jsonl)" "the input text comes back whole"
finish
