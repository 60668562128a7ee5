#!/usr/bin/env python3
"""Soak test (bench/README.md, "Soak test"; not in CI): a local devnet (bench/e2e/devnet.py) under
steady transaction and RPC load for --duration (default 1h), sampled every --interval (default
60 s) per node: RSS and open file descriptors (/proc), the RPC queue gauges
(cairn_rpc_requests_in_flight, cairn_rpc_connections, cairn_rpc_websockets), mempool size
(cairn_mempool_transactions, cairn_mempool_bytes, cairn_orphan_transactions) from /metrics —
or, without a /metrics page, the mempool from mempool_get_info and no queue gauges (the JSON
says which). Load: cairn_txgen's stream mode (--rate signed self-payments per second from
--wallets wallets funded by node 0's coinbases, round-robin over the nodes), a Python thread
making --rpc-rate public reads per second round-robin, and cairn_txgen's watch mode holding a
new_heads WebSocket on every node.

Growth check: for every node and series, the least-squares slope over the second half of the
run (the first half is warm-up: caches filling, the mempool reaching its steady size),
extrapolated per hour, against THRESHOLDS_PER_HOUR below; the run fails (exit 1) naming each
node and series above its threshold. Agreement check: once the load stops, the nodes must hold
the same block AGREEMENT_DEPTH below the lowest tip within AGREEMENT_WAIT seconds; a network
that split under load fails the run however flat its memory. Writes
bench/results/soak-<stamp>.csv, .json and .png.
"""
import argparse
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
import devnet as devnet_mod  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
log = devnet_mod.log
MiB = 2**20

# Growth allowed per hour (least-squares slope of the second half), per series. A bounded
# series wobbles around a level; these are well above the wobble seen in short runs on the
# 2-core development machine and well below what a leak of one object per request, per
# transaction or per block would add over an hour at the default load.
THRESHOLDS_PER_HOUR = {
    # RSS includes RocksDB's memtables, which grow with every block until a flush (64 MiB per
    # column family by default): a gross leak only. The leak check proper is RSS less them.
    "rss_bytes": 512 * MiB,
    "rss_less_memtables_bytes": 64 * MiB,  # a leak of ~18 KB/s
    "open_fds": 60,                  # one descriptor a minute, sustained
    "rpc_requests_in_flight": 30,    # queue gauges: flat at steady load
    "rpc_connections": 60,
    "rpc_websockets": 10,
    "mempool_transactions": 3600,    # one transaction a second piling up (a twentieth of the default load)
    "mempool_bytes": 2 * MiB,
    "orphan_transactions": 600,
}
GAUGES = {  # series -> /metrics name
    "rpc_requests_in_flight": "cairn_rpc_requests_in_flight",
    "rpc_connections": "cairn_rpc_connections",
    "rpc_websockets": "cairn_rpc_websockets",
    "mempool_transactions": "cairn_mempool_transactions",
    "mempool_bytes": "cairn_mempool_bytes",
    "orphan_transactions": "cairn_orphan_transactions",
}
SERIES = ["rss_bytes", "rss_less_memtables_bytes", "open_fds", *GAUGES]
MEMTABLES = "cairn_rocksdb_memtable_bytes"  # per column family (label cf): summed


def parse_duration(text):
    m = re.fullmatch(r"([0-9.]+)\s*([smh]?)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 3600, 90s, 15m, 1h)")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def slope(points):
    """Least-squares slope of (t, v) points (units per second), or None with fewer than 3."""
    points = [(t, v) for t, v in points if v is not None]
    if len(points) < 3:
        return None
    n = len(points)
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    return sum((t - mt) * (v - mv) for t, v in points) / var if var else None


def growth_verdicts(samples, nodes, duration):
    """Per node and series: the second half's slope per hour and whether it passes."""
    out = []
    for n in range(nodes):
        for series in SERIES:
            points = [(s["t"], s[series]) for s in samples if s["node"] == n and s["t"] >= duration / 2]
            per_second = slope(points)
            if per_second is None:
                continue
            per_hour = per_second * 3600
            out.append({"node": n, "series": series, "slope_per_hour": per_hour,
                        "threshold_per_hour": THRESHOLDS_PER_HOUR[series], "samples": len(points),
                        "ok": per_hour <= THRESHOLDS_PER_HOUR[series]})
    return out


