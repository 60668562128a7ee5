#!/usr/bin/env bash
# Networking benchmarks (bench/README.md, "Networking"): runs cairn_bench's BM_Net* cases and
# js-libp2p doing the same transfers (tests/interop/js_bench.mjs) in the same run, and prints
# a Markdown table of the rates with the ratios (Cairn ÷ plain TCP, Cairn ÷ js-libp2p).
#
#   bench/net_bench.sh             build cairn_bench in $BUILD_DIR (default: build), run
#   bench/net_bench.sh --quick     smoke run: one iteration each, a smaller js transfer
#   bench/net_bench.sh --no-build  use the cairn_bench already built
#
# JSON goes to bench/results/<date>-net.json. Needs python3; the js column needs Node.js and
# `npm ci` in tests/interop (it is left out otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
bench_parse_args "$@"

bench_bin="$build_dir/bench/cairn_bench"
# The configuration of scripts/build.sh (configures the build directory when needed).
bench_build cairn_bench
bench_require "$bench_bin"

mkdir -p bench/results
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
out="bench/results/$stamp-net.json"
js_out="bench/results/$stamp-net-js.json"
if ((quick)); then
  args=(--benchmark_min_time=0.01)
  js_args=(--mib 8 --messages 1000)
else
  args=(--benchmark_repetitions=3 --benchmark_report_aggregates_only=true)
  js_args=(--mib 64 --messages 10000)
fi

read -r idle0 total0 < <(cpu_ticks)
"$bench_bin" --benchmark_filter=BM_Net "${args[@]}" --benchmark_format=json >"$out"
node=$(command -v node || true)
if [[ -n $node && -d tests/interop/node_modules ]]; then
  (cd tests/interop && "$node" js_bench.mjs "${js_args[@]}") >"$js_out"
else
  echo '{}' >"$js_out"
fi
read -r idle1 total1 < <(cpu_ticks)
busy=$(bench_busy_percent "$idle0" "$total0" "$idle1" "$total1")

bench_machine
export NET_JSON="$out" NET_JS_JSON="$js_out" NET_BUSY="$busy" NET_DATE="$date_utc" NET_CPU="$cpu_model" \
  NET_CORES="$cores"
python3 - <<'PY'
import json
import os

env = os.environ
runs = {}
for b in json.load(open(env["NET_JSON"]))["benchmarks"]:
    if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
        continue
    runs[b.get("run_name", b["name"])] = b
js = json.load(open(env["NET_JS_JSON"]))


def find(prefix):
    for name, r in runs.items():
        if name.startswith(prefix):
            return r
    return None


MiB = 1024 * 1024
tcp = find("BM_NetPlainTcp/")
tcp_mbps = tcp["bytes_per_second"] / MiB if tcp else None
rows = [f"- machine: {env['NET_CPU']}, {env['NET_CORES']} cores; {env['NET_DATE']}; whole-machine CPU use "
        f"during the run {env['NET_BUSY']}%", "",
        "| measurement | Cairn | ÷ plain TCP | js-libp2p | Cairn ÷ js |", "|---|---:|---:|---:|---:|"]


def row(label, value, unit, js_value=None, vs_tcp=False):
    ratio_tcp = f"{value / tcp_mbps:.3f}" if vs_tcp and tcp_mbps else "–"
    js_text = f"{js_value:.4g} {unit}" if js_value else "–"
    ratio_js = f"{value / js_value:.2f}" if js_value else "–"
    rows.append(f"| {label} | {value:.4g} {unit} | {ratio_tcp} | {js_text} | {ratio_js} |")


if tcp_mbps:
    row("plain TCP, 64 KiB writes", tcp_mbps, "MiB/s")
for streams in (1, 16):
    r = find(f"BM_NetNoiseYamux/64/{streams}/")
    if r:
        row(f"Noise+Yamux, {streams} stream(s)", r["bytes_per_second"] / MiB, "MiB/s",
            js.get(f"noise_yamux_{streams}_MBps"), vs_tcp=True)
r = find("BM_NetSmallMessages/")
if r:
    row("64-byte messages, one stream", r["items_per_second"], "msg/s", js.get("small_messages_per_s"))
r = find("BM_NetHandshake")
if r:
    row("handshakes (TCP + multistream + Noise XX + Yamux)", r["items_per_second"], "/s", js.get("handshakes_per_s"))
r = find("BM_NetIdleConnectionMemory/")
if r:
    rows.append(f"| RSS per idle connection | {r['rss_KiB_per_connection']:.1f} KiB | – | – | – |")
r = find("BM_NetGossipsubLatency/")
if r:
    rows.append(f"| gossipsub delivery, 10 nodes: p50 / p99 | {r['p50_ms']:.2f} / {r['p99_ms']:.2f} ms "
                f"(delivered {100 * r['delivered_fraction']:.0f}%) | – | – | – |")
print("\n".join(rows))
PY
