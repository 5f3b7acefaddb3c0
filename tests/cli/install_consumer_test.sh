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

# The shipped models are installed, and found by name from the installed library before the
# source tree's copy; the consumer's text is the installed generate-text's.
[ -f "$source_dir/models/shakespeare.safetensors" ] || { echo "the source tree ships no shakespeare model"; finish; exit; }
for model in "$source_dir"/models/*.safetensors; do
  cmp -s "$model" "$tmp/prefix/share/charloom/models/$(basename "$model")" || fail "the install lacks $(basename "$model")"
done
cmp -s "$source_dir/models/models.json" "$tmp/prefix/share/charloom/models/models.json" || fail "the install lacks models.json"
run env -u CHARLOOM_MODEL_PATH "$tmp/consumer/consumer" shakespeare
expect_status 0 "the consumer loads shakespeare by name"
expect_equal "$tmp/prefix/share/charloom/models/shakespeare.safetensors" "$(head -n1 <<<"$out")" "found in the install"
consumer_text=$(tail -n +2 <<<"$out")
run env -u CHARLOOM_MODEL_PATH "$tmp/prefix/bin/generate-text" --temperature 0 --length 60
expect_status 0 "the installed generate-text with its default model"
expect_equal "$out" "$consumer_text" "the library and the app give the same most likely text"
[ ${#consumer_text} -ge 30 ] || fail "expected about 60 characters of text, got [$consumer_text]"

# The Python module, where Debian's python3 looks under this prefix, loads the installed
# model by name and gives the same text.
module_dir=$(/usr/bin/python3 -c 'import sys; print("lib/python%d.%d/dist-packages" % sys.version_info[:2])')
if [ -d "$build_dir/python" ]; then
  compgen -G "$tmp/prefix/$module_dir/charloom.*.so" >/dev/null || fail "the install lacks the Python module in $module_dir"
  [ -f "$tmp/prefix/$module_dir/charloom.pyi" ] || fail "the install lacks the module's type stubs"
  run env -u CHARLOOM_MODEL_PATH PYTHONPATH="$tmp/prefix/$module_dir" /usr/bin/python3 -c \
    'import charloom; m = charloom.load("shakespeare"); print([f["path"] for f in charloom.models() if f["name"] == "shakespeare"][0]); print(m.generate(length=60, temperature=0), end="")'
  expect_status 0 "the installed Python module loads shakespeare by name"
  expect_equal "$tmp/prefix/share/charloom/models/shakespeare.safetensors" "$(head -n1 <<<"$out")" "Python finds it in the install"
  expect_equal "$consumer_text" "$(tail -n +2 <<<"$out")" "Python gives the app's most likely text"
fi
finish
