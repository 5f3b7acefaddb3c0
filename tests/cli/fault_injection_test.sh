#!/usr/bin/env bash
# Fault injection with real processes. train-model is killed with SIGKILL at random moments,
# 20 times, while it writes a checkpoint every iteration: after every kill the newest
# checkpoint on disk loads and --resume continues from it. Then: stdin closed early, a
# directory given as a file, an unreadable file (as an unprivileged user) and missing files,
# for each app.
set -euo pipefail
train=$1 generate=$2 evaluate=$3 score=$4
source "$(dirname "$0")/assert.sh"
scratch_directory
cd "$tmp"

for i in $(seq 200); do echo "Line $i: warp, weft and the shuttle between them."; done >corpus.txt
# --max-epochs 0: no budget ends a run between kills, however fast this machine trains.
args=(--corpus corpus.txt --hidden 32 --embedding-size 8 --batch-size 4 --seq-length 20 --quiet
  --output m.safetensors --checkpoint-dir ck --checkpoint-every 1 --eval-every 5 --max-epochs 0 --max-iters 1000000)
newest() { ls ck/step-*.safetensors 2>/dev/null | sort | tail -1 || true; }
RANDOM=7  # reproducible "random" moments
for trial in $(seq 20); do
  resume=()
  [ -n "$(newest)" ] && resume=(--resume ck)
  before=$(newest)
  "$train" "${args[@]}" "${resume[@]}" &
  pid=$!
  # Wait until this run has written a checkpoint of its own (however slow start-up is on a
  # busy machine), then kill it 0-0.99 s later: in a step, or in a checkpoint write.
  for _ in $(seq 600); do
    [ "$(newest)" != "$before" ] && break
    sleep 0.1
  done
  sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  checkpoint=$(newest)
  [ -n "$checkpoint" ] || { fail "trial $trial: no checkpoint on disk after SIGKILL"; continue; }
  run "$evaluate" --model "$checkpoint" corpus.txt
  expect_status 0 "trial $trial: the newest checkpoint ($checkpoint) loads"
done
# A run resumed after the last kill finishes and writes its model.
step=$(basename "$(newest)" .safetensors)
step=$((10#${step#step-}))
run "$train" "${args[@]/1000000/$((step + 3))}" --resume ck
expect_status 0 "resume after the last SIGKILL"
[ -s m.safetensors ] || fail "no model after the resumed run"

# stdin closed early: reading it is an error or end of input, never a crash.
for app in "$evaluate --model m.safetensors" "$score --model m.safetensors"; do
  set +e
  $app <&- >/dev/null 2>closed.err
  status=$?
  set -e
  [ "$status" -le 2 ] || fail "$app with stdin closed: status $status ($(cat closed.err))"
  checks=$((checks + 1))
done

# A directory given as a file, a missing file, and (as an unprivileged user) an unreadable one.
mkdir adir
run "$evaluate" --model adir corpus.txt
expect_status 1 "a directory as the model"
expect_contains "adir is a directory" "$err" "directory named"
run "$evaluate" --model m.safetensors adir
expect_status 1 "a directory as the text"
run "$generate" --model missing.safetensors
expect_status 1 "a missing model"
expect_contains "missing.safetensors" "$err" "missing model named"
run "$train" --corpus corpus.txt --output x.safetensors --config missing.cfg
expect_status 1 "a missing config file"
expect_contains "cannot read config file missing.cfg; check the path" "$err" "missing config file named"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  cp corpus.txt secret.txt
  chmod 600 secret.txt
  chmod 755 "$tmp"
  run "${as_nobody[@]}" "$evaluate" --model m.safetensors secret.txt
  expect_status 1 "an unreadable text"
  expect_contains "secret.txt" "$err" "unreadable text named"
  expect_contains "Permission denied" "$err" "unreadable text: the reason"
fi
finish
