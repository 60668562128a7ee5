#!/usr/bin/env bash
# The README's first command: sets up a fresh Debian 12 machine, builds Cairn and runs its
# main job. Today that is the regtest demo (keys, a signed and verified transaction, a block
# with its roots); it grows into a local node with its explorer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
TARGETS="cairn cairnd" bash scripts/build.sh
exec ./build/apps/cairn/cairn --network regtest demo "$@"
