#!/usr/bin/env bash
# End-to-end tests of train-model as a real process: a short run, its outputs, signals and
# resume, and the bad-input cases with their exact messages and exit codes.
set -euo pipefail
bin=$1
source "$(dirname "$0")/assert.sh"
scratch_directory
cd "$tmp"

for i in $(seq 200); do echo "Line $i: the loom hums and the shuttle flies, thread by thread."; done >corpus.txt
small=(--corpus corpus.txt --hidden 24 --embedding-size 8 --batch-size 4 --seq-length 20 --quiet)

run "$bin" --help
expect_status 0 "--help"
for flag in --cell --layers --hidden --embedding-size --dropout --batch-size --seq-length --optimizer \
  --learning-rate --lr-schedule --lr-decay-fraction --dropout-before-head --weight-drop --grad-clip --max-iters --max-epochs --time-limit --eval-every --val-fraction \
  --checkpoint-dir --keep-last --resume --seed --threads --unit --normalize --min-count --metrics \
  --summary-json --config --quiet --init-from; do
  expect_contains "$flag" "$out" "--help lists $flag"
done
expect_contains "--hidden arg (=512)" "$out" "--help shows defaults"

# A short run writes the model, metrics, a summary and checkpoints.
run "$bin" "${small[@]}" --output m.safetensors --max-iters 12 --eval-every 5 --metrics m.jsonl --summary-json s.json
expect_status 0 "short training run"
[ -s m.safetensors ] || fail "no model file"
for field in iterations epochs train_loss val_loss val_bpc seconds chars_per_second parameters; do
  expect_contains "\"$field\":" "$(cat s.json)" "summary field $field"
done
expect_contains '"iterations": 12' "$(cat s.json)" "summary iterations"

# --precision auto, the default, picks bf16 exactly where the CPU has it natively (these layers
# are wide enough only at --hidden 128 and up); the summary, the log and the model say which.
run "$bin" --corpus corpus.txt --hidden 128 --embedding-size 8 --batch-size 4 --seq-length 20 --max-iters 1 \
  --output p.safetensors --summary-json p.json
