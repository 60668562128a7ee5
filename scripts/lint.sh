#!/usr/bin/env bash
# clang-format check and clang-tidy over Cairn's sources (needs build/compile_commands.json).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'src/*.cpp' 'src/*.h' 'apps/*.cpp' 'apps/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp')
clang-format-14 --dry-run --Werror "${files[@]}"
mapfile -t sources < <(git ls-files 'src/*.cpp' 'apps/*.cpp')
clang-tidy-14 -p build --quiet "${sources[@]}"
