#!/usr/bin/env bash
# A 100 MB corpus streams to ids in well under 1 GB of memory, with exact unit counts.
set -euo pipefail
bin=$1
source "$(dirname "$0")/assert.sh"
scratch_directory

# 40-byte lines of 37 code points (é and 😀 are multi-byte), repeated to 100 MB.
line='The loom hums: é 😀 thread by thread.'
lines=2500000
{ yes "$line" || true; } | head -n "$lines" >"$tmp/big.txt"
bytes=$(stat -c %s "$tmp/big.txt")
per_line=$(printf '%s\n' "$line" | wc -m)

run "$bin" --json --corpus "$tmp/big.txt"
expect_status 0 "100 MB corpus"
units=$(sed -n 's/^  "units": \([0-9]*\),$/\1/p' <<<"$out")
rss=$(sed -n 's/^  "peak_rss_bytes": \([0-9]*\),$/\1/p' <<<"$out")
expect_equal "$((lines * per_line))" "$units" "unit count of the 100 MB corpus"
echo "corpus: $bytes bytes, $units units, peak RSS $((rss / 1048576)) MiB"
[ "$rss" -lt $((512 * 1048576)) ] || fail "peak RSS $rss bytes is not well under 1 GiB (limit here 512 MiB)"
finish
