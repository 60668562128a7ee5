#!/usr/bin/env python3
"""End-to-end checks of the cairn and cairnd binaries as a user runs them.

Usage: cli_test.py CAIRN CAIRND
"""
import json
import subprocess
import sys
import tempfile

cairn, cairnd = sys.argv[1], sys.argv[2]
failures = []


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def check(condition, what):
    if not condition:
        failures.append(what)


# The demo: JSON output, a verified signature, a tampered copy refused, a block that round-trips.
demo = run(cairn, "--network", "regtest", "--json", "demo")
check(demo.returncode == 0, f"cairn demo exited {demo.returncode}: {demo.stderr}")
doc = json.loads(demo.stdout) if demo.returncode == 0 else {}
if doc:
    check(doc["network"] == "regtest", "demo network")
    for who in ("alice", "bob", "multisig_2_of_2"):
        check(doc[who]["address"].startswith("rcairn1"), f"{who} address has the regtest prefix")
    check(doc["transaction"]["verified"] == "ok", "the signed transaction verifies")
    check(doc["transaction"]["tampered_copy"] == "signature does not verify", "the tampered copy is refused")
    check(doc["block"]["decode_roundtrip"] is True, "the block round-trips")
    check(doc["block"]["prev"] == doc["genesis"], "block 1 links to block 0")
    check(len(doc["block"]["state_root"]) == 64, "state root is 32 bytes of hex")

# Addresses are per network.
testnet = run(cairn, "--network", "testnet", "--json", "demo")
check(json.loads(testnet.stdout)["alice"]["address"].startswith("tcairn1"), "testnet prefix")

# Errors name the flag and exit non-zero.
bad = run(cairn, "--network", "moonnet", "demo")
check(bad.returncode != 0 and "--network" in bad.stderr, f"unknown network refused: {bad.stderr!r}")
bad = run(cairn, "--rpc-connect", "nohost", "demo")
check(bad.returncode != 0 and "--rpc-connect" in bad.stderr, f"bad --rpc-connect refused: {bad.stderr!r}")

# cairnd creates the network's chain state with its genesis block; --check-chain audits it.
with tempfile.TemporaryDirectory() as datadir:
    node = run(cairnd, "--network", "regtest", "--datadir", datadir, "--check-chain")
    check(node.returncode == 0, f"cairnd --check-chain exit status {node.returncode}: {node.stderr}")
    check("height 0 " in node.stdout and "chain state is sound" in node.stdout,
          f"a new regtest chain is at genesis and sound: {node.stdout!r}")
    check(f"{datadir}/regtest/chain" in node.stderr + node.stdout, "cairnd logs its per-network data directory")
    bad = run(cairnd, "--datadir", datadir, "--bootstrap", "1.2.3.4:5")
    check(bad.returncode == 1 and "not a multiaddr" in bad.stderr, "cairnd refuses a HOST:PORT bootstrap")
    bad = run(cairnd, "--network", "testnet", "--datadir", datadir, "--mine")
    check(bad.returncode == 1 and "--mine-to" in bad.stderr, "mining outside regtest needs an address")
    bad = run(cairnd, "--network", "regtest", "--datadir", datadir, "--mine-to", "cairn1qqqq")
    check(bad.returncode == 1 and "--mine-to" in bad.stderr, "a bad --mine-to address is refused")
    bad = run(cairnd, "--network", "regtest", "--datadir", datadir, "--prune", "10")
    check(bad.returncode == 1 and "--prune" in bad.stderr, "a tiny --prune is refused")
help_text = run(cairnd, "--help").stdout
for flag in ("--network", "--datadir", "--p2p-listen", "--bootstrap", "--rpc-listen", "--mine",
             "--mine-to", "--prune", "--check-chain", "--validator-key", "--config"):
    check(flag in help_text, f"cairnd --help documents {flag}")

for f in failures:
    print("FAIL:", f)
print(f"cli_test: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
