#!/usr/bin/env bash
# Data-parallel training as real processes under mpirun: 2 and 4 ranks (oversubscribed on a
# small machine) give the losses and weights of one process within float reduction-order
# tolerance after 20 steps; resume works with the same and with a different number of ranks;
# rank 0 alone writes; the usage errors of a distributed run.
#   mpi_test.sh TRAIN_MODEL COMPARE_RUNS_PY
set -euo pipefail
bin=$1
compare=$2
source "$(dirname "$0")/assert.sh"
scratch_directory
cd "$tmp"
# Open MPI refuses root without these; CI machines often run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Under scripts/sanitize.sh: Open MPI 4.1 leaks at MPI_Finalize, from components it dlopen()ed
# and has closed by then, so LeakSanitizer sees "<unknown module>" frames that no suppression
# can name. Leak checking is off in the ranks only (ASan's other checks stay on); every
# single-process run here, and every other test, still checks leaks.
rank_asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# Shared memory and TCP on loopback only; oversubscription makes waiting ranks yield the core.
mpi=(env "ASAN_OPTIONS=$rank_asan" mpirun --oversubscribe --mca btl self,vader,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)

for i in $(seq 400); do echo "Line $i: the loom hums, the shuttle flies and the weaver counts thread $((i * 7 % 13))."; done >corpus.txt
# Two layers and dropout on, so that the dropout masks must agree stream by stream.
model=(--corpus corpus.txt --layers 2 --hidden 32 --embedding-size 16 --dropout 0.25 --seq-length 24
  --eval-every 10 --log-every 1 --threads 1 --seed 5)
common=("${model[@]}" --batch-size 8 --quiet)
tolerance=1e-4

run "$bin" "${common[@]}" --max-iters 20 --output one.safetensors --metrics one.jsonl
expect_status 0 "one process"

for n in 2 4; do
  run "${mpi[@]}" -np $n "$bin" "${common[@]}" --max-iters 20 --output np$n.safetensors --metrics np$n.jsonl \
    --summary-json np$n.json
  expect_status 0 "mpirun -np $n"
  run /usr/bin/python3 "$compare" --tolerance $tolerance one.safetensors np$n.safetensors one.jsonl np$n.jsonl
  expect_status 0 "-np $n matches one process: $out"
  # The checkpoint too: optimizer moments, and every stream's hidden state gathered from the ranks.
  run /usr/bin/python3 "$compare" --tolerance $tolerance one.safetensors.checkpoints/step-000000020.safetensors \
    np$n.safetensors.checkpoints/step-000000020.safetensors
  expect_status 0 "-np $n checkpoint matches one process: $out"
  expect_contains "\"processes\": $n" "$(cat np$n.json)" "summary names the processes"
  # Rank 0 alone writes: one set of metrics records, not one per rank.
  expect_equal "$(wc -l <one.jsonl)" "$(wc -l <np$n.jsonl)" "-np $n metrics written once"
done

# The comparison can fail: another seed is another run.
run "$bin" "${common[@]}" --max-iters 20 --seed 6 --output seed6.safetensors --metrics seed6.jsonl
run /usr/bin/python3 "$compare" --tolerance $tolerance one.safetensors seed6.safetensors one.jsonl seed6.jsonl
expect_status 1 "a different seed is detected"

# Summing after backward instead of overlapping it gives the same run.
run "${mpi[@]}" -np 2 "$bin" "${common[@]}" --max-iters 20 --allreduce after --output after.safetensors
expect_status 0 "--allreduce after"
run /usr/bin/python3 "$compare" --tolerance $tolerance one.safetensors after.safetensors
expect_status 0 "--allreduce after matches one process: $out"

# Resume with the same number of ranks continues exactly: 10 steps, then 10 more.
run "${mpi[@]}" -np 2 "$bin" "${common[@]}" --max-iters 10 --output half.safetensors --checkpoint-dir half.ckpt
expect_status 0 "first half at -np 2"
run "${mpi[@]}" -np 2 "$bin" "${common[@]}" --max-iters 20 --output resumed.safetensors --checkpoint-dir half.ckpt \
  --resume half.ckpt
