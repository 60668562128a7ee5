#!/usr/bin/env python3
"""End-to-end benchmark (bench/README.md, "End-to-end benchmark"): on a fresh local devnet
(bench/e2e/devnet.py: `cairn devnet up`, or our own launcher until that exists), fund M bench
wallets (accounts 100.. of the devnet's phrase) from node 0's coinbases, sign N transactions
(1 input, 2 outputs, each spending a funded coin), submit them over JSON-RPC to the nodes
round-robin, and let the nodes' miners confirm them. Measures:

- accepted tx/s: transactions the mempools accepted ÷ (first request sent → last answer);
- confirmed tx/s: transactions in the best chain ÷ (first request sent → the block that
  included the last of them first arrived at any node, by new_heads);
- block propagation: for every block connected during the run, its new_heads arrival at each
  node minus its first arrival anywhere (the finder's); p50/p90/max per node and overall;
- block validation time: cairn_block_validation_seconds from each node's /metrics (the
  difference of _sum and _count over the run, and p50/p90 from the buckets), or, without a
  /metrics page, the `ms=` of the nodes' "connected block" log lines; "source" says which;
- RSS (and peak RSS, open fds) per node at the end, from /proc.

Writes bench/results/e2e-<stamp>.json and e2e-<stamp>.png (gnuplot). Compare two runs with
bench/e2e/compare.py. Single-machine numbers: the nodes, the miner and the generator share
the cores (the JSON records the machine and its load).
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import devnet as devnet_mod

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
log = devnet_mod.log

FUND_TIMEOUT = 300  # seconds for node 0's wallet to have enough mature coins
CONFIRM_TIMEOUT = 300  # seconds after submission for every accepted transaction to be mined
SETTLE_SECONDS = 3  # after the last block, for its propagation to be recorded
SAMPLE_SECONDS = 0.5


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))]


def summary(values):
    return {"count": len(values), "p50": percentile(values, 0.5), "p90": percentile(values, 0.9),
            "max": max(values) if values else None,
            "mean": statistics.fmean(values) if values else None}


def machine():
    return {"cpu": devnet_mod.cpu_model(), "cores": os.cpu_count(), "loadavg": open("/proc/loadavg").read().split()[:3],
            "kernel": os.uname().release}


def run_tool(command, **kwargs):
    log(" ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(command)))
    out = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if out.returncode != 0:
        raise RuntimeError(f"{command[0]} {command[1]} failed ({out.returncode}): {out.stderr.strip()}")
    return json.loads(out.stdout)


def fund(txgen, net, outputs, wallets, value):
    """The fan-out from account 0 (node 0's coinbases), retried until enough coins matured."""
    deadline = time.monotonic() + FUND_TIMEOUT
    while True:
        try:
            return run_tool([txgen, "fund", "--node", net.nodes[0].spec(), "--mnemonic-file", net.mnemonic_file,
                             "--from-account", "0", "--first-account", "100", "--wallets", str(wallets),
                             "--outputs", str(outputs), "--value", str(value)])
        except RuntimeError as e:
            if "cannot pay" not in str(e) or time.monotonic() > deadline:
                raise
            log(f"waiting for node 0's coinbases to mature ({str(e).split(': ', 2)[-1][:80]})")
            time.sleep(3)


class Sampler(threading.Thread):
    """Every SAMPLE_SECONDS: each node's mempool size and RSS (for the chart)."""

    def __init__(self, net, t0):
        super().__init__(daemon=True)
        self.net, self.t0, self.rows, self.stop_flag = net, t0, [], threading.Event()

    def run(self):
        while not self.stop_flag.is_set():
            row = [time.time() - self.t0]
            for node in self.net.nodes:
                try:
                    row.append(node.rpc("mempool_get_info", timeout=10)["count"])
                except Exception:  # a busy node: a gap in the chart, not a failure
                    row.append(None)
            for node in self.net.nodes:
                row.append(node.proc().get("rss_bytes"))
            self.rows.append(row)
            self.stop_flag.wait(SAMPLE_SECONDS)


def validation_from_metrics(before, after):
    """Mean and bucket percentiles of cairn_block_validation_seconds over the run."""
    name = "cairn_block_validation_seconds"
    count = after.get((name + "_count", ""), 0) - before.get((name + "_count", ""), 0)
    total = after.get((name + "_sum", ""), 0) - before.get((name + "_sum", ""), 0)
    buckets = []
    for (metric, labels), value in after.items():
        m = re.search(r'le="([^"]+)"', labels)
        if metric == name + "_bucket" and m:
            bound = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
            buckets.append((bound, value - before.get((metric, labels), 0)))
    buckets.sort()

    def quantile(q):
        for bound, cumulative in buckets:
            if count and cumulative >= q * count:
                return bound * 1000
        return None
    return {"blocks": int(count), "mean_ms": 1000 * total / count if count else None,
            "p50_ms_bucket_bound": quantile(0.5), "p90_ms_bucket_bound": quantile(0.9)}


CONNECTED_MS = re.compile(r'connected block.*?\bms=([0-9.]+)')


def validation_from_log(path, offset):
    """The ms= of "connected block" log lines written after byte `offset` (slice A's format)."""
    values = []
    try:
        with open(path, errors="replace") as f:
            f.seek(offset)
            for line in f:
                m = CONNECTED_MS.search(line)
                if m:
                    values.append(float(m.group(1)))
    except (OSError, TypeError):
        pass
    return {"blocks": len(values), "mean_ms": statistics.fmean(values) if values else None,
            "p50_ms": percentile(values, 0.5), "p90_ms": percentile(values, 0.9)}


def log_size(path):
    try:
        return os.path.getsize(path)
    except (OSError, TypeError):
        return 0


def read_heads(path):
    heads = []
    with open(path) as f:
        for line in f:
            try:
                heads.append(json.loads(line))
            except ValueError:
                pass
    return [h for h in heads if h.get("event") == "connected"]


def propagation(heads, node_count, since):
    """Per block: arrival at each node minus first arrival anywhere (ms), finder excluded."""
    first, arrivals = {}, {}
    for h in heads:
        if h["t"] < since:
            continue
        arrivals.setdefault(h["hash"], {}).setdefault(h["node"], h["t"])
        first[h["hash"]] = min(first.get(h["hash"], h["t"]), h["t"])
    per_node = {n: [] for n in range(node_count)}
    everywhere = 0
    for block, seen in arrivals.items():
        if len(seen) == node_count:
            everywhere += 1
        finder = min(seen, key=seen.get)
        for n, t in seen.items():
            if n != finder:
                per_node[n].append(1000 * (t - first[block]))
    every = [d for ds in per_node.values() for d in ds]
    return {"blocks": len(arrivals), "blocks_seen_by_every_node": everywhere, "all_ms": summary(every),
            "per_node_ms": {str(n): summary(ds) for n, ds in per_node.items()}}


def confirmations(node, txids, start_height):
    """Which of `txids` node's best chain holds above start_height: {block hash: count}, order."""
    wanted = set(txids)
    tip = node.rpc("chain_get_info")["height"]
    found, order = {}, []
    for height in range(start_height + 1, tip + 1):
        block = node.rpc("chain_get_block", block=height, transactions="ids")
        ids = block.get("transactions") or block.get("txids") or []
        ids = [t if isinstance(t, str) else t.get("txid") for t in ids]
        hit = sum(1 for t in ids if t in wanted)
        order.append((block["hash"], height, hit))
        if hit:
            found[block["hash"]] = hit
    return found, order


def chart(path, samples, nodes, blocks_timeline, prop, title):
    """Two panels: mempool sizes and cumulative confirmed txs over time; propagation per node."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        log("gnuplot not found: no chart")
        return False
    tmp = tempfile.mkdtemp(prefix="cairn-e2e-plot.")
    with open(os.path.join(tmp, "samples.dat"), "w") as f:
        for row in samples:
            f.write(" ".join("NaN" if v is None else str(v) for v in row[: 1 + nodes]) + "\n")
    with open(os.path.join(tmp, "confirmed.dat"), "w") as f:
        for t, cumulative in blocks_timeline:
            f.write(f"{t} {cumulative}\n")
    with open(os.path.join(tmp, "prop.dat"), "w") as f:
        for n in range(nodes):
            s = prop["per_node_ms"][str(n)]
            f.write(f"node{n} {s['p50'] or 0} {s['p90'] or 0} {s['max'] or 0}\n")
    mempool_plots = ", ".join(f"'{tmp}/samples.dat' using 1:{2 + n} with lines title 'mempool node{n}'"
                              for n in range(nodes))
    script = f"""
set terminal pngcairo size 1200,800 noenhanced
set output '{path}'
set multiplot layout 2,1 title '{title}'
set xlabel 'seconds since first submission'
set ylabel 'transactions'
set key outside right top
set grid
plot {mempool_plots}, '{tmp}/confirmed.dat' using 1:2 with steps lw 2 title 'confirmed (cumulative)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.6 border -1
set xlabel 'node'
set ylabel 'block propagation, ms (arrival - first arrival)'
unset xtics
set xtics
plot '{tmp}/prop.dat' using 2:xtic(1) title 'p50', '' using 3 title 'p90', '' using 4 title 'max'
unset multiplot
"""
    with open(os.path.join(tmp, "plot.gp"), "w") as f:
        f.write(script)
    result = subprocess.run([gnuplot, os.path.join(tmp, "plot.gp")], capture_output=True, text=True)
    if result.returncode != 0 and "pngcairo" in result.stderr:
        script = script.replace("pngcairo size 1200,800 noenhanced", "png size 1200,800")
        with open(os.path.join(tmp, "plot.gp"), "w") as f:
            f.write(script)
        result = subprocess.run([gnuplot, os.path.join(tmp, "plot.gp")], capture_output=True, text=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if result.returncode != 0:
        log(f"gnuplot failed: {result.stderr.strip()}")
        return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--wallets", type=int, default=50, help="M: bench wallets (accounts 100..100+M-1)")
    parser.add_argument("--txs", type=int, default=5000, help="N: transactions to sign and submit")
    parser.add_argument("--value", type=int, default=100_000, help="base units per funded coin")
    parser.add_argument("--batch", type=int, default=50, help="tx_send_raw requests per JSON-RPC batch")
    parser.add_argument("--connections", type=int, default=2, help="connections per node for submission")
    parser.add_argument("--mine-interval", type=int, default=1000, help="each node's --mine-interval (ms)")
    parser.add_argument("--build-dir", default=os.environ.get("BUILD_DIR", "build"))
    parser.add_argument("--cairn", help="the cairn executable for --launcher cairn (default: the build dir's)")
    parser.add_argument("--launcher", choices=["auto", "cairn", "harness"], default="auto",
                        help="cairn: `cairn devnet up`; harness: our own; auto: cairn's if it has the command")
    parser.add_argument("--dir", help="the devnet directory (default: a fresh temporary one, removed after)")
    parser.add_argument("--base-port", type=int, default=29400)
    parser.add_argument("--out", help="the JSON (default: bench/results/e2e-<stamp>.json; the PNG beside it)")
    parser.add_argument("--keep", action="store_true", help="leave the devnet directory")
    args = parser.parse_args()

    cairnd, cairn, txgen = devnet_mod.binaries(args.build_dir, args.cairn, args.launcher, "run.py")
    stamp = time.strftime("%Y-%m-%dT%H%M%SZ", time.gmtime())
    out = args.out or os.path.join(ROOT, "bench", "results", f"e2e-{stamp}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    directory = args.dir or tempfile.mkdtemp(prefix="cairn-e2e.")
    work = tempfile.mkdtemp(prefix="cairn-e2e-work.")
    load_before = open("/proc/loadavg").read().split()[:3]

    net = devnet_mod.start(cairnd, cairn, txgen, directory, args.nodes, args.base_port, args.mine_interval,
                           args.launcher)
    watch = None
    try:
        log(f"devnet up ({net.description.get('launcher')}): {len(net.nodes)} nodes in {directory}")
        funded = fund(txgen, net, args.txs, args.wallets, args.value)
        coins_path = os.path.join(work, "coins.json")
        with open(coins_path, "w") as f:
            json.dump(funded, f)
        log(f"funded {len(funded['coins'])} coins in {len(funded['fanout_txids'])} fan-out(s), "
            f"{funded['seconds']:.1f} s")
        raw_path = os.path.join(work, "raw.txt")
        signed = run_tool([txgen, "sign", "--node", net.nodes[0].spec(), "--mnemonic-file", net.mnemonic_file,
                           "--coins", coins_path, "--transactions", str(args.txs), "--out", raw_path])
        txids = [line.split(" ", 1)[0] for line in open(raw_path)]
        log(f"signed {signed['signed']} in {signed['seconds']:.2f} s")

        heads_path = os.path.join(work, "heads.jsonl")
        heads_file = open(heads_path, "w")
        watch = subprocess.Popen([txgen, "watch", "--seconds", "86400"] +
                                 [a for n in net.nodes for a in ("--node", n.spec())], stdout=heads_file)
        time.sleep(1)  # subscribed
        start_height = net.nodes[0].rpc("chain_get_info")["height"]
        metrics_before = [n.metrics() for n in net.nodes]
        log_offsets = [log_size(n.log_file) for n in net.nodes]
        idle0, total0 = devnet_mod.cpu_ticks()
        t0 = time.time()
        sampler = Sampler(net, t0)
        sampler.start()
        submitted = run_tool([txgen, "submit", "--raw", raw_path, "--batch", str(args.batch),
                              "--connections", str(args.connections)] +
                             [a for n in net.nodes for a in ("--node", n.spec())])
        log(f"accepted {submitted['accepted']} of {submitted['submitted']} in {submitted['seconds']:.2f} s "
            f"({submitted['accepted_per_second']:.0f}/s); errors {submitted['error_kinds']}")

        def drained():
            return all(n.rpc("mempool_get_info")["count"] == 0 for n in net.nodes)
        if not devnet_mod.harness.wait_until(drained, CONFIRM_TIMEOUT, 0.5):
            log("warning: the mempools did not drain in time")
        time.sleep(SETTLE_SECONDS)
        idle1, total1 = devnet_mod.cpu_ticks()
        sampler.stop_flag.set()
        sampler.join()
        metrics_after = [n.metrics() for n in net.nodes]
        procs = [n.proc() for n in net.nodes]
        watch.terminate()
        watch.wait(timeout=30)
        heads_file.close()

        found, order = confirmations(net.nodes[0], txids, start_height)
        heads = read_heads(heads_path)
        first_seen = {}
        for h in heads:
            first_seen[h["hash"]] = min(first_seen.get(h["hash"], h["t"]), h["t"])
        first_send = submitted["first_send_unix"]
        confirmed = sum(found.values())
        timeline, cumulative, last_t = [], 0, None
        for block_hash, _height, hit in order:
            if hit and block_hash in first_seen:
                cumulative += hit
                last_t = first_seen[block_hash]
                timeline.append((last_t - t0, cumulative))
        confirm_seconds = (last_t - first_send) if last_t else None
        prop = propagation(heads, len(net.nodes), t0)
        have_metrics = all(m is not None and ("cairn_block_validation_seconds_count", "") in m
                           for m in metrics_after)
        if have_metrics:
            validation = {"source": "metrics: cairn_block_validation_seconds",
                          "per_node": [validation_from_metrics(b or {}, a)
                                       for b, a in zip(metrics_before, metrics_after)]}
        else:
            validation = {"source": "log: 'connected block ... ms=' lines (no /metrics page)",
                          "per_node": [validation_from_log(n.log_file, off) for n, off in zip(net.nodes, log_offsets)]}
        means = [v["mean_ms"] for v in validation["per_node"] if v.get("mean_ms") is not None]
        busy = round(100 * (1 - (idle1 - idle0) / max(1, total1 - total0)))
        blocks_with_ours = len(found)
        result = {
            "kind": "cairn-e2e", "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
            "loadavg_before": load_before, "machine_cpu_busy_percent": busy,
            "launcher": net.description.get("launcher"),
            "parameters": {"nodes": args.nodes, "wallets": args.wallets, "txs": args.txs, "value": args.value,
                           "batch": args.batch, "connections_per_node": args.connections,
                           "mine_interval_ms": args.mine_interval},
            "fund": {k: funded[k] for k in ("seconds", "fanout_txids")},
            "sign": signed, "submit": submitted,
            "metrics": {
                "accepted_tx_per_s": submitted["accepted_per_second"],
                "confirmed_tx_per_s": confirmed / confirm_seconds if confirm_seconds else None,
                "confirm_seconds": confirm_seconds,
                "confirmed_txs": confirmed,
                "accepted_txs": submitted["accepted"],
                "signed_tx_per_s": signed["signed_per_second"],
                "propagation_p50_ms": prop["all_ms"]["p50"],
                "propagation_p90_ms": prop["all_ms"]["p90"],
                "propagation_max_ms": prop["all_ms"]["max"],
                "validation_mean_ms": statistics.fmean(means) if means else None,
                "rss_max_mib": max((p.get("rss_bytes") or 0) for p in procs) / 2**20,
                "peak_rss_max_mib": max((p.get("peak_rss_bytes") or 0) for p in procs) / 2**20,
                "blocks_with_bench_txs": blocks_with_ours,
                "txs_per_block_mean": confirmed / blocks_with_ours if blocks_with_ours else None,
            },
            "propagation": prop, "validation": validation,
            "nodes": [dict(p, name=n.name) for n, p in zip(net.nodes, procs)],
            "confirmed_timeline": timeline,
        }
        with open(out, "w") as f:
            json.dump(result, f, indent=1)
        png = os.path.splitext(out)[0] + ".png"
        title = (f"Cairn e2e {result['date']}: {args.txs} txs, {args.wallets} wallets, {args.nodes} nodes; "
                 f"machine CPU busy {busy}%")
        if chart(png, sampler.rows, len(net.nodes), timeline, prop, title):
            log(f"chart: {png}")
        m = result["metrics"]

        def fmt(v, unit=""):
            return "–" if v is None else f"{v:.4g}{unit}"
        print("| metric | value |\n|---|---:|")
        for key in ("accepted_tx_per_s", "confirmed_tx_per_s", "confirm_seconds", "confirmed_txs", "signed_tx_per_s",
                    "propagation_p50_ms", "propagation_p90_ms", "propagation_max_ms", "validation_mean_ms",
                    "rss_max_mib", "peak_rss_max_mib", "blocks_with_bench_txs", "txs_per_block_mean"):
            print(f"| {key} | {fmt(m[key])} |")
        print(f"\nvalidation source: {validation['source']}; machine CPU busy {busy}%\nrun.py: results in {out}")
        return 0 if confirmed == submitted["accepted"] and submitted["accepted"] > 0 else 1
    finally:
        if watch and watch.poll() is None:
            watch.kill()
        net.close()
        shutil.rmtree(work, ignore_errors=True)
        if not args.dir and not args.keep:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
