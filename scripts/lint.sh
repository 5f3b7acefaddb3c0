#!/usr/bin/env bash
# Static checks: clang-format (the layout in .clang-format) and clang-tidy (the checks in
# .clang-tidy, justified there) over every C++ file of the project, and a grep of every tracked
# text file for words about how the project is developed. Exits non-zero on any
# finding. --fix rewrites the layout in place instead of reporting it.
#
#   scripts/lint.sh [--fix]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
else
  clang-format --dry-run --Werror "${files[@]}"
fi
# The project speaks of itself alone: no tracked text tells how it is developed rather than
# what it does and why. Other projects' numbered issues may be cited.
if git ls-files -z ':!scripts/lint.sh' | xargs -0 grep -nIiE '\b(brief|sessions?)\b|\b(issue|task)s? #?[0-9]+' |
  grep -v 'oneDNN issue #'; then
  echo "lint: the lines above speak of how charloom is developed; say what it does and why instead" >&2
  exit 1
fi
# clang-tidy reads the compile commands of a build that configured every target.
build=$root/build-lint
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
mapfile -t sources < <(git ls-files '*.cpp' | grep -v '^tests/consumer/')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# xargs exits non-zero when any clang-tidy run reports a warning (WarningsAsErrors).
printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet >"$log" 2>&1 || status=1
grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter' "$log" || true
[ "$status" -eq 0 ] || { echo "lint: clang-tidy found the problems above" >&2; exit 1; }
echo "lint: clean"