expect_status 0 "a run with --precision auto"
if grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then chosen=bf16; else chosen=f32; fi
expect_contains "\"precision\": \"$chosen\"" "$(cat p.json)" "auto picks $chosen on this CPU"
expect_contains "recurrent layers in $chosen: " "$err" "the log says what auto picked, and why"
record=$(python3 -c 'import json, struct, sys
f = open(sys.argv[1], "rb")
header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
t = json.loads(header["__metadata__"]["charloom.training"])
print(t["precision_asked"], t["precision"], t["precision_reason"])' p.safetensors)
expect_contains "auto $chosen this CPU" "$record" "the model records the choice and its reason"
run "$bin" --corpus corpus.txt --hidden 24 --embedding-size 8 --batch-size 4 --seq-length 20 --max-iters 1 \
  --output p.safetensors --summary-json p.json --quiet
expect_contains '"precision": "f32"' "$(cat p.json)" "auto keeps narrow layers in f32"
run "$bin" --corpus corpus.txt --output p.safetensors --precision fast
expect_status 2 "an unknown --precision"
expect_contains "use f32, bf16, int8 or auto" "$err" "--precision names its choices"

# --init-from fine-tunes a language model on other text: its architecture comes along.
printf 'other text, with a unit it never saw: \xc3\xa9\n' >>other.txt
cat corpus.txt >>other.txt
run "$bin" --corpus other.txt --init-from m.safetensors --output tuned.safetensors --max-iters 2 --batch-size 4 \
  --seq-length 20 --summary-json tuned.json --quiet
expect_status 0 "--init-from a language model"
expect_contains '"iterations": 2' "$(cat tuned.json)" "the fine-tune runs"
run "$bin" --corpus other.txt --init-from m.safetensors --output tuned.safetensors --max-iters 2 --hidden 7 --quiet
expect_status 2 "--init-from with other architecture flags"
expect_contains "drop the architecture flags or match them" "$err" "--init-from architecture clash: the advice"
run "$bin" --corpus other.txt --init-from corpus.txt --output tuned.safetensors --max-iters 2 --quiet
expect_status 1 "--init-from a text file"
expect_contains '"type":"train"' "$(cat m.jsonl)" "metrics train records"
expect_contains '"type":"eval"' "$(cat m.jsonl)" "metrics eval records"
expect_equal "best.safetensors step-000000005.safetensors step-000000010.safetensors step-000000012.safetensors" \
  "$(ls m.safetensors.checkpoints | tr '\n' ' ' | sed 's/ $//')" "checkpoints kept"
ls m.safetensors.checkpoints | grep -q '\.tmp$' && fail "a temporary file was left behind"

# --config reads flags from a file; the command line wins.
printf 'hidden = 24\nembedding-size = 8\nbatch-size = 4\nseq-length = 20\nmax-iters = 3\n' >train.cfg
run "$bin" --config train.cfg --corpus corpus.txt --output c.safetensors --max-iters 2 --quiet --summary-json c.json
expect_status 0 "--config"
expect_contains '"iterations": 2' "$(cat c.json)" "--config with a command-line override"

# --lr-schedule auto, the default, under --time-limit: the rate starts at its peak and, once
# the first evaluation has measured the speed, decays without ever rising again, and the log
# says where. Decaying over the whole horizon (--lr-decay-fraction 1) of an hour's limit,
# stopped by --max-iters, keeps this true however slowly a loaded or sanitized build runs;
# unit tests pin the default shape.
run "$bin" --corpus corpus.txt --hidden 24 --embedding-size 8 --batch-size 4 --seq-length 20 \
  --output auto.safetensors --time-limit 3600 --max-iters 12 --eval-every 5 --log-every 1 --lr-decay-fraction 1 \
  --metrics auto.jsonl
expect_status 0 "a run under --time-limit"
expect_contains "the learning rate decays from iteration 5 to iteration" "$out$err" "the decay is announced"
expect_equal "ok" "$(/usr/bin/python3 -c '
import json, sys
rates = [r["lr"] for r in map(json.loads, open("auto.jsonl")) if r["type"] == "train"]
peak = rates[0] == 0.003 and rates[-1] < 0.003
print("ok" if peak and all(b <= a for a, b in zip(rates, rates[1:])) else rates)
')" "auto: the peak, then a decay that never rises"

# SIGTERM and SIGINT finish the step, checkpoint, and say how to resume.
for signal in TERM INT; do
  "$bin" "${small[@]}" --output sig.safetensors --checkpoint-dir sig.ckpt --max-iters 0 --max-epochs 0 \
    --eval-every 1000 --summary-json sig.json 2>sig.err &
  pid=$!
  # The checkpoint directory appears once the data is loaded and training is about to start.
  for _ in $(seq 100); do [ -d sig.ckpt ] && break; sleep 0.1; done
  sleep 1
  # No thread may run a handler for these signals: oneDNN's JIT sgemm points rsp into the heap,
  # where a handler's frame would land (this once aborted a CI run with "corrupted size vs.
  # prev_size"). Every thread blocks them and none has a handler; one thread takes them with
  # sigwait, and the kernel unblocks them in that thread alone while it waits. Bits 1 and 14 of
  # the masks are SIGINT and SIGTERM.
  caught=$(awk '/^SigCgt:/ {print $2}' "/proc/$pid/status")
  expect_equal 0 "$((0x$caught & 0x4002))" "no handler for SIGINT or SIGTERM (SigCgt $caught)"
  watchers=0
  for task in /proc/"$pid"/task/*; do
    if [ "$(cat "$task/comm")" = stop-on-signal ]; then
      watchers=$((watchers + 1))
      continue
    fi
    blocked=$(awk '/^SigBlk:/ {print $2}' "$task/status")
    expect_equal 16386 "$((0x$blocked & 0x4002))" "thread ${task##*/} blocks SIGINT and SIGTERM (SigBlk $blocked)"
  done
  expect_equal 1 "$watchers" "one thread waits for the signals"
  kill -s "$signal" "$pid"
  set +e; wait "$pid"; status=$?; set -e
  expected=$([ "$signal" = TERM ] && echo 143 || echo 130)
  expect_equal "$expected" "$status" "exit status after SIG$signal"
  expect_contains "train-model: resume with: " "$(cat sig.err)" "resume hint after SIG$signal"
  checkpoint=$(sed -n 's/.*--resume \(sig.ckpt\/step-[0-9]*\.safetensors\)$/\1/p' sig.err)
  [ -f "$checkpoint" ] || fail "the checkpoint named after SIG$signal is missing: $checkpoint"
  [ -e sig.safetensors ] && fail "an interrupted run must not write the output model"
  done_steps=$(echo "$checkpoint" | sed 's/.*step-0*\([0-9]*\)\.safetensors/\1/')
  run "$bin" "${small[@]}" --output sig.safetensors --checkpoint-dir sig.ckpt --resume sig.ckpt \
    --max-iters $((done_steps + 3)) --eval-every 1000 --summary-json sig.json
  expect_status 0 "resume after SIG$signal"
  expect_contains "\"iterations\": $((done_steps + 3))" "$(cat sig.json)" "resumed run length after SIG$signal"
  rm -rf sig.ckpt sig.safetensors
