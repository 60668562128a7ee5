#!/usr/bin/env bash
# The README's second command (and what CI runs): sets up a fresh Debian 12 machine, builds
# Cairn with GCC and runs the whole test suite, then builds the libFuzzer targets with
# clang and runs each for a bounded number of executions, then benchmark smoke runs.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 600 -j "$(nproc)"
bash scripts/fuzz.sh
bash scripts/bench.sh --quick
bash bench/rpc_bench.sh --quick --no-build
bash bench/p2p_bench.sh --quick --no-build
echo "test.sh: all stages passed in $(( $(date +%s) - start )) s"