expect_status 0 "resume at -np 2"
run /usr/bin/python3 "$compare" --tolerance $tolerance one.safetensors resumed.safetensors
expect_status 0 "resumed -np 2 run matches one process: $out"

# Only rank 0 needs to see the checkpoint: it sends the bytes. Rank 1 runs in another
# directory, where the relative --resume path does not exist.
mkdir elsewhere
absolute=("${common[@]/corpus.txt/$tmp/corpus.txt}" --max-iters 20 --output shipped.safetensors
  --checkpoint-dir shipped.ckpt --resume half.ckpt)
run "${mpi[@]}" -np 1 -wdir "$tmp" "$bin" "${absolute[@]}" : -np 1 -wdir "$tmp/elsewhere" "$bin" "${absolute[@]}"
expect_status 0 "resume where only rank 0 can read the checkpoint"
run /usr/bin/python3 "$compare" --tolerance $tolerance one.safetensors shipped.safetensors
expect_status 0 "a checkpoint sent from rank 0 resumes the same run: $out"
[ -e elsewhere/shipped.safetensors ] && fail "rank 1 wrote a model"

# Resume with another number of ranks: a warning, and the data and hidden states redistribute.
cp half.ckpt/step-000000010.safetensors half10.safetensors
run "${mpi[@]}" -np 4 "$bin" "${common[@]}" --max-iters 20 --output regrouped.safetensors --checkpoint-dir regrouped.ckpt \
  --resume half10.safetensors
expect_status 0 "resume a -np 2 checkpoint at -np 4"
expect_contains "warning: the checkpoint was written by 2 processes and this run has 4" "$err" "different -np warns"
run /usr/bin/python3 "$compare" --tolerance $tolerance one.safetensors regrouped.safetensors
expect_status 0 "-np 2 then -np 4 matches one process: $out"

# SIGTERM to mpirun reaches every rank: they agree on a step, checkpoint it and stop, and rank 0
# prints the command that resumes, under mpirun.
"${mpi[@]}" -np 2 "$bin" "${model[@]}" --batch-size 8 --max-iters 100000 --output signal.safetensors \
  >signal.out 2>&1 &
job=$!
for _ in $(seq 300); do
  grep -q "iter 3/" signal.out 2>/dev/null && break
  sleep 0.1
done
kill -TERM $job
wait $job || true
expect_contains "train-model: stopped by SIGTERM at iteration" "$(cat signal.out)" "SIGTERM under mpirun"
expect_contains "resume with: mpirun -np 2 " "$(cat signal.out)" "the resume command names mpirun"
step=$(sed -n 's/.*stopped by SIGTERM at iteration \([0-9]*\).*/\1/p' signal.out)
[ -s "signal.safetensors.checkpoints/step-$(printf '%09d' "${step:-0}").safetensors" ] ||
  fail "no checkpoint at the step the signal stopped ($step)"

# Usage errors.
run "${mpi[@]}" -np 4 "$bin" "${model[@]}" --quiet --batch-size 6 --max-iters 2 --output bad.safetensors
expect_status 2 "a batch that does not divide among the ranks"
# Every rank says it; which of them gets its line out before MPI_Abort stops the job varies.
expect_contains "of 4): --batch-size 6 does not divide among 4 processes; give a multiple of 4" "$err" "divide message"
[ -e bad.safetensors ] && fail "a refused run wrote a model"
run "$bin" "${common[@]}" --allreduce sometimes --max-iters 2 --output bad.safetensors
expect_status 2 "a bad --allreduce"
expect_contains "--allreduce must be overlap or after, got 'sometimes'" "$err" "--allreduce message"
printf '1\tgood\n0\tbad\n' >labeled.tsv
run "${mpi[@]}" -np 2 "$bin" --task sentiment --train labeled.tsv --dev labeled.tsv --output s.safetensors
expect_status 2 "sentiment under mpirun"
expect_contains "--task sentiment trains in one process; run it without mpirun" "$err" "sentiment message"

finish