done

# Bad input: one line each, a non-zero exit and no partial output.
bad() {  # bad STATUS MESSAGE ARGS...
  local expected_status=$1 message=$2
  shift 2
  run "$bin" "$@"
  expect_status "$expected_status" "$message"
  expect_contains "$message" "$err" "message"
  expect_equal 1 "$(printf '%s\n' "$err" | wc -l)" "one line for: $message"
}
: >empty.txt
bad 2 "train-model: error: the corpus is empty" --corpus empty.txt --output e.safetensors
printf 'tiny' >tiny.txt
bad 2 "the training text has 3 units but --batch-size 64 x --seq-length 100 needs at least 6401; use a longer corpus or lower --batch-size or --seq-length" \
  --corpus tiny.txt --batch-size 64 --seq-length 100 --output e.safetensors
printf 'ok\n\xe2\x82' >broken.txt
bad 1 "broken.txt:2:1: invalid UTF-8 at byte offset 3: truncated sequence" --corpus broken.txt --output e.safetensors
base=(--corpus corpus.txt --embedding-size 8 --seq-length 20 --quiet)
bad 2 "--hidden must be from 1 to 32768, got 0" "${base[@]}" --batch-size 4 --output e.safetensors --hidden 0
bad 2 "--layers must be from 1 to 64, got -2" "${small[@]}" --output e.safetensors --layers -2
bad 2 "--batch-size must be from 1 to 65536, got 9999999" "${base[@]}" --hidden 24 --output e.safetensors --batch-size 9999999
bad 2 "the argument ('abc') for option '--hidden' is invalid" "${base[@]}" --batch-size 4 --output e.safetensors --hidden abc
bad 2 "--dropout must be in [0, 1)" "${small[@]}" --output e.safetensors --dropout 1.5
bad 2 "--weight-drop must be at least 0 and below 1, got 1.000000" "${small[@]}" --output e.safetensors --weight-drop 1
bad 2 "--lr-decay-fraction must be in [0, 1]" "${small[@]}" --output e.safetensors --lr-decay-fraction 1.5
# A value holding one of Boost's %placeholders% once hung its message builder (found by fuzzing).
bad 2 "the argument ('?value?') for option '--hidden' is invalid" "${base[@]}" --batch-size 4 --output e.safetensors --hidden '%value%'
bad 2 "--precision int8 is for inference (generate-text, evaluate-model, score-sentiment); train in f32 or bf16" \
  "${small[@]}" --output e.safetensors --precision int8
printf 'hidden = %%value%%\n' >placeholder.cfg
bad 2 "placeholder.cfg: the argument ('?value?') for option 'hidden' is invalid" "${base[@]}" --batch-size 4 --output e.safetensors --config placeholder.cfg
bad 1 "cannot open missing.txt: No such file or directory" --corpus missing.txt --output e.safetensors
mkdir -p readonly && chmod 555 readonly
if [ "$(id -u)" -ne 0 ]; then
  bad 1 "cannot write the output readonly/m.safetensors" "${small[@]}" --output readonly/m.safetensors
fi
bad 1 "cannot write the output nodir/m.safetensors: No such file or directory" "${small[@]}" --output nodir/m.safetensors
bad 2 "--output . is a directory" "${small[@]}" --output .
[ -e e.safetensors ] && fail "a failed run left e.safetensors"
[ -e e.safetensors.checkpoints ] && fail "a failed run left a checkpoint directory"

# A full disk (a file size limit) gives a clear error and keeps the previous model intact.
cp m.safetensors before.safetensors
set +e
(ulimit -f 20; trap '' XFSZ; exec "$bin" "${small[@]}" --output m.safetensors --checkpoint-dir full.ckpt --max-iters 2 --eval-every 1) 2>full.err
status=$?
set -e
expect_equal 1 "$status" "exit status on a full disk"
expect_contains "File too large; free disk space or write elsewhere" "$(cat full.err)" "full-disk message"
cmp -s m.safetensors before.safetensors || fail "the previous model changed on a full disk"
ls full.ckpt | grep -q '\.tmp$' && fail "a temporary file was left on a full disk"

