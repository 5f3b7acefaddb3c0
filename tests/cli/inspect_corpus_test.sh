#!/usr/bin/env bash
# End-to-end tests of inspect-corpus: real runs, exit codes and the exact error lines.
set -euo pipefail
bin=$1 samples=$2
source "$(dirname "$0")/assert.sh"
scratch_directory

run "$bin" --help
expect_status 0 "--help"
expect_contains "--invalid-utf8 arg (=error)" "$out" "--help shows defaults"
expect_contains "--unit arg (=codepoint)" "$out" "--help shows defaults"

run "$bin" --json --corpus "$samples/multilingual.txt" --batch-size 2 --seq-length 8
expect_status 0 "json report"
expect_contains '"unit": "codepoint"' "$out" "json unit"
expect_contains '"unknown_units": 0' "$out" "json unknown"

# A grapheme count lower than the code point count on the multilingual sample.
units() { "$bin" --json --corpus "$samples/multilingual.txt" --batch-size 2 --seq-length 8 "$@" |
  sed -n 's/^  "units": \([0-9]*\),$/\1/p'; }
codepoints=$(units --unit codepoint --normalize none)
graphemes=$(units --unit grapheme --normalize none)
bytes=$(units --unit byte --normalize none)
expect_equal "$(wc -c <"$samples/multilingual.txt")" "$bytes" "byte units count the file's bytes"
[ "$graphemes" -lt "$codepoints" ] || fail "graphemes ($graphemes) should be fewer than code points ($codepoints)"
[ "$codepoints" -lt "$bytes" ] || fail "code points ($codepoints) should be fewer than bytes ($bytes)"

printf 'good line\nbad \xC0\xAF here\n' >"$tmp/bad.txt"
run "$bin" --corpus "$tmp/bad.txt"
expect_status 1 "invalid UTF-8"
expect_equal "inspect-corpus: error: $tmp/bad.txt:2:5: invalid UTF-8 at byte offset 14: overlong encoding (lead byte 0xC0); fix the text or pass --invalid-utf8=replace to read it as U+FFFD" "$err" "invalid UTF-8 message"

run "$bin" --corpus "$tmp/bad.txt" --invalid-utf8=replace --batch-size 1 --seq-length 4
expect_status 0 "--invalid-utf8=replace"

run "$bin" --corpus "$tmp/missing.txt"
expect_status 1 "missing file"
expect_equal "inspect-corpus: error: cannot open $tmp/missing.txt: No such file or directory; check the path" "$err" "missing file message"

run "$bin" --corpus "$tmp"
expect_status 1 "directory as corpus"
expect_equal "inspect-corpus: error: $tmp is a directory; give the path of a file" "$err" "directory message"

: >"$tmp/empty.txt"
run "$bin" --corpus "$tmp/empty.txt"
expect_status 2 "empty corpus"
expect_contains "the training text has 0 units" "$err" "empty corpus message"

run "$bin" --corpus "$samples/multilingual.txt" --batch-size 0
expect_status 2 "zero batch size"
expect_equal "inspect-corpus: error: --batch-size must be from 1 to 65536, got 0" "$err" "batch size message"

run "$bin" --corpus "$samples/multilingual.txt" --unit word
expect_status 2 "unknown unit"
expect_equal "inspect-corpus: error: unknown unit 'word'; use one of codepoint, grapheme, byte" "$err" "unit message"

run "$bin" --corpus "$samples/multilingual.txt" --val-fraction 1.5
expect_status 2 "val fraction"
expect_contains "--val-fraction must be in [0, 1)" "$err" "val fraction message"

run "$bin" --no-such-flag
expect_status 2 "unknown flag"
expect_equal "inspect-corpus: error: unrecognised option '--no-such-flag'; see --help" "$err" "unknown flag message"

finish
