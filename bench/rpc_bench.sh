#!/usr/bin/env bash
# JSON-RPC benchmarks (bench/README.md, "JSON-RPC"): starts a regtest cairnd on a free loopback
# port with a temporary data dir, makes a heavy block (cairn_rpc_load --mode fill: >= 1,000
# signed transactions), then measures with cairn_rpc_load, authenticated by the node's cookie:
#   - chain_get_info (cheap) and chain_get_block {block: <heavy>, transactions: "full"} (heavy)
#     at 1, 16 and 256 keep-alive connections in a closed loop: requests/s, p50/p99 latency;
#   - new_heads WebSocket fan-out to 1,000 subscribers while blocks are mined one at a time.
# Prints a Markdown table with ratios; JSON goes to bench/results/<stamp>-rpc.json.
#
#   bench/rpc_bench.sh             build cairnd and cairn_rpc_load in $BUILD_DIR (default: build), run
#   bench/rpc_bench.sh --quick     smoke run: 1 s per HTTP case, 50 subscribers, 5 blocks
#   bench/rpc_bench.sh --no-build  use the binaries already built
#
# Needs python3. The node is stopped (SIGTERM, by its PID) and its data dir removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
bench_parse_args "$@"

cairnd="$build_dir/apps/cairnd/cairnd"
load="$build_dir/bench/cairn_rpc_load"
bench_build cairnd cairn_rpc_load
bench_require "$cairnd" "$load"

if ((quick)); then
  seconds=1 subscribers=50 blocks=5 mode=quick
else
  seconds=10 subscribers=1000 blocks=20 mode=full
