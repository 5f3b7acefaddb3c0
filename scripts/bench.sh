#!/usr/bin/env bash
# charloom beside PyTorch on this machine: training, evaluation and sampling speed and peak
# memory, in f32, bf16 and int8, as one Markdown table and a JSON file (build/bench/).
#
#   scripts/bench.sh [--threads N] [--rounds 3] [--runs 5] [--hidden 128,512] [--cells lstm,gru]
#
# setup.sh installs what it needs from Debian (python3-torch, and libopenblas0-pthread so that
# PyTorch's BLAS is OpenBLAS; the BLAS in use and torch.__config__ are printed) and builds
# Release.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CHARLOOM_BUILD_TYPE=Release "$root/scripts/setup.sh" >/dev/null
echo "PyTorch's BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
/usr/bin/python3 -c 'import torch; print(torch.__config__.show())'
exec /usr/bin/python3 "$root/scripts/bench.py" "$root/build" "$@"
