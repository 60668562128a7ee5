#!/usr/bin/env python3
"""Compares two end-to-end benchmark results (bench/e2e/run.py's JSON): prints every metric of
A (the baseline) and B with the change, flags each one more than --threshold (default 10%) worse
in its own direction (tx/s: lower is worse; latencies, times and memory: higher is worse), and
exits 1 when any is flagged, 0 otherwise (2 on unusable input). Counts that describe the run
rather than its speed (transactions confirmed, blocks) are shown but never flagged.

    bench/e2e/compare.py bench/results/e2e-A.json bench/results/e2e-B.json [--threshold 0.10]
"""
import argparse
import json
import sys

# +1: higher is better; -1: lower is better; 0: informational.
DIRECTIONS = {
    "accepted_tx_per_s": +1,
    "confirmed_tx_per_s": +1,
    "signed_tx_per_s": +1,
    "confirm_seconds": -1,
    "propagation_p50_ms": -1,
    "propagation_p90_ms": -1,
    "propagation_max_ms": -1,
    "validation_mean_ms": -1,
    "rss_max_mib": -1,
    "peak_rss_max_mib": -1,
    "confirmed_txs": 0,
    "accepted_txs": 0,
    "blocks_with_bench_txs": 0,
    "txs_per_block_mean": 0,
}


def direction(name):
    """A metric's direction: from the table, else from its unit suffix (unknown: informational)."""
    if name in DIRECTIONS:
        return DIRECTIONS[name]
    if name.endswith(("_per_s", "_per_second")):
        return +1
    if name.endswith(("_ms", "_seconds", "_mib", "_bytes")):
        return -1
    return 0


def compare(a, b, threshold):
    """Rows (name, a, b, relative change, worse-fraction or None, flagged) for metrics in both."""
    rows = []
    for name in sorted(set(a) | set(b)):
        va, vb = a.get(name), b.get(name)
        sense = direction(name)
        if not isinstance(va, (int, float)) or not isinstance(vb, (int, float)):
            rows.append((name, va, vb, None, None, sense != 0 and va is not None and vb is None))
            continue
        change = (vb - va) / abs(va) if va else (0.0 if vb == va else float("inf"))
        worse = -sense * change if sense else None
        rows.append((name, va, vb, change, worse, worse is not None and worse > threshold))
    return rows


def fmt(v):
    if v is None:
        return "–"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", help="baseline result JSON")
    parser.add_argument("b", help="new result JSON")
    parser.add_argument("--threshold", type=float, default=0.10, help="worse by more than this fraction flags")
    args = parser.parse_args(argv)
    try:
        a = json.load(open(args.a))["metrics"]
        b = json.load(open(args.b))["metrics"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    rows = compare(a, b, args.threshold)
    print("| metric | A | B | change | |\n|---|---:|---:|---:|---|")
    flagged = []
    for name, va, vb, change, _worse, bad in rows:
        mark = "REGRESSION" if bad else ""
        change_text = "–" if change is None else f"{100 * change:+.1f}%"
        print(f"| {name} | {fmt(va)} | {fmt(vb)} | {change_text} | {mark} |")
        if bad:
            flagged.append(name)
    if flagged:
        print(f"\ncompare.py: {len(flagged)} metric(s) more than {100 * args.threshold:.0f}% worse: "
              f"{', '.join(flagged)}")
        return 1
    print(f"\ncompare.py: no metric more than {100 * args.threshold:.0f}% worse")
    return 0


if __name__ == "__main__":
    sys.exit(main())
