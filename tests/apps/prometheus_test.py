#!/usr/bin/env python3
"""cairnd's /metrics read by a real Prometheus (Debian's): cairnd on regtest with
--metrics-listen on a free loopback port, a few blocks mined with miner_generate, and
prometheus with a generated config scraping that listener every second. The test waits
(bounded) until cairn_height read through Prometheus's query API equals chain_get_info's
height at that moment (both polled), mines more blocks and waits again, and checks the
page on the RPC listener too (loopback). Both processes are stopped by PID.

Skips (exit 77) with a message when prometheus is not installed.

Usage: prometheus_test.py CAIRND CAIRN [PROMETHEUS]
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

from cairnd_harness import Cairnd, check, failures, free_port, log, wait_until

SKIP = 77
WAIT_LIMIT = 90  # seconds any one wait may take (Prometheus starts in a few)
STOP_TIMEOUT = 30
# The families the specification names (docs/metrics.md); each must reach Prometheus.
FAMILIES = [
    "cairn_height", "cairn_headers_height", "cairn_finalized_height", "cairn_justified_height",
    "cairn_sync_progress_ratio", "cairn_mempool_transactions", "cairn_mempool_bytes",
    "cairn_orphan_transactions", "cairn_peers", "cairn_blocks_connected_total", "cairn_reorgs_total",
    "cairn_block_validation_seconds_count", "cairn_block_gas_used_count",
    "cairn_signature_verifications_total", "cairn_contract_traps_total",
    "cairn_contract_out_of_gas_total", "cairn_contract_rejected_deploys_total",
    "cairn_rpc_request_duration_seconds_count", "cairn_rpc_requests_in_flight", "cairn_rpc_connections",
    "cairn_rpc_websockets", "cairn_rpc_rejected_total", "cairn_rocksdb_live_data_bytes",
    "cairn_process_resident_memory_bytes", "cairn_process_open_fds", "cairn_process_start_time_seconds",
]

cairnd_path, cairn_path = sys.argv[1], sys.argv[2]
prometheus_path = sys.argv[3] if len(sys.argv) > 3 else (shutil.which("prometheus") or "/usr/bin/prometheus")
if not os.access(prometheus_path, os.X_OK):
    print(f"prometheus_test: {prometheus_path} not found (apt-get install prometheus); skipping")
    sys.exit(SKIP)


def query(port, promql):
    """The instant vector of `promql` as [(labels, value)], or None when Prometheus is not answering."""
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            reply = json.loads(response.read())
    except (OSError, ValueError):
        return None
    if reply.get("status") != "success":
        return None
    return [(r["metric"], float(r["value"][1])) for r in reply["data"]["result"]]


def prometheus_height(port):
    result = query(port, 'cairn_height{job="cairnd"}')
    return result[0][1] if result else None


def wait_for_height(port, node):
    """Polls Prometheus and cairnd until they agree on the height; the height, or None."""
    seen = {}

    def agree():
        scraped = prometheus_height(port)
        height = node.height()
        seen.update(prometheus=scraped, rpc=height)
        return height if scraped is not None and int(scraped) == height else None

    agreed = wait_until(agree, WAIT_LIMIT, interval=0.5)
    if agreed is None:
        log(f"last seen: {seen}")
    return agreed


def stop_by_pid(process, name):
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        log(f"{name} ignored SIGTERM for {STOP_TIMEOUT} s: SIGKILL")
        os.kill(process.pid, signal.SIGKILL)
        return process.wait()


with tempfile.TemporaryDirectory(prefix="cairn-prometheus-") as tmp:
    node = Cairnd(cairnd_path, os.path.join(tmp, "node"))
    metrics_port = free_port()
    prometheus = None
    try:
        node.start("--no-p2p", "--metrics-listen", f"127.0.0.1:{metrics_port}")
        # Blocks pay the demo's alice (`cairn demo`): any regtest address will do.
        demo = subprocess.run([cairn_path, "--network", "regtest", "--json", "demo"], capture_output=True,
                              text=True, timeout=60, check=True)
        address = json.loads(demo.stdout)["alice"]["address"]
        mined = node.generate(3, address)
        check(len(mined) == 3, f"miner_generate mined 3 blocks: {mined}")

        # The RPC listener serves /metrics to loopback callers too.
        with urllib.request.urlopen(f"http://127.0.0.1:{node.rpc_port}/metrics", timeout=10) as response:
            page = response.read().decode()
            check(response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8",
                  f"content type {response.headers['Content-Type']}")
        check(f"cairn_height {node.height()}\n" in page, "the RPC listener's page has the height")

        prometheus_port = free_port()
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: cairnd\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{metrics_port}']\n")
        prometheus_log = open(os.path.join(tmp, "prometheus.log"), "w")
        prometheus = subprocess.Popen(
            [prometheus_path, f"--config.file={config}", f"--storage.tsdb.path={os.path.join(tmp, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{prometheus_port}", "--log.level=warn"],
            stdout=prometheus_log, stderr=subprocess.STDOUT)
        log(f"prometheus pid {prometheus.pid} on 127.0.0.1:{prometheus_port} scraping 127.0.0.1:{metrics_port}")

        height = wait_for_height(prometheus_port, node)
        check(height == 3, f"Prometheus's cairn_height equals chain_get_info's height (3): {height}")
        up = query(prometheus_port, 'up{job="cairnd"}')
        check(up and up[0][1] == 1, f"the target is up: {up}")

        node.generate(2, address)
        height = wait_for_height(prometheus_port, node)
        check(height == 5, f"after 2 more blocks Prometheus follows to 5: {height}")

        for family in FAMILIES:
            result = query(prometheus_port, f'{family}{{job="cairnd"}}')
            check(bool(result), f"{family} reached Prometheus")
        blocks = query(prometheus_port, 'cairn_blocks_connected_total{job="cairnd"}')
        check(blocks and blocks[0][1] == 5, f"cairn_blocks_connected_total is 5: {blocks}")
        latency = query(prometheus_port, 'cairn_rpc_request_duration_seconds_count{method="miner_generate"}')
        check(latency and latency[0][1] >= 2, f"miner_generate's calls are timed: {latency}")
    except Exception as e:  # noqa: BLE001 - the test reports every failure the same way
        check(False, f"{type(e).__name__}: {e}")
        log(node.tail())
    finally:
        if prometheus is not None:
            code = stop_by_pid(prometheus, "prometheus")
            if failures:
                with open(os.path.join(tmp, "prometheus.log"), errors="replace") as f:
                    log("prometheus log:\n" + f.read()[-3000:])
            log(f"prometheus exited {code}")
        code = node.stop()
        check(code == 0, f"cairnd exited 0 on SIGTERM: {code}")

if failures:
    log(f"{len(failures)} failure(s)")
    sys.exit(1)
log("prometheus test passed")
