#!/usr/bin/env bash
# Peer-to-peer benchmarks (bench/README.md, "Peer-to-peer"): regtest cairnd processes on free
# loopback ports with temporary data dirs (bench/p2p_bench.py does the work), measuring
#   - sync speed: a fresh node syncs a chain with transactions (cairn_rpc_load --mode fill)
#     from one peer: blocks/s, transactions/s, and the ratio to raw Ed25519 verification
#     (cairn_bench's BM_RawEd25519Verify, run first, alone, in the same run);
#   - bytes on the wire per relayed block: compact (block topic + blocktxn + blocks, from
#     net_get_stats) against the full block, per heavy block and over all blocks made;
#   - propagation latency across 8 nodes in a bootstrap line (--max-outbound 1):
#     blocks mined one at a time on the first, chain_get_info polled on all.
# Prints Markdown tables; JSON goes to bench/results/<stamp>-p2p.json (-p2p-quick.json).
#
#   bench/p2p_bench.sh             build cairnd, cairn, cairn_rpc_load, cairn_bench in $BUILD_DIR
#                                  (default: build), then the full run: 10,000 blocks, 10 x 1,000
#                                  transactions, 20 blocks over 8 nodes (line, then the graph
#                                  discovery makes)
#   bench/p2p_bench.sh --quick     smoke run (CI): 300 blocks, 1 x 200 transactions, 3 blocks over
#                                  8 nodes in a line
#   bench/p2p_bench.sh --no-build  use the binaries already built
#
# Needs python3. Every node is stopped by its PID (SIGTERM, then SIGKILL after 30 s) and its
# data dir removed on exit; no timing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
bench_parse_args "$@"

cairnd="$build_dir/apps/cairnd/cairnd"
cairn="$build_dir/apps/cairn/cairn"
load="$build_dir/bench/cairn_rpc_load"
bench_bin="$build_dir/bench/cairn_bench"
bench_build cairnd cairn cairn_rpc_load cairn_bench
bench_require "$cairnd" "$cairn" "$load" "$bench_bin"

mkdir -p bench/results
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
if ((quick)); then
  out="bench/results/$stamp-p2p-quick.json"
  verify_args=(--benchmark_min_time=0.05)
  run_args=(--mode quick --blocks 300 --fills 1 --transactions 200 --latency-blocks 3 --latency-pause 0.6
            --settle 2)
else
  out="bench/results/$stamp-p2p.json"
  verify_args=(--benchmark_repetitions=3 --benchmark_report_aggregates_only=true)
  run_args=(--mode full --blocks 10000 --fills 10 --transactions 1000 --latency-blocks 20 --mesh)
fi

# The verification baseline first, with no node running.
verify_json=$(mktemp "${TMPDIR:-/tmp}/cairn-p2p-verify.XXXXXX")
trap 'rm -f "$verify_json"' EXIT
"$bench_bin" --benchmark_filter='BM_RawEd25519Verify/' "${verify_args[@]}" --benchmark_format=json \
  >"$verify_json" 2>/dev/null

python3 bench/p2p_bench.py --cairnd "$cairnd" --cairn "$cairn" --rpc-load "$load" --verify-json "$verify_json" \
  --out "$out" "${run_args[@]}"
