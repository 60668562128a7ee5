#!/usr/bin/env bash
# The README's first command: sets up a fresh Debian 12 machine, builds Cairn and runs its
# main job: a local regtest node that mines, in ./.cairn-local (kept between runs; Ctrl-C
# stops it cleanly). Extra arguments go to cairnd, e.g. `--mine-threads 2`. The explorer
# and RPC join as their issues land.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
TARGETS="cairn cairnd" bash scripts/build.sh
datadir=${CAIRN_DATADIR:-$PWD/.cairn-local}
echo "Starting a regtest node in $datadir (Ctrl-C to stop; check it with:"
echo "  ./build/apps/cairnd/cairnd --network regtest --datadir $datadir --check-chain)"
exec ./build/apps/cairnd/cairnd --network regtest --datadir "$datadir" --mine "$@"
