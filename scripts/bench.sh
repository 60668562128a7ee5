#!/usr/bin/env bash
# Builds and runs Cairn's benchmarks (bench/README.md).
#
#   scripts/bench.sh            full run: 5 repetitions per benchmark (medians reported),
#                               JSON to bench/results/<date>.json, and the results table in
#                               bench/README.md rewritten between its markers
#   scripts/bench.sh --quick    smoke run (CI): --benchmark_min_time=0.01, one repetition,
#                               the 20,000-transaction connect cases left out,
#                               JSON to bench/results/<date>-quick.json, table printed only
#   scripts/bench.sh --no-build use the existing $BUILD_DIR/bench/cairn_bench as it is
#   scripts/bench.sh -- ARGS    pass ARGS to cairn_bench (e.g. --benchmark_filter=Sighash);
#                               JSON to <date>-custom.json, table printed, README untouched
#
# Environment: BUILD_DIR (default: build), relative to the repository root unless absolute.
# It is configured (Ninja, RelWithAssert: the CI configuration) if it has never been, then
# only cairn_bench is built, with at most 2 jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

quick=0
build=1
extra=()
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

build_dir=${BUILD_DIR:-build}
[[ $build_dir = /* ]] || build_dir="$root/$build_dir"
bench_bin="$build_dir/bench/cairn_bench"

# The configuration of scripts/build.sh (configures the build directory when needed).
if ((build)); then BUILD_DIR="$build_dir" JOBS=2 TARGETS=cairn_bench "$root/scripts/build.sh"; fi
[[ -x "$bench_bin" ]] || { echo "bench.sh: $bench_bin not found (build it, or drop --no-build)" >&2; exit 1; }

# --- what the numbers were measured on -----------------------------------------------------
cpu_model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)
[[ -n $cpu_model ]] || cpu_model=$(uname -m)
cores=$(grep -c '^processor' /proc/cpuinfo || nproc)
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt" 2>/dev/null | head -n1; }
cxx=$(cache_value CMAKE_CXX_COMPILER)
compiler=$("${cxx:-c++}" --version 2>/dev/null | head -n1 || echo unknown)
build_type=$(cache_value CMAKE_BUILD_TYPE)
if commit=$(git rev-parse --short HEAD 2>/dev/null); then :; else commit="(no commit yet)"; fi
[[ -z $(git status --porcelain 2>/dev/null) ]] || commit="$commit-dirty"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
date_utc=$(date -u '+%Y-%m-%d %H:%M UTC')

mkdir -p bench/results
if ((quick)); then
  out="bench/results/$stamp-quick.json"
  # The 20,000-transaction block cases take seconds per iteration to set up: not for CI.
  args=(--benchmark_min_time=0.01 '--benchmark_filter=-/20000/')
else
  out="bench/results/$stamp$([[ ${#extra[@]} = 0 ]] || echo -custom).json"
  args=(--benchmark_repetitions=5 --benchmark_report_aggregates_only=true)
fi

# Whole-machine CPU use during the run (from /proc/stat): the benchmark keeps one core
# busy, so anything well above 1/cores means other work (a colleague's build) competed.
cpu_ticks() { awk '/^cpu /{idle=$5+$6; total=0; for(i=2;i<=NF;i++) total+=$i; print idle, total}' /proc/stat; }
read -r idle0 total0 < <(cpu_ticks)
echo "bench.sh: running $bench_bin (${args[*]}) ..."
"$bench_bin" "${args[@]}" ${extra[@]+"${extra[@]}"} --benchmark_format=json >"$out"
read -r idle1 total1 < <(cpu_ticks)
busy=$(awk -v i=$((idle1 - idle0)) -v t=$((total1 - total0)) 'BEGIN{printf "%.0f", (t > 0 ? 100 * (1 - i / t) : 0)}')
echo "bench.sh: results in $out"

write_readme=1
((quick == 0 && ${#extra[@]} == 0)) || write_readme=0

export BENCH_JSON="$out" BENCH_README="bench/README.md" BENCH_WRITE="$write_readme" \
  BENCH_CPU="$cpu_model" BENCH_CORES="$cores" BENCH_COMPILER="$compiler" \
  BENCH_BUILD_TYPE="${build_type:-?}" BENCH_COMMIT="$commit" BENCH_DATE="$date_utc" \
  BENCH_BUSY="$busy" BENCH_MODE=$([[ $quick = 1 ]] && echo quick || echo full)
python3 - <<'PY'
import json
import math
import os
import re
import sys

env = os.environ
with open(env["BENCH_JSON"]) as f:
    data = json.load(f)

# One run per benchmark: the median of the repetitions when there are any.
runs, spread, order = {}, {}, []
for b in data["benchmarks"]:
    name = b.get("run_name", b["name"])
    if name not in order:
        order.append(name)
    kind = b.get("aggregate_name") if b.get("run_type") == "aggregate" else "single"
    spread.setdefault(name, {})[kind] = b
for name in order:
    kinds = spread[name]
    runs[name] = kinds.get("median") or kinds.get("single") or kinds.get("mean")

NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
DESCRIPTION = {
    "BM_Blake3/64": "BLAKE3, plain, 64 B",
    "BM_Blake3/1024": "BLAKE3, plain, 1 KiB",
    "BM_Blake3/1048576": "BLAKE3, plain, 1 MiB",
    "BM_HashKeyed/64": "BLAKE3 keyed by context (`cairn::hash`), 64 B",
    "BM_HashKeyed/1024": "BLAKE3 keyed by context, 1 KiB",
    "BM_HashKeyed/1048576": "BLAKE3 keyed by context, 1 MiB",
    "BM_BlockHash": "block_hash of a 192-byte header (nonce bumped each time)",
    "BM_LtHashAdd": "LtHash add of one 80-byte element",
    "BM_Ed25519Sign": "Ed25519 sign, 32-byte message",
    "BM_Ed25519Verify": "Ed25519 verify (libsodium, strict), 32-byte message",
    "BM_TxEncode": "encode a 2-in/2-out key-spend transaction",
    "BM_TxDecode": "decode the same transaction",
    "BM_Txid": "txid of the same transaction",
    "BM_TxSighash/2": "sighash of every input, 2-input tx (digests + per-input hash)",
    "BM_TxSighash/100": "sighash of every input, 100-input tx",
    "BM_MerkleRoot/10000": "merkle_root of 10,000 txids",
}
for n in (5000, 20000):
    for t in (1, 2):
        DESCRIPTION[f"BM_ConnectRawVerify/{n}/{t}/real_time"] = f"raw Ed25519 verify of {n:,} signatures, {t} thread(s)"
        DESCRIPTION[f"BM_ConnectCold/{n}/{t}/real_time"] = (
            f"submit_block of {n:,} 1-in/2-out txs, {t} verify thread(s), cold caches")
        DESCRIPTION[f"BM_ConnectWarm/{n}/{t}/real_time"] = (
            f"the same block, signatures and coins cached by mempool acceptance")
DESCRIPTION["BM_ConnectMempoolAccept/5000/real_time"] = "mempool acceptance of the 5,000 txs, empty signature cache"


# CPU time, not wall time: Google Benchmark's items/s and bytes/s use it too, and it is
# much less disturbed than wall time when other processes share the cores.
def ns_per_op(r):
    return r["cpu_time"] * NS[r.get("time_unit", "ns")]


def ops_per_s(r):
    return 1e9 / ns_per_op(r)


def items_per_s(r):
    return r.get("items_per_second") or ops_per_s(r)


def si(x):
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= scale:
            return f"{x / scale:.3g} {prefix} "
    return f"{x:.3g} "


def duration(ns):
    for scale, unit in ((1e6, "ms"), (1e3, "µs")):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def rate(r):
    noun = r.get("label") or "ops"
    if r.get("peak_rss_MiB"):
        return f"{si(items_per_s(r))}{noun}/s, peak RSS {r['peak_rss_MiB']:.0f} MiB"
    if r.get("bytes_per_second"):
        return f"{r['bytes_per_second'] / 1e9:.3g} GB/s ({si(ops_per_s(r))}{noun}/s)"
    return f"{si(items_per_s(r))}{noun}/s"


def noise(name):
    k = spread[name]
    if "mean" in k and "stddev" in k and k["mean"]["cpu_time"] > 0:
        return f"±{100 * k['stddev']['cpu_time'] / k['mean']['cpu_time']:.1f}%"
    return "–"


lines = []
busy = float(env["BENCH_BUSY"] or 0)
cores = int(env["BENCH_CORES"] or 1)
lines += [
    f"- **Machine:** {env['BENCH_CPU']}, {cores} cores; {env['BENCH_COMPILER']}, "
    f"build type {env['BENCH_BUILD_TYPE']}",
    f"- **Date:** {env['BENCH_DATE']} · **commit:** `{env['BENCH_COMMIT']}` · "
    f"**mode:** {env['BENCH_MODE']}"
    + (" (median of 5 repetitions; ± is the coefficient of variation)" if env["BENCH_MODE"] == "full" else ""),
    f"- **Whole-machine CPU use during the run:** {busy:.0f}% of {cores} cores "
    f"(the benchmark itself keeps one core, {100 / cores:.0f}%, busy)"
    + (" — **other processes were competing (probably builds), so these numbers are noisier "
       "than on an idle machine**" if busy > 100 / cores + 15 else ""),
    "",
    "| Benchmark | What | CPU time per op | Rate | ± |",
    "|---|---|---:|---:|---:|",
]
for name in order:
    r = runs[name]
    if r is None:
        continue
    if r.get("error_occurred"):
        lines.append(f"| `{name}` | {DESCRIPTION.get(name, '')} | – | error: {r.get('error_message', '')} | – |")
        continue
    lines.append(f"| `{name}` | {DESCRIPTION.get(name, '')} | {duration(ns_per_op(r))} | {rate(r)} | {noise(name)} |")


def ok(name):
    r = runs.get(name)
    return r is not None and not r.get("error_occurred")


RATIOS = [
    ("header hashes/s ÷ BLAKE3 64 B hashes/s", ("BM_BlockHash", "BM_Blake3/64"),
     lambda a, b: ops_per_s(a) / ops_per_s(b),
     "a header is 192 B (3 BLAKE3 blocks, keyed) plus its encoding; 1/3 would be zero overhead"),
    ("keyed 64 B ÷ plain 64 B (hashes/s)", ("BM_HashKeyed/64", "BM_Blake3/64"),
     lambda a, b: ops_per_s(a) / ops_per_s(b),
     "cost of the per-context key: should be ≈ 1"),
    ("sighash/s ÷ verify/s", ("BM_TxSighash/2", "BM_Ed25519Verify"),
     lambda a, b: items_per_s(a) / ops_per_s(b),
     "per input of a 2-input tx; ≫ 1 means signature hashing is negligible next to verification"),
    ("per-input sighash time: 100-input tx ÷ 2-input tx", ("BM_TxSighash/100", "BM_TxSighash/2"),
     lambda a, b: items_per_s(b) / items_per_s(a),
     "≤ 1 means linear total cost (the per-tx digests amortise); quadratic hashing would give ≈ 50"),
    ("verify/s ÷ sign/s", ("BM_Ed25519Verify", "BM_Ed25519Sign"),
     lambda a, b: ops_per_s(a) / ops_per_s(b),
     "libsodium verification vs signing"),
    ("LtHash adds/s ÷ verify/s", ("BM_LtHashAdd", "BM_Ed25519Verify"),
     lambda a, b: ops_per_s(a) / ops_per_s(b),
     "state commitment vs signature cost per spent coin; ≫ 1 means LtHash is not the bottleneck"),
    ("Merkle leaves/s ÷ BLAKE3 64 B hashes/s", ("BM_MerkleRoot/10000", "BM_Blake3/64"),
     lambda a, b: items_per_s(a) / ops_per_s(b),
     "a root costs 2n − 1 keyed hashes of 32–64 B, so about 0.5 is expected"),
    ("txid/s ÷ encode/s", ("BM_Txid", "BM_TxEncode"),
     lambda a, b: ops_per_s(a) / ops_per_s(b),
     "txid = encode without witnesses + one keyed hash"),
]
for n in (5000, 20000):
    for t in (1, 2):
        RATIOS.append((f"connect tx/s ÷ raw verify/s, {n:,} txs, {t} thread(s), cold",
                       (f"BM_ConnectCold/{n}/{t}/real_time", f"BM_ConnectRawVerify/{n}/{t}/real_time"),
                       lambda a, b: items_per_s(a) / items_per_s(b),
                       "issue [B]'s goal: ≥ 0.8 (one signature per transaction)"))
derived = [(label, f(runs[a], runs[b]), why) for label, (a, b), f, why in RATIOS if ok(a) and ok(b)]
if derived:
    lines += ["", "| Derived ratio (same machine, same run) | Value | Reading |", "|---|---:|---|"]
    lines += [f"| {label} | {value:.3g} | {why} |" for label, value, why in derived]

table = "\n".join(lines)
if env["BENCH_WRITE"] == "1":
    path = env["BENCH_README"]
    with open(path) as f:
        text = f.read()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        sys.exit(f"bench.sh: markers {begin} … {end} not found in {path}")
    text = pattern.sub(lambda _: f"{begin}\n{table}\n{end}", text, count=1)
    with open(path, "w") as f:
        f.write(text)
    print(f"bench.sh: table written to {path}")
print(table)
PY
