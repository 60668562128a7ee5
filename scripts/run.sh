#!/usr/bin/env bash
# The README's first command: sets up a fresh Debian 12 machine, builds Cairn and runs its
# main job: a one-node regtest devnet (`cairn devnet up --nodes 1 --validators 1
# --foreground`, docs/devnet.md) that mines, holds a funded wallet, bonds a validator that
# finalizes checkpoints, and serves the explorer, the JSON-RPC API and /metrics. The devnet
# lives in ./.cairn-devnet (kept between runs: the next run restarts it); Ctrl-C stops it.
# Extra arguments go to `cairn devnet up`, e.g. `--nodes 3 --validators 2` (replacing the
# one-node defaults) or `--mine-interval 5000`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
TARGETS="cairn cairnd" bash scripts/build.sh
dir=${CAIRN_DEVNET_DIR:-$PWD/.cairn-devnet}
base_port=${CAIRN_DEVNET_BASE_PORT:-29000}
cairn=./build/apps/cairn/cairn
rpc_port=$((base_port + 1))
cat <<EOF
Starting a regtest devnet in $dir (Ctrl-C stops it). Once it is ready (node0):
  explorer  http://127.0.0.1:$rpc_port/            (open it in a browser)
  RPC       http://127.0.0.1:$rpc_port/            (cookie in $dir/node0/regtest/rpc.cookie)
  metrics   http://127.0.0.1:$rpc_port/metrics
  log       $dir/node0/cairnd.log
  cairn     $cairn --network regtest --datadir $dir/node0 --rpc-connect 127.0.0.1:$rpc_port status
EOF
size=(--nodes 1 --validators 1)
for arg in "$@"; do
  case $arg in --nodes* | --validators*) size=() ;; esac
done
exec "$cairn" devnet up "${size[@]}" --dir "$dir" --base-port "$base_port" --foreground "$@"
