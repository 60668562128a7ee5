#!/usr/bin/env python3
"""Four cairnd hosts in Linux network namespaces this test creates, over impaired links.

    n0 10.78.0.1 --+
    n1 10.78.0.2 --+-- br0 (bridge in the hub namespace)
    n2 10.78.0.3 --+
    n3 10.78.0.4 --+

Each host namespace has one veth to the hub's bridge. `tc netem` adds latency and loss on
both ends of every veth (so a packet between two hosts crosses two impaired links). Where
the kernel has no netem qdisc (sch_netem), the links get random loss from an nftables rule
on the bridge instead and no added latency; the test says so, and exits 77 (skipped) in
that case only when CAIRN_NETNS_REQUIRE_NETEM=1.

The nodes join through --bootstrap (n1 -> n0, n2 -> n1, n3 -> n2: a line that discovery may
widen), then: the peer graph must be connected with completed status handshakes; blocks
mined on n0, then on n3, then on n1 and n2 at the same moment (a race the network must
settle) must bring all four to the same tip; with cairn_rpc_load given, `--mode fill` on n2
makes signed transactions (tx_send_raw) and mines them: every node must have the same
block with all of them, and each other node must have received every transaction on the
gossip tx topic. No honest node may be banned or scored for rate limits.

Every node runs in its own namespace (its RPC on that namespace's loopback, reached with
`ip netns exec NS cairn rpc ...`), is stopped by its PID (SIGTERM, bounded wait, then
SIGKILL) and must exit 0; every wait is bounded. Exits 77 (skipped) with a message where
network namespaces cannot be made (not root, no iproute2).

Usage: network_netns_test.py CAIRND CAIRN [CAIRN_RPC_LOAD]
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from cairnd_harness import check, failures

SKIP = 77
HOSTS = 4
SUBNET = "10.78.0"
P2P_PORT = 18644  # the same in every namespace: each has its own stack
RPC_PORT = 18645  # on each namespace's loopback
# netem on each end of a veth: one way between two hosts is about 2 x 25 ms, +-5 ms jitter,
# with about 2 x 1% loss.
NETEM = ["delay", "25ms", "5ms", "distribution", "normal", "loss", "1%"]
# Without netem: loss per bridged frame (per mille).
NFT_LOSS_PER_MILLE = 20
WAIT = 90  # seconds: the bound of every wait for the network
FILL_TRANSACTIONS = 100



def skip(message):
    print(f"network_netns: SKIPPED: {message}", file=sys.stderr)
    sys.exit(SKIP)


def run(*args, timeout=20, input_text=None):
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=timeout, input=input_text)


def wait_until(predicate, timeout, what, interval=0.25):
    """Polls `predicate` until it returns a true value (returned) or `timeout` s pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            print(f"network_netns: timed out after {timeout} s waiting for {what}", flush=True)
            return None
        time.sleep(interval)


