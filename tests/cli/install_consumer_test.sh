#!/usr/bin/env bash
# Installs charloom into a temporary prefix and builds a consumer project against it.
set -euo pipefail
build_dir=$1 source_dir=$2
source "$(dirname "$0")/assert.sh"
scratch_directory

cmake --install "$build_dir" --prefix "$tmp/prefix" >/dev/null
for path in include/charloom/text.hpp include/charloom/vocabulary.hpp lib/cmake/charloom/charloomConfig.cmake bin/inspect-corpus; do
  [ -e "$tmp/prefix/$path" ] || fail "the install lacks $path"
done
# Public headers must not pull in third-party headers.
if grep -rlE '#include <(unicode|dnnl|oneapi|boost|nlohmann)' "$tmp/prefix/include/charloom"; then
  fail "a public header includes a third-party header"
fi
cmake -S "$source_dir/tests/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
run "$tmp/consumer/consumer"
expect_status 0 "consumer runs"
expect_equal "units=3 vocabulary=3 decoded=a👍🏿b" "$out" "consumer output"
run "$tmp/prefix/bin/inspect-corpus" --help
expect_status 0 "installed app runs"
finish