class RpcLoad(threading.Thread):
    """Public reads at `rate` per second, round-robin over the nodes."""

    def __init__(self, net, rate, addresses):
        super().__init__(daemon=True)
        self.net, self.rate, self.addresses = net, rate, addresses
        self.stop_flag = threading.Event()
        self.calls, self.errors = 0, 0
        self.error_kinds = {}

    def run(self):
        calls = [("chain_get_info", lambda: {}),
                 ("chain_get_block", lambda: {"block": max(0, self.tip - 3), "transactions": "full"}),  # a tip read from another node: slack
                 ("address_get_balance", lambda: {"address": random.choice(self.addresses)}),
                 ("mempool_get_info", lambda: {}),
                 ("net_get_peers", lambda: {})]
        self.tip = 0
        k = 0
        next_at = time.monotonic()
        while not self.stop_flag.is_set():
            node = self.net.nodes[k % len(self.net.nodes)]
            method, params = calls[k % len(calls)]
            k += 1
            try:
                result = node.rpc(method, timeout=30, **params())
                if method == "chain_get_info":
                    self.tip = result["height"]
                self.calls += 1
            except Exception as e:  # counted, not fatal: a soak test reports them
                self.errors += 1
                kind = f"{method}: {type(e).__name__}: {str(e)[:80]}"
                self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1
            next_at += 1 / self.rate
            self.stop_flag.wait(max(0.0, next_at - time.monotonic()))


# Seconds the nodes get, once the load stops, to agree on one chain. The miners keep mining,
# so the chains are compared AGREEMENT_DEPTH blocks below the lowest tip.
AGREEMENT_WAIT = 120
AGREEMENT_DEPTH = 10


def chain_views(net):
    """Each node's (height, best hash, finalized height), or None where it did not answer."""
    views = []
    for node in net.nodes:
        try:
            info = node.rpc("chain_get_info", timeout=30)
            views.append((info["height"], info["best_hash"], info["finalized_height"]))
        except Exception:
            views.append(None)
    return views


def agreement(net):
    """Waits (bounded) until every node has the same block AGREEMENT_DEPTH below the lowest
    tip; returns (agreed, the nodes' last views)."""
    deadline = time.monotonic() + AGREEMENT_WAIT
    while True:
        views = chain_views(net)
        if all(views):
            height = max(0, min(v[0] for v in views) - AGREEMENT_DEPTH)
            try:
                hashes = {node.rpc("chain_get_block", timeout=30, block=height)["hash"] for node in net.nodes}
            except Exception:
                hashes = set()
            if len(hashes) == 1:
                return True, views
        if time.monotonic() >= deadline:
            return False, views
        time.sleep(2)


def sample(net, t):
    rows = []
    for node in net.nodes:
        row = {"t": round(t, 1), "node": node.index, **node.proc()}
        metrics = node.metrics()
        for series, name in GAUGES.items():
            value = metrics.get((name, "")) if metrics else None
            row[series] = value
        if metrics is None:  # no /metrics page: the mempool over RPC
            try:
                info = node.rpc("mempool_get_info", timeout=30)
                row["mempool_transactions"], row["mempool_bytes"] = info["count"], info["bytes"]
            except Exception:  # a busy node: a gap in the series
                pass
        try:
            row["height"] = node.rpc("chain_get_info", timeout=30)["height"]
        except Exception:
            row["height"] = None
        row["metrics_page"] = metrics is not None
        memtables = [v for (name, _labels), v in (metrics or {}).items() if name == MEMTABLES]
        row["memtable_bytes"] = sum(memtables) if memtables else None
        row["rss_less_memtables_bytes"] = (row["rss_bytes"] - row["memtable_bytes"]
                                           if memtables and row.get("rss_bytes") is not None else None)
        rows.append(row)
    return rows


