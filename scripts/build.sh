#!/usr/bin/env bash
# Configures and builds Cairn: GCC, -O2 with assertions on, warnings as errors for Cairn's
# own code. Uses ccache when present. BUILD_DIR (default build) and extra CMake arguments
# may be given: scripts/build.sh -DCAIRN_BENCH=OFF
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithAssert \
  -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ "$@" >/dev/null
cmake --build "$build_dir" -j "$jobs" ${TARGETS:+--target $TARGETS}
