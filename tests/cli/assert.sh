# Assertions for the command-line tests: run a command, check its exit code and output.
# Each failure prints what was expected and what came; the script exits 1 at the end if any failed.
failures=0
checks=0

# scratch_directory: a new temporary directory in $tmp, removed when the test exits.
scratch_directory() {
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
}

# run CMD...: runs a command, keeping its exit code in $status and its output in $out / $err.
run() {
  local out_file err_file
  out_file=$(mktemp); err_file=$(mktemp)
  set +e
  "$@" >"$out_file" 2>"$err_file"
  status=$?
  set -e
  out=$(cat "$out_file"); err=$(cat "$err_file")
  rm -f "$out_file" "$err_file"
}

fail() {
  failures=$((failures + 1))
  echo "FAIL: $*" >&2
}

expect_status() {
  checks=$((checks + 1))
  [ "$status" -eq "$1" ] || fail "${2:-}: exit status $status, expected $1 (stderr: $err)"
}

expect_contains() {  # expect_contains WHAT TEXT [LABEL]
  checks=$((checks + 1))
  [[ $2 == *"$1"* ]] || fail "${3:-}: expected to find [$1] in [$2]"
}

expect_equal() {  # expect_equal EXPECTED ACTUAL [LABEL]
  checks=$((checks + 1))
  [ "$1" = "$2" ] || fail "${3:-}: expected [$1], got [$2]"
}

finish() {
  echo "$checks checks, $failures failed"
  [ "$failures" -eq 0 ]
}