# Resuming with another architecture, from a plain model, or from a damaged file.
bad 2 "holds a 2x24 lstm (embedding 8, codepoint units, nfc) but the flags ask for a 1x24 lstm" "${small[@]}" --layers 1 --output r.safetensors --resume m.safetensors.checkpoints/step-000000012.safetensors --max-iters 1
bad 2 "but the flags ask for a 2x32 lstm" "${base[@]}" --batch-size 4 --hidden 32 --output r.safetensors --resume m.safetensors.checkpoints --max-iters 13
bad 1 "m.safetensors is a model, not a checkpoint" "${small[@]}" --output r.safetensors --resume m.safetensors
# ... or with another seed or corpus, which would make the resumed run another run.
bad 2 "the checkpoint was trained with --seed 1; resume with the same seed" "${small[@]}" --seed 4 \
  --output r.safetensors --resume m.safetensors.checkpoints --max-iters 13
sed 's/a/o/' corpus.txt >other-corpus.txt
bad 2 "the checkpoint was trained on other text than --corpus" --corpus other-corpus.txt --hidden 24 --embedding-size 8 \
  --batch-size 4 --seq-length 20 --quiet --output r.safetensors --resume m.safetensors.checkpoints --max-iters 13
head -c 3000 m.safetensors.checkpoints/step-000000012.safetensors >cut.safetensors
bad 1 "cut.safetensors: truncated" "${small[@]}" --output r.safetensors --resume cut.safetensors

# Divergence: a relu RNN under a huge SGD step overflows within a few iterations.
explode=(--corpus corpus.txt --cell rnn --activation relu --layers 1 --hidden 24 --embedding-size 8 --batch-size 4
  --seq-length 20 --optimizer sgd --learning-rate 90 --grad-clip 0 --max-iters 200 --eval-every 2)
run "$bin" "${explode[@]}" --quiet --output nan.safetensors
expect_status 1 "a diverging run"
expect_contains "at iteration" "$err" "divergence names the iteration"
expect_contains "lower --learning-rate or pass --on-divergence=rollback" "$err" "divergence says what to do"
[[ $err == *"became NaN"* || $err == *"became infinite"* ]] || fail "divergence message: $err"
[ -e nan.safetensors ] && fail "a diverged run wrote its output"
run "$bin" "${explode[@]}" --log-every 1000 --output nan.safetensors --on-divergence=rollback
expect_contains "rolled back to iteration" "$err" "rollback restores the last snapshot"
expect_contains "rollbacks: lower --learning-rate" "$err" "rollback gives up after its limit"

# SIGINT while the corpus is read: the run stops between chunks, long before reading would
# end, with nothing to resume; a second signal ends the process at once.
yes "To be, or not to be, that is the question: whether 'tis nobler in the mind" | head -c 100000000 >huge.txt || true  # yes ends by SIGPIPE
"$bin" --corpus huge.txt --output huge.safetensors --quiet 2>huge.err &
pid=$!
sleep 1
started=$(date +%s%N)
kill -INT "$pid"
set +e; wait "$pid"; status=$?; set -e
waited=$((($(date +%s%N) - started) / 1000000))
expect_equal 130 "$status" "SIGINT while reading the corpus"
expect_contains "stopped by SIGINT before training began; nothing to resume" "$(cat huge.err)" \
  "the stop came while reading"
[ "$waited" -lt 5000 ] || fail "SIGINT while reading took $waited ms to stop the run"
# A second SIGINT while the first waits for a long step to end (a 2x1024 LSTM over 64 x 200
# units) ends the process at once.
head -c 400000 huge.txt >long-steps.txt
"$bin" --corpus long-steps.txt --output huge.safetensors --hidden 1024 --batch-size 64 --seq-length 200 \
  --quiet 2>huge.err &
pid=$!
sleep 3
kill -INT "$pid"
sleep 0.3
kill -INT "$pid"
set +e; wait "$pid"; status=$?; set -e
expect_equal 130 "$status" "two SIGINTs"
expect_contains "stopped at once by a second signal" "$(cat huge.err)" "the second signal ends the process"
rm -f huge.txt

finish
