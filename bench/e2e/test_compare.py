#!/usr/bin/env python3
"""Self-check of bench/e2e/compare.py: direction-aware flags at the 10% boundary, informational
counts never flagged, a metric that disappeared flagged, and the exit codes (0, 1, 2)."""
import contextlib
import io
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}")


def flagged(a, b, threshold=0.10):
    return {row[0] for row in compare.compare(a, b, threshold) if row[5]}


# Higher is better for rates: 11% lower flags, 9% lower does not, any increase does not.
check(flagged({"confirmed_tx_per_s": 100.0}, {"confirmed_tx_per_s": 89.0}) == {"confirmed_tx_per_s"},
      "a rate 11% lower is a regression")
check(not flagged({"confirmed_tx_per_s": 100.0}, {"confirmed_tx_per_s": 91.0}), "a rate 9% lower is not")
check(not flagged({"confirmed_tx_per_s": 100.0}, {"confirmed_tx_per_s": 300.0}), "a higher rate is not")
# Exactly 10% worse is not more than 10%.
check(not flagged({"accepted_tx_per_s": 100.0}, {"accepted_tx_per_s": 90.0}), "exactly 10% lower is not")
# Lower is better for latencies and memory.
check(flagged({"propagation_p90_ms": 10.0}, {"propagation_p90_ms": 11.5}) == {"propagation_p90_ms"},
      "a latency 15% higher is a regression")
check(not flagged({"propagation_p90_ms": 10.0}, {"propagation_p90_ms": 5.0}), "a lower latency is not")
check(flagged({"rss_max_mib": 100.0}, {"rss_max_mib": 120.0}) == {"rss_max_mib"}, "20% more memory flags")
# Unknown names by suffix; informational counts never.
check(flagged({"new_thing_ms": 1.0}, {"new_thing_ms": 2.0}) == {"new_thing_ms"}, "a *_ms by suffix")
check(not flagged({"confirmed_txs": 1000}, {"confirmed_txs": 10}), "counts are informational")
# A directed metric missing from B is flagged; one only in B is not.
check(flagged({"validation_mean_ms": 3.0}, {}) == {"validation_mean_ms"}, "a metric that disappeared flags")
check(not flagged({}, {"validation_mean_ms": 3.0}), "a new metric does not")


def run(a, b):
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, metrics in (("a", a), ("b", b)):
            path = os.path.join(tmp, name + ".json")
            with open(path, "w") as f:
                f.write(metrics if isinstance(metrics, str) else json.dumps({"metrics": metrics}))
            paths.append(path)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return compare.main(paths)


check(run({"confirmed_tx_per_s": 100.0}, {"confirmed_tx_per_s": 99.0}) == 0, "exit 0 without regressions")
check(run({"confirmed_tx_per_s": 100.0}, {"confirmed_tx_per_s": 50.0}) == 1, "exit 1 on a regression")
check(run("not json", {"x": 1}) == 2, "exit 2 on unusable input")

print("test_compare.py: " + ("FAILED" if failures else "ok"))
sys.exit(1 if failures else 0)
