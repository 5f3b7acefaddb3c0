#!/usr/bin/env bash
# Installs every Debian package charloom's build, tests and scripts need, then builds Release into build/.
# Idempotent: packages already present are not touched, and the build is incremental.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ocl-icd-opencl-dev: Debian's dnnl CMake config looks for OpenCL even for CPU-only use.
packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libdnnl-dev ocl-icd-opencl-dev libicu-dev libboost-program-options-dev doctest-dev nlohmann-json3-dev zlib1g-dev
  # serve-model's HTTP
  libcpp-httplib-dev
  # fetch-corpora.sh: dpkg-deb unpacks Debian archives, xz the kernel tarball, and the KJV
  # is printed by bible-kjv's own reader, which links readline
  dpkg-dev xz-utils libreadline8
  # the PyTorch parity test, the plotting script and the benchmarks' PyTorch peer, on Debian's
  # own python3; OpenBLAS so that the peer's BLAS is not the slow reference one
  python3-torch python3-matplotlib libopenblas0-pthread
  # the Python module and its tests
  pybind11-dev python3-pybind11 python3-numpy python3-dev python3-pytest
  # score-sentiment's HTML trace is tested in a real headless browser; PIL reads its screenshot
  chromium python3-pil fonts-dejavu-core
  # the sentiment recipe's bag-of-words baseline
  python3-sklearn
  # fuzzing (libFuzzer with clang's runtime) and the static checks
  clang libclang-rt-14-dev clang-format clang-tidy
  # data-parallel training across processes and hosts; iproute2 builds the test's network namespaces
  libopenmpi-dev openmpi-bin iproute2
)
# npm usually comes with the machine's Node.js; Debian's npm package conflicts with other builds.
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The page's browser tests drive Debian's Chromium with playwright-core, pinned by its lock
# file; it needs node 20 or later.
if command -v npm >/dev/null && [ ! -d "$root/tests/browser/node_modules/playwright-core" ]; then
  (cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error) ||
    echo "setup: npm could not install playwright-core; the browser tests will be skipped"
fi

build_type=${CHARLOOM_BUILD_TYPE:-Release}
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" "$@" >/dev/null
cmake --build "$root/build" --parallel "$(nproc)"
