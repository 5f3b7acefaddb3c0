#!/usr/bin/env bash
# Runs the page's browser tests with node's test runner: run.sh SERVE_MODEL_BINARY.
# Skipped (77) where scripts/setup.sh could not install playwright-core or Chromium.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -x /usr/bin/chromium ] || ! command -v node >/dev/null; then
  echo "skipped: playwright-core, node or /usr/bin/chromium is missing; run scripts/setup.sh"
  exit 77
fi
SERVE_MODEL=$1 exec node --test "$here/serve_page.test.mjs"
