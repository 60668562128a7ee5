#!/usr/bin/env bash
# Builds every libFuzzer target with clang-14 (+ ASan and UBSan) in build-fuzz and runs
# each for CAIRN_FUZZ_RUNS executions from its seed corpus (ctest label `fuzz`).
#   scripts/fuzz.sh                 # the bounded run CI does
#   CAIRN_FUZZ_RUNS=1000000 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build-fuzz}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithAssert \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCAIRN_FUZZ=ON -DCAIRN_SANITIZE=ON -DCAIRN_BENCH=OFF \
  -DCAIRN_FUZZ_RUNS="${CAIRN_FUZZ_RUNS:-20000}" >/dev/null
targets=$(cmake --build "$build_dir" --target help | sed -n 's/^\(fuzz_[a-z0-9_]*\):.*/\1/p' | sort -u)
[[ -n "$targets" ]] || { echo "fuzz.sh: no fuzz targets found" >&2; exit 1; }
# shellcheck disable=SC2086
cmake --build "$build_dir" -j "$(nproc)" --target $targets
ctest --test-dir "$build_dir" -L fuzz --output-on-failure -j "$(nproc)"
