#!/usr/bin/env bash
# The sanitizer build: clang-14 with AddressSanitizer, UndefinedBehaviorSanitizer and
# -Wthread-safety (plus the Boost coroutine defines of DESIGN.md), real libFuzzer targets;
# runs the unit and fuzz tests. Run it before resolving an issue.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build-asan}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithAssert \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCAIRN_SANITIZE=ON -DCAIRN_FUZZ=ON -DCAIRN_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
  ctest --test-dir "$build_dir" -L 'unit|fuzz' --output-on-failure --timeout 600 -j "$(nproc)"
