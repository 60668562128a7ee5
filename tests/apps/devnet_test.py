#!/usr/bin/env python3
"""`cairn devnet` end to end (issue [I], docs/devnet.md), in a temporary directory on free
loopback ports:

  - refusals: --nodes 0, --validators > --nodes, a port in use, `down`/`status` of no devnet;
  - `up --nodes 3 --validators 2`: devnet.json has the documented schema; `status` shows
    every node running, connected and (once the miners pause) on one tip; both validators are
    in staking_get_validators;
  - a transaction sent with `cairn wallet send` from node1's wallet to node2's address reaches
    node2 and is mined;
  - `up` again is idempotent (same PIDs); `up` with other parameters is refused;
  - `down` stops every PID; `up` restarts the same chain; `down` twice is harmless.

Every wait is bounded; whatever happens, every PID in devnet.json is stopped at the end
(SIGTERM, then SIGKILL).

Usage: devnet_test.py CAIRN CAIRND
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import base64

from cairnd_harness import check, failures, log, wait_until

cairn, cairnd = sys.argv[1], sys.argv[2]
NODES, VALIDATORS = 3, 2
UP_TIMEOUT = 420  # seconds: three nodes start, coins mature (10 blocks), two bonds are mined
COMMAND_TIMEOUT = 120


def run(*args, timeout=COMMAND_TIMEOUT):
    done = subprocess.run([cairn, *args], capture_output=True, text=True, timeout=timeout)
    log(f"cairn {' '.join(args[:3])}... exit {done.returncode}")
    return done


def ports_free(base, count):
    for port in range(base, base + count):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_base_port(count):
    """A base port with `count` free loopback ports from it (random, so parallel runs differ)."""
    for _ in range(200):
        base = random.randrange(20000, 60000, 2)
        if ports_free(base, count):
            return base
    raise RuntimeError("no free port range found")


def rpc(node, method, **params):
    with open(node["cookie_file"]) as f:
        credentials = f.read().strip()
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(
        node["rpc_url"], data=body,
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()})
    with urllib.request.urlopen(request, timeout=30) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise RuntimeError(f"{node['name']} {method}: {reply['error']}")
    return reply["result"]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_all(pids):
    """The cleanup of every path: SIGTERM, a bounded wait, SIGKILL."""
    live = [p for p in pids if p and alive(p)]
    for p in live:
        os.kill(p, signal.SIGTERM)
    wait_until(lambda: not any(alive(p) for p in live), 30)
    for p in live:
        if alive(p):
            log(f"pid {p} ignored SIGTERM: SIGKILL")
            os.kill(p, signal.SIGKILL)


def read_state(directory):
    with open(os.path.join(directory, "devnet.json")) as f:
        return json.load(f)


def check_schema(state, directory, base):
    check(state["network"] == "regtest" and state["dir"] == directory, f"devnet.json network/dir: {state['dir']}")
    check(len(state["mnemonic"].split()) == 24, "devnet.json holds a 24-word phrase")
    check(os.stat(state["wallet_password_file"]).st_mode & 0o777 == 0o600, "the password file is 0600")
    check(os.stat(os.path.join(directory, "devnet.json")).st_mode & 0o777 == 0o600, "devnet.json is 0600")
    nodes = state["nodes"]
    check(len(nodes) == NODES, f"{NODES} nodes in devnet.json")
    keys = {"name", "index", "datadir", "pid", "p2p_port", "rpc_port", "rpc_url", "explorer_url", "metrics_url",
            "cookie_file", "peer_id", "p2p_address", "miner", "validator", "wallet", "log_file"}
    for i, n in enumerate(nodes):
        check(set(n) == keys, f"node {i} fields: {sorted(set(n) ^ keys)}")
        check(n["name"] == f"node{i}" and n["index"] == i, f"node {i} name and index")
        check(n["p2p_port"] == base + 2 * i and n["rpc_port"] == base + 2 * i + 1, f"node {i} ports")
        check(n["rpc_url"] == f"http://127.0.0.1:{base + 2 * i + 1}/" and n["explorer_url"] == n["rpc_url"]
              and n["metrics_url"] == n["rpc_url"] + "metrics", f"node {i} URLs")
        check(n["datadir"] == os.path.join(directory, f"node{i}"), f"node {i} datadir")
        check(n["log_file"] == os.path.join(n["datadir"], "cairnd.log") and os.path.exists(n["log_file"]),
              f"node {i} log file")
        check(n["p2p_address"] == f"/ip4/127.0.0.1/tcp/{n['p2p_port']}/p2p/{n['peer_id']}" and n["peer_id"],
              f"node {i} p2p address")
        check(n["miner"] is True, f"node {i} mines")
        check(n["wallet"]["name"] == "devnet" and n["wallet"]["account"] == i
              and n["wallet"]["address"].startswith("rcairn1"), f"node {i} wallet {n['wallet']}")
        if i < VALIDATORS:
            v = n["validator"] or {}
            check(os.path.exists(v.get("key_file", "")) and len(v.get("public_key", "")) == 64,
                  f"node {i} is a validator with a key file: {v}")
        else:
            check(n["validator"] is None, f"node {i} is not a validator")
    check(len({n["wallet"]["address"] for n in nodes}) == NODES, "each node's wallet is a different account")


def refusals(root, cairnd_flag):
    log("refusals")
    empty = os.path.join(root, "none")
    done = run("devnet", "down", "--dir", empty)
    check(done.returncode == 0 and "nothing to stop" in done.stdout, f"down of no devnet: {done.stdout}{done.stderr}")
    done = run("devnet", "status", "--dir", empty)
    check(done.returncode == 1 and "no devnet" in done.stderr, f"status of no devnet: {done.stderr}")
    done = run("devnet", "up", "--dir", empty, "--nodes", "0", *cairnd_flag)
    check(done.returncode != 0 and "--nodes" in done.stderr, f"--nodes 0 refused: {done.stderr}")
    done = run("devnet", "up", "--dir", empty, "--nodes", "2", "--validators", "3", *cairnd_flag)
    check(done.returncode != 0 and "exceeds --nodes" in done.stderr, f"validators > nodes refused: {done.stderr}")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run("devnet", "up", "--dir", empty, "--base-port", str(port), *cairnd_flag)
        check(done.returncode != 0 and f"port {port}" in done.stderr and "in use" in done.stderr,
              f"a port in use is refused: {done.stderr}")
    # That refusal happened before any process started (the wallets were made: a rerun reuses them).
    state = read_state(empty)
    check(all(n["pid"] == 0 for n in state["nodes"]), "no node was started")


def same_tip(directory):
    """`devnet status --json` when every node is running, connected and on one tip."""
    done = run("devnet", "status", "--dir", directory, "--json")
    if done.returncode != 0:
        return None
    doc = json.loads(done.stdout)
    nodes = doc["nodes"]
    if all(n["running"] and n.get("peers", 0) >= 1 for n in nodes) and len({n["best_hash"] for n in nodes}) == 1:
        return doc
    return None


def scenario(root, pids):
    directory = os.path.join(root, "devnet")
    base = free_base_port(2 * NODES)
    cairnd_flag = ["--cairnd", cairnd]
    up_args = ["devnet", "up", "--nodes", str(NODES), "--validators", str(VALIDATORS), "--dir", directory,
               "--base-port", str(base), *cairnd_flag]

    log(f"devnet up in {directory} from port {base}")
    started = time.monotonic()
    done = run(*up_args, "--json", timeout=UP_TIMEOUT)
    if os.path.exists(os.path.join(directory, "devnet.json")):
        pids.extend(n["pid"] for n in read_state(directory)["nodes"])
    if not check(done.returncode == 0, f"devnet up: {done.stderr[-4000:]}"):
        return
    log(f"devnet up took {time.monotonic() - started:.1f} s")
    printed = json.loads(done.stdout)
    state = read_state(directory)
    check(printed == state, "up --json prints devnet.json")
    check_schema(state, directory, base)
    check("waiting for" in done.stderr or "bonded" in done.stderr, "up shows its progress")
    nodes = state["nodes"]
    first_pids = [n["pid"] for n in nodes]

    # status: all up and connected; the miners keep mining, so poll for a moment on one tip.
    doc = wait_until(lambda: same_tip(directory), 60, interval=0.5)
    check(doc is not None, "status: every node running, connected, on the same tip")
    done = run("devnet", "status", "--dir", directory)
    check(done.returncode == 0 and done.stdout.count("height") == NODES, f"status text: {done.stdout}")

    bonded = {v["voting_key"] for v in rpc(nodes[0], "staking_get_validators")["items"]}
    for n in nodes[:VALIDATORS]:
        check(n["validator"]["public_key"] in bonded, f"{n['name']}'s voting key is bonded")

    # A transaction from node1's wallet to node2's address, through node1.
    node1, node2 = nodes[1], nodes[2]
    done = run("--network", "regtest", "--datadir", node1["datadir"], "--rpc-connect",
               f"127.0.0.1:{node1['rpc_port']}", "--json", "wallet", "send", "--wallet", "devnet",
               "--password-file", state["wallet_password_file"], "--yes", node2["wallet"]["address"], "1.5")
    if check(done.returncode == 0, f"wallet send from node1: {done.stderr}"):
        txid = json.loads(done.stdout)["txid"]

        def mined_on_node2():
            try:
                tx = rpc(node2, "tx_get", txid=txid)
            except RuntimeError:
                return None
            return tx if tx.get("location") else None
        tx = wait_until(mined_on_node2, 90, interval=0.5)
        check(tx is not None, f"the transaction {txid} reached node2 and was mined")

    # up again: idempotent; other parameters: refused.
    done = run(*up_args, timeout=UP_TIMEOUT)
    check(done.returncode == 0 and "already running" in done.stderr, f"up twice: {done.stderr[-2000:]}")
    check([n["pid"] for n in read_state(directory)["nodes"]] == first_pids, "up twice keeps the same processes")
    done = run("devnet", "up", "--dir", directory, "--nodes", "2", *cairnd_flag)
    check(done.returncode != 0 and "already holds a devnet" in done.stderr, f"other parameters refused: {done.stderr}")

    height = rpc(nodes[0], "chain_get_info")["height"]
    done = run("devnet", "down", "--dir", directory)
    check(done.returncode == 0 and done.stdout.count("stopped (SIGTERM)") == NODES, f"down: {done.stdout}")
    check(not any(alive(p) for p in first_pids), "down stopped every process")
    done = run("devnet", "status", "--dir", directory)
    check(done.returncode == 1 and done.stdout.count("not running") == NODES, f"status after down: {done.stdout}")

    # up restarts the same devnet (its chain and wallets), then down again, twice.
    done = run(*up_args, timeout=UP_TIMEOUT)
    pids.extend(n["pid"] for n in read_state(directory)["nodes"])
    if check(done.returncode == 0 and "restarting" in done.stderr, f"up after down: {done.stderr[-3000:]}"):
        check(rpc(read_state(directory)["nodes"][0], "chain_get_info")["height"] >= height,
              "the restarted devnet keeps its chain")
    second_pids = [n["pid"] for n in read_state(directory)["nodes"]]
    done = run("devnet", "down", "--dir", directory)
    check(done.returncode == 0 and not any(alive(p) for p in second_pids), f"down after restart: {done.stdout}")
    done = run("devnet", "down", "--dir", directory)
    check(done.returncode == 0 and "was running" in done.stdout, f"down twice: {done.stdout}")

    refusals(root, cairnd_flag)


def main():
    pids = []
    with tempfile.TemporaryDirectory(prefix="cairn-devnet-") as root:
        try:
            scenario(root, pids)
        except Exception as error:  # a failed step: reported, the processes still stopped
            check(False, f"{type(error).__name__}: {error}")
        finally:
            state_file = os.path.join(root, "devnet", "devnet.json")
            if os.path.exists(state_file):
                pids.extend(n["pid"] for n in read_state(os.path.dirname(state_file))["nodes"])
            if failures:
                for i in range(NODES):
                    log_file = os.path.join(root, "devnet", f"node{i}", "cairnd.log")
                    if os.path.exists(log_file):
                        with open(log_file, errors="replace") as f:
                            log(f"---- node{i} log tail ----\n{f.read()[-3000:]}")
            kill_all(set(pids))
    for f in failures:
        print("FAIL:", f)
    print(f"devnet_test: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
