#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan (build-fuzz/) and runs each for
# SECONDS (default 30), one per core at a time, starting from its committed seed corpus. Prints the executions and
# the coverage each reached; any crash stops with its input saved under build-fuzz/crashes/.
# Add a crash input to tests/fuzz/regressions/TARGET/ once fixed: ctest replays it for good.
# The random seed is fixed (CHARLOOM_FUZZ_SEED, default 1) so that a CI run is reproducible;
# CHARLOOM_FUZZ_SEED=0 lets libFuzzer pick one, for longer hunts.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
shift || true
build=$root/build-fuzz
"$root/scripts/setup.sh" >/dev/null
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHARLOOM_FUZZ=ON >/dev/null
# Quiet when it builds; a failed build shows its errors rather than ending the script silently.
if ! cmake --build "$build" >"$build/build.log" 2>&1; then
  grep -E -A8 'error|FAILED' "$build/build.log" | head -60 >&2
  echo "fuzz.sh: the fuzz build failed; the whole log is $build/build.log" >&2
  exit 1
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_tokenizer fuzz_vocabulary fuzz_model_file fuzz_labeled_text fuzz_config_file)
mkdir -p "$build/crashes"
# LeakSanitizer: the OpenMP runtime keeps its thread pool to the end; nothing of charloom's.
export ASAN_OPTIONS=detect_leaks=1
# One target per core at a time; the table follows in the targets' order once all are done.
run_target() {
  local target=$1 work=$build/corpus/$1 log=$build/$1.log
  mkdir -p "$work"
  if ! "$build/tests/fuzz/$target" -seed="${CHARLOOM_FUZZ_SEED:-1}" -max_total_time="$seconds" -print_final_stats=1 \
      -timeout=10 -rss_limit_mb=4096 \
      -artifact_prefix="$build/crashes/$target-" "$work" "$root/tests/fuzz/corpus/$target" >"$log" 2>&1; then
    echo "fuzz.sh: $target crashed; the input is in $build/crashes/ and the report in $log" >&2
    tail -40 "$log" >&2
    return 1
  fi
}
export -f run_target
export build root seconds
printf '%s\n' "${targets[@]}" | xargs -P "$(nproc)" -I{} bash -c 'run_target "$1"' _ {} || exit 1
printf '| target | seconds | executions | coverage (edges) | features | corpus |\n| --- | --- | --- | --- | --- | --- |\n'
for target in "${targets[@]}"; do
  log=$build/$target.log
  # libFuzzer's last status line: "#RUNS<TAB>DONE   cov: EDGES ft: FEATURES corp: UNITS/SIZE ...".
  done_line=$(grep -E 'DONE +cov:' "$log" | tail -1 || true)
  field() { sed -n "s/.*$1: \([0-9]*\).*/\1/p" <<<"$done_line"; }
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  coverage=$(field cov)
  features=$(field ft)
  corpus=$(field corp)
  printf '| %s | %s | %s | %s | %s | %s |\n' "$target" "$seconds" "$executions" "$coverage" "$features" "$corpus"
done