class Node:
    """One cairnd in its namespace."""

    def __init__(self, index, ns, cairnd, cairn, root):
        self.index = index
        self.name = f"n{index}"
        self.ns = ns
        self.ip = f"{SUBNET}.{index + 1}"
        self.cairnd = cairnd
        self.cairn = cairn
        self.datadir = os.path.join(root, self.name)
        self.log_path = os.path.join(root, f"{self.name}.log")
        self.cookie = os.path.join(self.datadir, "regtest", "rpc.cookie")
        self.proc = None
        self.peer_id = None

    @property
    def p2p_address(self):
        return f"/ip4/{self.ip}/tcp/{P2P_PORT}/p2p/{self.peer_id}"

    def start(self, bootstrap=()):
        args = ["ip", "netns", "exec", self.ns, self.cairnd, "--network", "regtest", "--datadir", self.datadir,
                "--p2p-listen", f"/ip4/{self.ip}/tcp/{P2P_PORT}", "--rpc-listen", f"127.0.0.1:{RPC_PORT}"]
        for address in bootstrap:
            args += ["--bootstrap", address]
        os.makedirs(self.datadir, exist_ok=True)
        with open(self.log_path, "w") as log:
            # `ip netns exec` enters the namespace and execs cairnd: the PID is cairnd's.
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)

    def rpc(self, method, **params):
        """A JSON-RPC call through `cairn rpc` inside the namespace; the result, or None on an error.
        A node that is no longer running stops the scenario (AssertionError with its log)."""
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"{self.name} (cairnd) exited {self.proc.returncode} while the network ran; "
                                 f"log:\n{self.log_tail(15)}")
        args = ["ip", "netns", "exec", self.ns, self.cairn, "--network", "regtest", "--datadir", self.datadir,
                "--rpc-connect", f"127.0.0.1:{RPC_PORT}", "--json", "rpc", method]
        args += [f"{key}={json.dumps(value)}" for key, value in params.items()]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            return None
        if done.returncode != 0:
            return None
        try:
            return json.loads(done.stdout)
        except json.JSONDecodeError:
            return None

    def wait_ready(self):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name}: cairnd exited {self.proc.returncode}: {self.log_tail()}")
            return os.path.exists(self.cookie) and self.rpc("net_get_info")
        info = wait_until(ready, 60, f"{self.name} to serve RPC")
        if not info:
            raise AssertionError(f"{self.name}: no RPC within 60 s: {self.log_tail()}")
        self.peer_id = info["peer_id"]
        return info

    def tip(self):
        info = self.rpc("chain_get_info")
        return (info["height"], info["best_hash"]) if info else None

    def peers(self):
        answer = self.rpc("net_get_peers")
        if isinstance(answer, dict):
            answer = answer.get("peers")
        return answer if isinstance(answer, list) else []

    def stop(self):
        """SIGTERM by PID, a bounded wait, SIGKILL if it hangs; the exit status (None if killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                return self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
                return None
        return self.proc.returncode

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


def make_network(tag, made):
    """The hub with its bridge and one namespace per host; returns (hub, host namespaces, netem used)."""
    hub = f"{tag}h"
    hosts = [f"{tag}n{i}" for i in range(HOSTS)]
    for ns in [hub] + hosts:
        try:
            run("ip", "netns", "add", ns)
        except (subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired) as e:
            reason = (getattr(e, "stderr", None) or str(e)).strip()
            skip(f"cannot create network namespaces here ({reason})")
        made.append(ns)
    run("ip", "-n", hub, "link", "add", "br0", "type", "bridge")
    run("ip", "-n", hub, "link", "set", "br0", "up")
    for i, ns in enumerate(hosts):
        port = f"port{i}"
        run("ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", hub)
        run("ip", "-n", hub, "link", "set", port, "master", "br0")
        run("ip", "-n", hub, "link", "set", port, "up")
        run("ip", "-n", ns, "addr", "add", f"{SUBNET}.{i + 1}/24", "dev", "eth0")
        run("ip", "-n", ns, "link", "set", "eth0", "up")
        run("ip", "-n", ns, "link", "set", "lo", "up")

    # Impairments: netem on both ends of every veth, or (without netem) bridge loss by nftables.
    netem = True
    for i, ns in enumerate(hosts):
        for where, dev in ((ns, "eth0"), (hub, f"port{i}")):
            try:
                run("tc", "-n", where, "qdisc", "add", "dev", dev, "root", "netem", *NETEM)
            except (subprocess.CalledProcessError, OSError) as e:
                netem = False
                reason = (getattr(e, "stderr", None) or str(e)).strip()
                break
        if not netem:
            break
    if netem:
        print(f"network_netns: links impaired by tc netem {' '.join(NETEM)} on both ends of every veth")
        return hub, hosts, True
    if os.environ.get("CAIRN_NETNS_REQUIRE_NETEM") == "1":
        skip(f"tc netem is not available here ({reason}) and CAIRN_NETNS_REQUIRE_NETEM=1")
    if not shutil.which("nft"):
        skip(f"tc netem is not available here ({reason}) and nft (for loss without netem) is not installed")
    ruleset = ("table bridge cairn_impair {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n"
               f"    numgen random mod 1000 < {NFT_LOSS_PER_MILLE} drop\n  }}\n}}\n")
    run("ip", "netns", "exec", hub, "nft", "-f", "-", input_text=ruleset)
    print(f"network_netns: NOTE: tc netem is not available here ({reason}): the links get "
          f"{NFT_LOSS_PER_MILLE / 10:g}% random loss on the bridge (nftables) and NO added latency", flush=True)
    return hub, hosts, False


def connected(nodes):
    """Whether the graph of handshaken connections joins every node; (bool, edges)."""
    by_id = {n.peer_id: n.name for n in nodes}
    edges = set()
    for n in nodes:
        for peer in n.peers():
            if peer.get("handshaken") and peer.get("peer_id") in by_id:
                edges.add(tuple(sorted((n.name, by_id[peer["peer_id"]]))))
    reached, frontier = {nodes[0].name}, [nodes[0].name]
    while frontier:
        here = frontier.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == here and y not in reached:
                    reached.add(y)
                    frontier.append(y)
    return len(reached) == len(nodes), sorted(edges)


def same_tip(nodes, want_hash=None, min_height=0):
    tips = [n.tip() for n in nodes]
    if any(t is None for t in tips):
        return None
    hashes = {h for _, h in tips}
    if len(hashes) != 1 or tips[0][0] < min_height:
        return None
    if want_hash is not None and want_hash not in hashes:
        return None
    return tips[0]


def converge(nodes, what, want_hash=None, min_height=0):
    start = time.monotonic()
    tip = wait_until(lambda: same_tip(nodes, want_hash, min_height), WAIT, what)
    if check(tip is not None, f"{what}: tips {[n.tip() for n in nodes]}"):
        print(f"network_netns: {what}: all {len(nodes)} at height {tip[0]} {tip[1][:16]}… "
              f"after {time.monotonic() - start:.1f} s", flush=True)
    return tip


def topic_traffic(stats, suffix):
    for name, traffic in (stats or {}).get("protocols", {}).items():
        if name.endswith(suffix):
            return traffic
    return {}


def scenario(nodes, address, rpc_load):
    nodes[0].start()
    nodes[0].wait_ready()
    for i in range(1, HOSTS):
        nodes[i].start([nodes[i - 1].p2p_address])
        nodes[i].wait_ready()
    print("network_netns: " + ", ".join(f"{n.name}={n.peer_id[-8:]}@{n.ip}" for n in nodes), flush=True)

    graph = wait_until(lambda: (lambda c: c if c[0] else None)(connected(nodes)), WAIT, "a connected peer graph")
    if not check(graph is not None, f"the peer graph is connected: {connected(nodes)[1]}"):
        return
    print(f"network_netns: connected, edges {graph[1]}", flush=True)

    mined = nodes[0].rpc("miner_generate", count=5, address=address)
    check(isinstance(mined, list) and len(mined) == 5, f"n0 mines 5 blocks: {mined}")
    if mined:
        converge(nodes, "blocks mined on n0", want_hash=mined[-1])

    mined = nodes[3].rpc("miner_generate", count=3, address=address)
    check(isinstance(mined, list) and len(mined) == 3, f"n3 mines 3 blocks: {mined}")
    if mined:
        converge(nodes, "blocks mined on n3 (the far end of the bootstrap line)", want_hash=mined[-1])

    # n1 and n2 mine at the same moment: competing tips the network must settle on one chain.
    height = nodes[0].tip()[0]
    racers = [subprocess.Popen(
        ["ip", "netns", "exec", n.ns, n.cairn, "--network", "regtest", "--datadir", n.datadir, "--rpc-connect",
         f"127.0.0.1:{RPC_PORT}", "--json", "rpc", "miner_generate", "count=2", f"address={json.dumps(address)}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in (nodes[1], nodes[2])]
    for racer in racers:
        out, err = racer.communicate(timeout=60)
        check(racer.returncode == 0, f"racing miner_generate: {err}")
    converge(nodes, "after n1 and n2 mined at once", min_height=height + 2)

    if rpc_load:
        fill_transactions(nodes, rpc_load)

    for n in nodes:
        stats = n.rpc("net_get_stats") or {}
        compact = stats.get("compact_blocks", {})
        print(f"network_netns: {n.name}: compact blocks received {compact.get('received')}, rebuilt "
              f"{compact.get('reconstructed')}, with blocktxn {compact.get('with_blocktxn')}, full "
              f"{compact.get('full_fallback')}; misbehaviour {stats.get('misbehavior')}; rate-limited "
              f"{stats.get('rate_limited')}; last propagation {stats.get('last_block_propagation_micros')} µs",
              flush=True)
        check(stats.get("bans") == 0, f"{n.name} banned no honest peer: {stats.get('bans')}")
        check(not stats.get("misbehavior"), f"{n.name} saw no misbehaviour from honest peers: {stats.get('misbehavior')}")
        check(not stats.get("rate_limited"), f"{n.name} rate-limited no honest peer: {stats.get('rate_limited')}")


def fill_transactions(nodes, rpc_load):
    """Signed transactions sent to n2 (tx_send_raw) and mined there by cairn_rpc_load."""
    source = nodes[2]
    before = {n.name: topic_traffic(n.rpc("net_get_stats"), "/tx/1").get("messages_in", 0) for n in nodes}
    done = subprocess.run(["ip", "netns", "exec", source.ns, rpc_load, "--port", str(RPC_PORT), "--cookie",
                           source.cookie, "--mode", "fill", "--transactions", str(FILL_TRANSACTIONS),
                           "--outputs-per-split", "50"], capture_output=True, text=True, timeout=120)
    if not check(done.returncode == 0, f"cairn_rpc_load --mode fill on n2: {done.stderr.strip()}"):
        return
    fill = json.loads(done.stdout)
    print(f"network_netns: n2 made {fill['tx_count'] - 1} transactions, mined at height {fill['height']}",
          flush=True)
    converge(nodes, "the block of transactions", want_hash=fill["hash"])
    for n in nodes:
        block = n.rpc("chain_get_block", block=fill["hash"], transactions="none") or {}
        check(block.get("tx_count") == fill["tx_count"], f"{n.name} holds the whole block: {block.get('tx_count')}")
    # Each other node got every transaction by gossip (from one neighbour or more).
    for n in nodes:
        if n is source:
            continue

        def received(n=n):
            got = topic_traffic(n.rpc("net_get_stats"), "/tx/1").get("messages_in", 0) - before[n.name]
            return got if got >= FILL_TRANSACTIONS else None
        got = wait_until(received, 30, f"{n.name} to receive the transactions")
        check(got is not None, f"{n.name} received all {FILL_TRANSACTIONS} transactions on the tx topic")
        if got:
            print(f"network_netns: {n.name} received {got} transaction messages", flush=True)


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    cairnd, cairn = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    rpc_load = os.path.abspath(sys.argv[3]) if len(sys.argv) == 4 else None
    if os.geteuid() != 0:
        skip("network namespaces need root (ip netns); run as root or in a privileged container")
    for tool in ("ip", "tc"):
        if not shutil.which(tool):
            skip(f"'{tool}' is not installed (iproute2)")
    demo = subprocess.run([cairn, "--network", "regtest", "--json", "demo"], capture_output=True, text=True,
                          timeout=30)
    address = json.loads(demo.stdout)["alice"]["address"]

    tag = f"cx{os.getpid()}"
    made, nodes = [], []
    root = tempfile.mkdtemp(prefix="cairn_netns_")
    started = time.monotonic()
    try:
        hub, hosts, _ = make_network(tag, made)
        nodes = [Node(i, ns, cairnd, cairn, root) for i, ns in enumerate(hosts)]
        try:
            scenario(nodes, address, rpc_load)
        except (AssertionError, subprocess.TimeoutExpired, KeyError, TypeError, json.JSONDecodeError) as e:
            check(False, f"scenario stopped: {e!r}")
    finally:
        for n in reversed(nodes):
            code = n.stop()
            check(code == 0, f"{n.name} stops cleanly on SIGTERM: exit {code}")
        if failures:
            for n in nodes:
                print(f"---- {n.name} log (last lines) ----\n{n.log_tail()}", flush=True)
        for ns in reversed(made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
        shutil.rmtree(root, ignore_errors=True)
    print(f"network_netns: {len(failures)} failure(s) in {time.monotonic() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