def chart(path, samples, nodes, title):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return False
    tmp = tempfile.mkdtemp(prefix="cairn-soak-plot.")
    panels = [("rss_bytes", "RSS, MiB", 1 / MiB), ("rss_less_memtables_bytes", "RSS less memtables, MiB", 1 / MiB),
              ("open_fds", "open fds", 1),
              ("mempool_transactions", "mempool transactions", 1), ("rpc_connections", "RPC connections", 1),
              ("rpc_requests_in_flight", "RPC requests in flight", 1)]
    for n in range(nodes):
        with open(os.path.join(tmp, f"node{n}.dat"), "w") as f:
            for s in samples:
                if s["node"] == n:
                    f.write(" ".join([str(s["t"] / 60)] + [
                        "NaN" if s.get(key) is None else str(s[key] * scale) for key, _, scale in panels]) + "\n")
    script = ["set terminal pngcairo size 1200,1200 noenhanced", f"set output '{path}'",
              f"set multiplot layout 3,2 title '{title}'", "set grid", "set key left top",
              "set xlabel 'minutes'"]
    for column, (_key, label, _scale) in enumerate(panels, start=2):
        script.append(f"set ylabel '{label}'")
        script.append("plot " + ", ".join(f"'{tmp}/node{n}.dat' using 1:{column} with linespoints title 'node{n}'"
                                          for n in range(nodes)))
    script.append("unset multiplot")
    with open(os.path.join(tmp, "plot.gp"), "w") as f:
        f.write("\n".join(script) + "\n")
    result = subprocess.run([gnuplot, os.path.join(tmp, "plot.gp")], capture_output=True, text=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if result.returncode != 0:
        log(f"gnuplot failed: {result.stderr.strip()}")
    return result.returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=parse_duration, default=3600.0, help="e.g. 3600, 15m, 1h (default 1h)")
    parser.add_argument("--interval", type=parse_duration, default=60.0, help="sampling period (default 60 s)")
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--rate", type=float, default=20, help="transactions per second")
    parser.add_argument("--wallets", type=int, default=40, help="wallets, each one chain of self-payments")
    parser.add_argument("--rpc-rate", type=float, default=20, help="public RPC reads per second")
    parser.add_argument("--mine-interval", type=int, default=1000, help="each node's --mine-interval (ms)")
    parser.add_argument("--build-dir", default=os.environ.get("BUILD_DIR", "build"))
    parser.add_argument("--cairn", help="the cairn executable for --launcher cairn (default: the build dir's)")
    parser.add_argument("--launcher", choices=["auto", "cairn", "harness"], default="auto")
    parser.add_argument("--dir", help="the devnet directory (default: a temporary one, removed after)")
    parser.add_argument("--base-port", type=int, default=29600)
    parser.add_argument("--out", help="path prefix of the results (default bench/results/soak-<stamp>)")
    args = parser.parse_args()

    cairnd, cairn, txgen = devnet_mod.binaries(args.build_dir, args.cairn, args.launcher, "soak.py")
    stamp = time.strftime("%Y-%m-%dT%H%M%SZ", time.gmtime())
    prefix = args.out or os.path.join(ROOT, "bench", "results", f"soak-{stamp}")
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    directory = args.dir or tempfile.mkdtemp(prefix="cairn-soak.")
    work = tempfile.mkdtemp(prefix="cairn-soak-work.")
    net = devnet_mod.start(cairnd, cairn, txgen, directory, args.nodes, args.base_port, args.mine_interval,
                           args.launcher)
    helpers = []
    try:
        log(f"devnet up ({net.description.get('launcher')}); funding {args.wallets} wallets")
        # Each wallet's coin pays a fee per self-payment for the whole run, with a margin.
        per_wallet = int(args.rate * args.duration / args.wallets * 1000 * 2) + 10_000_000
        deadline = time.monotonic() + 300
        while True:
            out = subprocess.run([txgen, "fund", "--node", net.nodes[0].spec(), "--mnemonic-file", net.mnemonic_file,
                                  "--first-account", "100", "--wallets", str(args.wallets),
                                  "--outputs", str(args.wallets), "--value", str(per_wallet)],
                                 capture_output=True, text=True)
            if out.returncode == 0:
                break
            if "cannot pay" not in out.stderr or time.monotonic() > deadline:
                raise RuntimeError(f"fund: {out.stderr.strip()}")
            time.sleep(3)
        coins_path = os.path.join(work, "coins.json")
        with open(coins_path, "w") as f:
            f.write(out.stdout)
        addresses = [a["address"] for a in json.loads(subprocess.run(
            [txgen, "address", "--mnemonic-file", net.mnemonic_file, "--account", "100", "--count",
             str(args.wallets)], check=True, capture_output=True, text=True).stdout)["addresses"]]
        nodes_args = [a for n in net.nodes for a in ("--node", n.spec())]
        stream_out = open(os.path.join(work, "stream.json"), "w")
        stream = subprocess.Popen([txgen, "stream", "--mnemonic-file", net.mnemonic_file, "--coins", coins_path,
                                   "--rate", str(args.rate), "--seconds", str(args.duration), *nodes_args],
                                  stdout=stream_out, stderr=subprocess.DEVNULL)
        helpers.append(stream)
        heads_path = os.path.join(work, "heads.jsonl")
        heads_out = open(heads_path, "w")
        watch = subprocess.Popen([txgen, "watch", "--seconds", str(args.duration + 600), *nodes_args],
                                 stdout=heads_out)
        helpers.append(watch)
        rpc_load = RpcLoad(net, args.rpc_rate, addresses)
        rpc_load.start()
        idle0, total0 = devnet_mod.cpu_ticks()
        t0 = time.monotonic()
        samples = []
        log(f"soaking for {args.duration:.0f} s: {args.rate} tx/s, {args.rpc_rate} RPC reads/s, "
            f"a sample every {args.interval:.0f} s")
        while True:
            t = time.monotonic() - t0
            samples.extend(sample(net, t))
            last = samples[-len(net.nodes):]
            log(f"t={t:6.0f} s  " + "  ".join(
                f"node{s['node']}: rss={(s.get('rss_bytes') or 0) / MiB:.0f}MiB "
                f"memtables={(s.get('memtable_bytes') or 0) / MiB:.0f}MiB fds={s.get('open_fds')} "
                f"mempool={s.get('mempool_transactions')} h={s.get('height')}" for s in last))
            if t >= args.duration:
                break
            time.sleep(max(0.0, min(args.interval, args.duration - t) - (time.monotonic() - t0 - t)))
        idle1, total1 = devnet_mod.cpu_ticks()
        rpc_load.stop_flag.set()
        rpc_load.join(timeout=60)
        stream.wait(timeout=120)
        stream_out.close()
        watch.terminate()
        watch.wait(timeout=30)
        heads_out.close()
        dead = [n.name for n in net.nodes if not n.proc()]
        agreed, views = agreement(net)
        with open(os.path.join(work, "stream.json")) as f:
            text = f.read().strip()
        stream_result = json.loads(text) if text else {"error": "cairn_txgen stream printed nothing"}
        heads = sum(1 for line in open(heads_path) if '"connected"' in line)
        verdicts = growth_verdicts(samples, len(net.nodes), args.duration)
        grew = [v for v in verdicts if not v["ok"]]
        metrics_page = all(s["metrics_page"] for s in samples)
        busy = round(100 * (1 - (idle1 - idle0) / max(1, total1 - total0)))
        result = {"kind": "cairn-soak", "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                  "machine": {"cpu": devnet_mod.cpu_model(), "cores": os.cpu_count()}, "machine_cpu_busy_percent": busy,
                  "launcher": net.description.get("launcher"),
                  "parameters": {k: getattr(args, k) for k in ("duration", "interval", "nodes", "rate", "wallets",
                                                               "rpc_rate", "mine_interval")},
                  "series_source": "/metrics" if metrics_page else
                  "no /metrics page: /proc and mempool_get_info only (no queue gauges)",
                  "thresholds_per_hour": THRESHOLDS_PER_HOUR, "stream": stream_result,
                  "rpc_load": {"calls": rpc_load.calls, "errors": rpc_load.errors, "error_kinds": rpc_load.error_kinds},
                  "new_heads_notices": heads, "dead_nodes": dead, "growth": verdicts,
                  "agreement": {"agreed": agreed, "views": [
                      dict(zip(("height", "best_hash", "finalized_height"), v)) if v else None for v in views]},
                  "failed_series": [f"node{v['node']} {v['series']}" for v in grew], "samples": samples}
        with open(prefix + ".json", "w") as f:
            json.dump(result, f, indent=1)
        with open(prefix + ".csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["t", "node", "height", "peak_rss_bytes", "memtable_bytes", *SERIES],
                                    extrasaction="ignore")
            writer.writeheader()
            writer.writerows(samples)
        title = (f"Cairn soak {result['date']}: {args.duration / 60:.0f} min, {args.nodes} nodes, {args.rate} tx/s, "
                 f"{args.rpc_rate} RPC/s; machine CPU busy {busy}%")
        if chart(prefix + ".png", samples, len(net.nodes), title):
            log(f"chart: {prefix}.png")
        print("| node | series | slope per hour (2nd half) | threshold | |\n|---|---|---:|---:|---|")
        for v in verdicts:
            print(f"| node{v['node']} | {v['series']} | {v['slope_per_hour']:.4g} | {v['threshold_per_hour']:.4g} | "
                  f"{'ok' if v['ok'] else 'GREW'} |")
        print(f"\nstream: {stream_result.get('accepted')} accepted of {stream_result.get('sent')} sent; RPC reads: "
              f"{rpc_load.calls} ({rpc_load.errors} errors); new_heads notices: {heads}; machine CPU busy {busy}%")
        print(f"soak.py: results in {prefix}.json / .csv / .png")
        if dead:
            print(f"soak.py: FAILED: node(s) died: {', '.join(dead)}")
        if grew:
            print(f"soak.py: FAILED: grew beyond the threshold: {', '.join(result['failed_series'])}")
        if not agreed:
            print("soak.py: FAILED: the nodes did not reach one best chain within "
                  f"{AGREEMENT_WAIT} s: " + "; ".join(
                      f"node{i}: height {v[0]} tip {v[1][:16]} finalized {v[2]}" if v else f"node{i}: no answer"
                      for i, v in enumerate(views)))
        return 1 if grew or dead or not agreed else 0
    finally:
        for p in helpers:
            if p.poll() is None:
                p.kill()
        net.close()
        shutil.rmtree(work, ignore_errors=True)
        if not args.dir:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