fi
connection_counts=(1 16 256)
# Both limits with room to spare: 256 HTTP connections, or the subscribers plus the miner's.
max_connections=$((subscribers + 300))

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rpc_port=$(free_port)
p2p_port=$(free_port)
datadir=$(mktemp -d "${TMPDIR:-/tmp}/cairn-rpc-bench.XXXXXX")
node_pid=
cleanup() {
  if [[ -n $node_pid ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$node_pid" 2>/dev/null || true
  fi
  rm -rf "$datadir"
}
trap cleanup EXIT

"$cairnd" --network regtest --datadir "$datadir" --rpc-listen "127.0.0.1:$rpc_port" \
  --p2p-listen "/ip4/127.0.0.1/tcp/$p2p_port" --rpc-max-connections "$max_connections" \
  --rpc-max-websockets "$max_connections" >"$datadir/cairnd.log" 2>&1 &
node_pid=$!
cookie="$datadir/regtest/rpc.cookie"
for _ in $(seq 200); do
  [[ -s $cookie ]] && break
  kill -0 "$node_pid" 2>/dev/null || { echo "rpc_bench.sh: cairnd exited:" >&2; cat "$datadir/cairnd.log" >&2; exit 1; }
  sleep 0.05
done
[[ -s $cookie ]] || { echo "rpc_bench.sh: no cookie at $cookie" >&2; cat "$datadir/cairnd.log" >&2; exit 1; }
common=(--port "$rpc_port" --cookie "$cookie")

mkdir -p bench/results
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
suffix=rpc
((quick)) && suffix=rpc-quick
out="bench/results/$stamp-$suffix.json"
runs="$datadir/runs.jsonl"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
read -r idle0 total0 < <(cpu_ticks)
# CPU seconds of the server (its /proc stat) and of the load generator (this shell's children).
proc_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
# (`times` must run in this shell, not in a command substitution's subshell.)
children_seconds() { awk 'NR == 2 {gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4}' "$datadir/times"; }
server0=$(proc_seconds "$node_pid")
times >"$datadir/times"
loader0=$(children_seconds)
start_s=$(date +%s.%N)

echo "rpc_bench.sh: filling a heavy block ..." >&2
"$load" "${common[@]}" --mode fill --transactions 1000 >"$datadir/fill.json"
heavy=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hash"])' "$datadir/fill.json")
heavy_params="{\"block\":\"$heavy\",\"transactions\":\"full\"}"

for method in chain_get_info chain_get_block; do
  params='{}'
  [[ $method = chain_get_block ]] && params=$heavy_params
  for c in "${connection_counts[@]}"; do
    echo "rpc_bench.sh: $method, $c connection(s), $seconds s ..." >&2
    "$load" "${common[@]}" --mode http --method "$method" --params "$params" --connections "$c" \
      --seconds "$seconds" >>"$runs"
  done
done
echo "rpc_bench.sh: fan-out to $subscribers subscribers, $blocks blocks ..." >&2
"$load" "${common[@]}" --mode fanout --connections "$subscribers" --blocks "$blocks" >"$datadir/fanout.json"

read -r idle1 total1 < <(cpu_ticks)
wall=$(awk -v a="$start_s" -v b="$(date +%s.%N)" 'BEGIN{print b - a}')
server_cpu=$(awk -v a="$server0" -v b="$(proc_seconds "$node_pid")" -v w="$wall" 'BEGIN{printf "%.0f", 100 * (b - a) / w}')
times >"$datadir/times"
loader_cpu=$(awk -v a="$loader0" -v b="$(children_seconds)" -v w="$wall" 'BEGIN{printf "%.0f", 100 * (b - a) / w}')
busy=$(bench_busy_percent "$idle0" "$total0" "$idle1" "$total1")
kill -0 "$node_pid" 2>/dev/null || { echo "rpc_bench.sh: cairnd died during the run:" >&2; tail -n 30 "$datadir/cairnd.log" >&2; exit 1; }

bench_machine
export RPC_OUT="$out" RPC_RUNS="$runs" RPC_FILL="$datadir/fill.json" RPC_FANOUT="$datadir/fanout.json" \
  RPC_LOG="$datadir/cairnd.log" RPC_BUSY="$busy" RPC_SERVER_CPU="$server_cpu" RPC_LOADER_CPU="$loader_cpu" \
  RPC_LOAD="$load_before" RPC_MODE="$mode" RPC_DATE="$date_utc" RPC_CORES="$cores" RPC_CPU="$cpu_model"
python3 - <<'PY'
import json
import os
import re

env = os.environ
runs = [json.loads(line) for line in open(env["RPC_RUNS"])]
fill = json.load(open(env["RPC_FILL"]))
fanout = json.load(open(env["RPC_FANOUT"]))
# The server's warnings and errors (apps/cairnd/main.cpp's pattern: "<time>Z <level> <message>").
log_problems = [line.rstrip() for line in open(env["RPC_LOG"], errors="replace")
                if re.search(r"^\S+Z (warning|error|critical) ", line)]
result = {"date": env["RPC_DATE"], "mode": env["RPC_MODE"], "cpu": env["RPC_CPU"], "cores": int(env["RPC_CORES"]),
          "loadavg_before": env["RPC_LOAD"], "machine_cpu_busy_percent": int(env["RPC_BUSY"]),
          "server_cpu_percent_of_one_core": int(env["RPC_SERVER_CPU"]),
          "load_generator_cpu_percent_of_one_core": int(env["RPC_LOADER_CPU"]),
          "heavy_block": fill, "http": runs, "fanout": fanout,
          "server_log_problems": log_problems[:50], "server_log_problem_count": len(log_problems)}
json.dump(result, open(env["RPC_OUT"], "w"), indent=1)

def ms(us):
    return f"{us / 1000:.2f}" if us is not None else "–"

label = {"chain_get_info": "chain_get_info (cheap)",
         "chain_get_block": f"chain_get_block full, {fill['tx_count']} txs (heavy)"}
rows = [f"- machine: {env['RPC_CPU']}, {env['RPC_CORES']} cores; {env['RPC_DATE']}; mode {env['RPC_MODE']}; "
        f"load average before {env['RPC_LOAD']}; whole-machine CPU use during the run {env['RPC_BUSY']}% "
        f"of {env['RPC_CORES']} cores, of which cairnd {env['RPC_SERVER_CPU']}% and cairn_rpc_load "
        f"{env['RPC_LOADER_CPU']}% of one core",
        f"- heavy block: height {fill['height']}, {fill['tx_count']} transactions, {fill['size']} bytes "
        f"(filled in {fill['seconds']:.1f} s)", "",
        "| method | connections | requests/s | p50 ms | p99 ms | errors | connection errors |",
        "|---|---:|---:|---:|---:|---:|---:|"]
rate = {}
for r in runs:
    rate[(r["method"], r["connections"])] = r["requests_per_second"]
    kinds = ", ".join(f"{k}: {v}" for k, v in r["error_kinds"].items())
    conn_kinds = ", ".join(f"{k}: {v}" for k, v in r["connection_error_kinds"].items())
    rows.append(f"| {label.get(r['method'], r['method'])} | {r['connections']} | {r['requests_per_second']:.4g} | "
                f"{ms(r.get('p50_us'))} | {ms(r.get('p99_us'))} | {r['errors']}{' (' + kinds + ')' if kinds else ''} | "
                f"{r['connection_errors']}{' (' + conn_kinds + ')' if conn_kinds else ''} |")
rows += ["", "| ratio | value |", "|---|---:|"]
for c in sorted({c for _, c in rate}):
    cheap, heavy = rate.get(("chain_get_info", c)), rate.get(("chain_get_block", c))
    if cheap and heavy:
        rows.append(f"| heavy ÷ cheap requests/s, {c} connection(s) | {heavy / cheap:.4f} |")
for m in ("chain_get_info", "chain_get_block"):
    one = rate.get((m, 1))
    for c in (16, 256):
        if one and rate.get((m, c)):
            rows.append(f"| {m}: {c} ÷ 1 connection requests/s | {rate[(m, c)] / one:.2f} |")
f = fanout
rows += ["", "| fan-out | value |", "|---|---:|",
         f"| subscribers (failed to subscribe / lost / dropped notices) | {f['subscribers']} "
         f"({f['failed_subscribers']} / {f['lost_subscribers']} / {f['dropped_notices']}) |",
         f"| node_subscribe answered busy (-32003) and retried | {f['subscribe_busy_retries']} |",
         f"| blocks delivered to every subscriber | {f['blocks_delivered_to_all']} of {f['blocks']} |",
         f"| notifications received / expected | {f['notifications']} / {f['notifications_expected']} |"]
for key, text in (("each", "miner_generate called → a subscriber has the head"),
                  ("all_delivered", "miner_generate called → the last subscriber has it"),
                  ("spread", "first → last subscriber, per block"),
                  ("generate", "the miner_generate call itself")):
    p = f.get(key, {})
    rows.append(f"| {text}: p50 / p99 / max ms | {ms(p.get('p50_us'))} / {ms(p.get('p99_us'))} / "
                f"{ms(p.get('max_us'))} |")
if log_problems:
    rows += ["", f"server log: {len(log_problems)} warning/error line(s), first: {log_problems[0]}"]
print("\n".join(rows))
print(f"\nrpc_bench.sh: results in {env['RPC_OUT']}")
PY
