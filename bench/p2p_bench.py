#!/usr/bin/env python3
"""The peer-to-peer benchmarks behind bench/p2p_bench.sh (bench/README.md, "Peer-to-peer").

Runs regtest cairnd processes on free loopback ports, each with its own temporary data dir,
talks to them over JSON-RPC with their cookies, and measures:

  relay   node A makes blocks of signed transactions (cairn_rpc_load --mode fill) while B is
          connected: bytes B received for each heavy block as a compact block (block topic +
          blocktxn + blocks protocols of net_get_stats) against its full encoding; then, over
          every block A made so far, B's bytes against what C, a fresh node syncing the same
          blocks with the blocks protocol, received.
  sync    A mines on to the chain length alone; D, a fresh node, syncs it from A alone:
          blocks/s, transactions/s (whole chain and the part holding the transactions).
  latency 8 fresh nodes (a bootstrap line, and with --mesh also the graph discovery makes);
          blocks mined one at a time on the first: time until each node reports the new tip
          (chain_get_info polled), and the nodes' last_block_propagation_micros.

Every process is stopped by its PID (SIGTERM, bounded wait, SIGKILL); every wait is bounded.
Writes one JSON document (--out) and prints Markdown tables. No assertion on any timing.
"""
import argparse
import base64
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "apps"))
import cairnd_harness as harness  # noqa: E402

WAIT = 600  # seconds: the bound of every wait (a 10,000-block sync on a busy 2-core machine)


def log(message):
    print(f"p2p_bench: {message}", file=sys.stderr, flush=True)


# Listening ports are taken below Linux's ephemeral range (32768-60999): a port the kernel
# hands out for outbound connections could otherwise be taken by a dial before cairnd binds it.
PORT_RANGE = (20000, 32000)
_rng = random.Random()


def free_port():
    for _ in range(1000):
        port = _rng.randrange(*PORT_RANGE)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORT_RANGE}")


def wait_until(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Multiaddr:
    """A bootstrap peer given by its address (what harness.Cairnd.launch reads of a peer)."""

    def __init__(self, address):
        self.address = address


class Node(harness.Cairnd):
    """One regtest cairnd on loopback (tests/apps/cairnd_harness.py's Cairnd: launch, readiness,
    stop by PID) with ports below the ephemeral range and a keep-alive JSON-RPC client."""

    def __init__(self, name, cairnd, root, extra=()):
        super().__init__(cairnd, os.path.join(root, name), name=name)
        self.rpc_port = free_port()
        self.p2p_port = free_port()
        self.extra = list(extra)
        self.conn = None
        self.auth = None
        self.started_at = None

    @property
    def proc(self):
        return self.process

    def start(self, bootstrap=()):
        """Launches cairnd (bootstrap: multiaddrs) without waiting; wait_ready() waits."""
        self.launch(*self.extra, bootstrap=[Multiaddr(address) for address in bootstrap])
        self.started_at = time.monotonic()
        return self

    def wait_ready(self):
        super().wait_ready(timeout=60)
        return self

    def call(self, method, params=None):
        if self.auth is None:
            with open(self.cookie) as f:
                self.auth = "Basic " + base64.b64encode(f.read().strip().encode()).decode()
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}})
        # The server closes idle keep-alive connections: one retry on a fresh connection.
        for retry in (True, False):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.rpc_port, timeout=60)
            try:
                self.conn.request("POST", "/", body, {"Content-Type": "application/json", "Authorization": self.auth})
                data = self.conn.getresponse().read()
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if not retry or (self.proc is not None and self.proc.poll() is not None):
                    raise
        answer = json.loads(data)
        if "error" in answer:
            raise RuntimeError(f"{self.name} {method}: {answer['error']}")
        return answer["result"]

    def height(self):
        return self.call("chain_get_info")["height"]

    def tip(self):
        info = self.call("chain_get_info")
        return info["height"], info["best_hash"]

    def peers(self):
        answer = self.call("net_get_peers")
        if isinstance(answer, dict):
            answer = answer.get("peers", [])
        return [p for p in answer if p.get("handshaken")]

    def stats(self):
        return self.call("net_get_stats")

    def stop(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        return super().stop()

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def log_problems(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return [line.rstrip() for line in f if " warning " in line or " error " in line
                        or " critical " in line]
        except OSError:
            return []


def traffic(stats, suffix):
    """The traffic entry whose protocol id or topic ends in `suffix` (zeros when absent)."""
    for name, entry in stats.get("protocols", {}).items():
        if name.endswith(suffix):
            return entry
    return {"bytes_in": 0, "bytes_out": 0, "messages_in": 0, "messages_out": 0}


# The protocol ids and topics (docs/chain-protocols.md): block topic /cairn/regtest/block/1,
# blocks /cairn/regtest/blocks/1.0.0, blocktxn /cairn/regtest/blocktxn/1.0.0.
BLOCK_TOPIC, BLOCKS, BLOCKTXN, HEADERS, TX_TOPIC = "/block/1", "/blocks/1.0.0", "/blocktxn/1.0.0", \
    "/headers/1.0.0", "/tx/1"


def block_bytes_in(stats):
    """What a node received for blocks: compact announcements, missing transactions, whole blocks."""
    return {"block_topic": traffic(stats, BLOCK_TOPIC)["bytes_in"], "blocktxn": traffic(stats, BLOCKTXN)["bytes_in"],
            "blocks": traffic(stats, BLOCKS)["bytes_in"], "headers": traffic(stats, HEADERS)["bytes_in"]}


def minus(after, before):
    return {k: after[k] - before.get(k, 0) for k in after}


def uvarint_len(n):
    length = 1
    while n >= 0x80:
        n >>= 7
        length += 1
    return length


def compact_counters(stats):
    return dict(stats.get("compact_blocks", {}))


def wait_height(node, height, timeout=WAIT, stall=60, watch=()):
    """Until `node` reaches `height`; the monotonic time it was seen there. Gives up after
    `timeout` s, after `stall` s without progress (with the node's peers and counters), or
    at once when a node of `watch` (its peers) is no longer running."""
    deadline = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while True:
        for other in watch:
            if other.proc.poll() is not None:
                raise RuntimeError(f"{other.name} exited {other.proc.returncode} while {node.name} synced")
        now_height = node.height()
        now = time.monotonic()
        if now_height >= height:
            return now
        if now_height != last:
            last, last_change = now_height, now
        if now - last_change > stall or now > deadline:
            stats = node.stats()
            raise RuntimeError(f"{node.name} stuck at height {now_height} of {height} for {now - last_change:.0f} s; "
                               f"peers {len(node.peers())}; rate-limited {stats.get('rate_limited')}; misbehaviour "
                               f"{stats.get('misbehavior')}; log:\n{node.log_tail()}")
        time.sleep(0.05)


def wait_handshake(node, timeout=60):
    return wait_until(lambda: node.peers(), timeout, f"{node.name} to complete a status handshake")


def supports_no_mine(rpc_load):
    """Whether this cairn_rpc_load's fill mode can leave its spends in the mempool."""
    shown = subprocess.run([rpc_load, "--help"], capture_output=True, text=True, timeout=30)
    return "--no-mine" in shown.stdout


def fund(a, rpc_load, coinbases):
    """Mature coinbases for the fills, mined on A before B connects (cairn_rpc_load --mode fund
    with a fresh --key-seed): the fills then mine one block each, not a burst of ~20 that the
    block-gossip rate limit would punish. None when this cairn_rpc_load cannot do it."""
    shown = subprocess.run([rpc_load, "--help"], capture_output=True, text=True, timeout=30).stdout
    if "--key-seed" not in shown or "fund" not in shown:
        return None
    seed = os.urandom(32).hex()
    done = subprocess.run([rpc_load, "--port", str(a.rpc_port), "--cookie", a.cookie, "--mode", "fund",
                           "--coinbases", str(coinbases), "--key-seed", seed], capture_output=True, text=True,
                          timeout=WAIT)
    if done.returncode != 0:
        raise RuntimeError(f"cairn_rpc_load --mode fund: {done.stderr.strip()}")
    return seed


def run_fill(a, b, rpc_load, transactions, no_mine, address, seed):
    """Signed transactions made on A (cairn_rpc_load --mode fill) while B is connected, and the
    heavy block's wire cost on B: B's counters just before the heavy block and once B has it.

    With --no-mine the spends stay in A's mempool: once B's mempool has them all by gossip
    (bounded wait), B's counters are read and A mines the block. Without it (an older
    cairn_rpc_load), the counters are read while A's mempool fills, before fill mines."""
    splits = -(-transactions // 100)
    command = [rpc_load, "--port", str(a.rpc_port), "--cookie", a.cookie, "--mode", "fill", "--transactions",
               str(transactions)] + (["--key-seed", seed] if seed else [])
    before = None
    if no_mine:
        done = subprocess.run(command + ["--no-mine"], capture_output=True, text=True, timeout=WAIT)
        if done.returncode != 0:
            raise RuntimeError(f"cairn_rpc_load --mode fill --no-mine: {done.stderr.strip()}")
        a_height = a.height()
        wait_height(b, a_height, watch=[a])
        try:
            wait_until(lambda: b.call("mempool_get_info")["count"] >= transactions, 60,
                       f"{b.name}'s mempool to hold the {transactions} transactions")
        except RuntimeError as e:
            stats = b.stats()
            log(f"relay: {e} (has {b.call('mempool_get_info')['count']}; B rate-limited {stats.get('rate_limited')}, "
                f"misbehaviour {stats.get('misbehavior')}, bans {stats.get('bans')}); the block will need blocktxn")
        before = (a_height, b.stats(), b.call("mempool_get_info")["count"])
        mined = a.call("miner_generate", {"count": 1, "address": address})[0]
        block = a.call("chain_get_block", {"block": mined, "transactions": "none"})
        fill = {"hash": mined, "height": block["height"], "tx_count": block["tx_count"], "size": block["size"]}
    else:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + WAIT
        while proc.poll() is None and time.monotonic() < deadline:
            if before is None and a.call("mempool_get_info")["count"] > splits + 10:
                a_height = a.height()
                stats = b.stats()
                pool = b.call("mempool_get_info")["count"]
                if b.height() == a_height and a.height() == a_height:
                    before = (a_height, stats, pool)
            time.sleep(0.02)
        out, err = proc.communicate(timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"cairn_rpc_load --mode fill: {err.strip()}")
        fill = json.loads(out)
    wait_until(lambda: b.tip()[1] == fill["hash"] or b.height() > fill["height"], WAIT,
               f"{b.name} to have the heavy block")
    after = b.stats()
    result = {"fill": fill, "measured": False, "mempool_synced_first": no_mine}
    if before is not None and before[0] == fill["height"] - 1:
        result["measured"] = True
        result["b_mempool_before"] = before[2]
        result["received"] = minus(block_bytes_in(after), block_bytes_in(before[1]))
        result["compact"] = minus(compact_counters(after), compact_counters(before[1]))
        result["tx_messages_in"] = traffic(after, TX_TOPIC)["messages_in"]
    return result


def relay_and_sync(cairnd, rpc_load, root, args):
    out = {}
    a = Node("A", cairnd, root).start().wait_ready()
    nodes = [a]  # running
    everyone = [a]
    try:
        seed = fund(a, rpc_load, args.fills * -(-args.transactions // 100))
        b = Node("B", cairnd, root).start([a.address])
        nodes.append(b)
        everyone.append(b)
        b.wait_ready()
        wait_handshake(b)
        wait_height(b, a.height(), watch=[a])
        start_height = a.height()
        b_start = b.stats()
        no_mine = supports_no_mine(rpc_load)
        log(f"relay: {args.fills} fill(s) of {args.transactions} transactions on A from height {start_height}, "
            f"B connected")
        fills = []
        for i in range(args.fills):
            fills.append(run_fill(a, b, rpc_load, args.transactions, no_mine, args.address, seed))
            log(f"relay: fill {i + 1}: height {fills[-1]['fill']['height']}, {fills[-1]['fill']['tx_count']} txs, "
                f"measured {fills[-1]['measured']}")
            # Paced below the per-peer buckets of peer_rate_limits.h (tx: 200/s, burst 2,000; block
            # gossip: 2/s, burst 20): a relaying peer over them is dropped and scored as misbehaving.
            time.sleep(max(1.0, args.transactions / 150))
        fill_height = a.height()
        wait_height(b, fill_height, watch=[a])
        b_stats = b.stats()
        out["relay"] = {"fills": fills, "chain_height": fill_height, "start_height": start_height,
                        "b_received": minus(block_bytes_in(b_stats), block_bytes_in(b_start)),
                        "b_compact": compact_counters(b_stats), "b_rate_limited": b_stats.get("rate_limited"),
                        "b_misbehavior": b_stats.get("misbehavior"), "a_stats_relayed": a.stats().get("compact_blocks")}
        # Full encodings of the same blocks, as the blocks protocol frames them.
        sizes = [a.call("chain_get_block", {"block": h, "transactions": "none"})["size"]
                 for h in range(1, fill_height + 1)]
        out["relay"]["full_frames_bytes"] = sum(s + uvarint_len(s) for s in sizes[start_height:])
        out["relay"]["full_frames_bytes_all"] = sum(s + uvarint_len(s) for s in sizes)
        out["relay"]["heavy_sizes"] = {f["fill"]["hash"]: f["fill"]["size"] for f in fills}
        b.stop()
        nodes.remove(b)

        log(f"relay: C syncs blocks 1-{fill_height} from A with the blocks protocol")
        c = Node("C", cairnd, root).start([a.address])
        nodes.append(c)
        everyone.append(c)
        c.wait_ready()
        wait_height(c, fill_height, watch=[a])
        c_stats = c.stats()
        out["relay"]["c_received"] = block_bytes_in(c_stats)
        c.stop()
        nodes.remove(c)

        log(f"sync: A mines on to height {args.blocks} alone")
        while a.height() < args.blocks:
            a.call("miner_generate", {"count": min(1000, args.blocks - a.height()), "address": args.address})
        a_before = a.stats()
        log(f"sync: D syncs {args.blocks} blocks from A")
        d = Node("D", cairnd, root).start([a.address])
        nodes.append(d)
        everyone.append(d)
        d.wait_ready()
        t_start = d.started_at
        t_handshake = wait_until(lambda: d.peers() and time.monotonic(), 60, "D's handshake", interval=0.02)
        t_fill = t_done = stalled = None
        try:
            t_fill = wait_height(d, fill_height, watch=[a])
            t_done = wait_height(d, args.blocks, watch=[a])
        except RuntimeError as e:
            # Kept with what was reached: the relay figures above stay valid.
            stalled = {"error": str(e)[:3000], "height": d.height(), "seconds": time.monotonic() - t_handshake}
        d_stats = d.stats()
        a_after = a.stats()
        txs = sum(f["fill"]["tx_count"] - 1 for f in fills) + sum(-(-args.transactions // 100) for _ in fills)
        out["sync"] = {"blocks": args.blocks, "transactions": txs, "transaction_blocks_height": fill_height,
                       "stalled": stalled,
                       "seconds_start_to_handshake": t_handshake - t_start,
                       "seconds_handshake_to_transactions_part": t_fill - t_handshake if t_fill else None,
                       "seconds_handshake_to_tip": t_done - t_handshake if t_done else None,
                       "d_received": block_bytes_in(d_stats), "d_rate_limited": d_stats.get("rate_limited"),
                       "d_misbehavior": d_stats.get("misbehavior"),
                       "a_rate_limited": minus(a_after.get("rate_limited", {}) or {}, a_before.get("rate_limited", {}) or {})
                       if isinstance(a_after.get("rate_limited"), dict) else a_after.get("rate_limited"),
                       "a_misbehavior": a_after.get("misbehavior"), "a_bans": a_after.get("bans"),
                       "d_sync_log": [line.rstrip() for line in open(d.log_path, errors="replace")
                                      if ' sync msg="block download' in line][-5:]}
        d.stop()
        nodes.remove(d)
        out["log_problems"] = {n.name: n.log_problems()[:20] for n in everyone}
    except (RuntimeError, OSError, http.client.HTTPException, subprocess.SubprocessError) as e:
        raise with_crashes(e, everyone) from e
    finally:
        for n in nodes:
            n.stop()
    return out


def with_crashes(error, nodes):
    """`error` with the exit status and last log lines of every node that is no longer running."""
    dead = [f"{n.name} exited {n.proc.returncode}: {n.log_tail(3).strip()}" for n in nodes
            if n.proc is not None and n.proc.poll() is not None]
    return RuntimeError(f"{error}" + ("; " + "; ".join(dead) if dead else ""))


def graph_of(nodes):
    by_id = {n.peer_id: n.name for n in nodes}
    edges = set()
    for n in nodes:
        for p in n.peers():
            if p.get("peer_id") in by_id:
                edges.add(tuple(sorted((n.name, by_id[p["peer_id"]]))))
    return sorted(edges)


def hops_from(start, names, edges):
    dist, frontier = {start: 0}, [start]
    while frontier:
        nxt = []
        for here in frontier:
            for a, b in edges:
                for x, y in ((a, b), (b, a)):
                    if x == here and y not in dist:
                        dist[y] = dist[here] + 1
                        nxt.append(y)
        frontier = nxt
    return {n: dist.get(n) for n in names}


def propagation(cairnd, root, args, label, extra):
    nodes = [Node(f"{label}{i}", cairnd, root, extra) for i in range(args.nodes)]
    try:
        nodes[0].start().wait_ready()
        for i in range(1, len(nodes)):
            nodes[i].start([nodes[i - 1].address]).wait_ready()
        for n in nodes:
            wait_handshake(n)
        # Let discovery and the gossip meshes settle (the first heartbeats, Kademlia's lookup).
        time.sleep(args.settle)
        edges = graph_of(nodes)
        names = [n.name for n in nodes]
        hops = hops_from(nodes[0].name, names, edges)
        log(f"latency ({label}): edges {edges}")
        blocks = []
        for _ in range(args.latency_blocks):
            # A block that misses a node (a partitioned graph) ends the series after 3 blocks.
            if len(blocks) >= 3 and not all(b["all"] for b in blocks):
                break
            start = time.monotonic()
            mined = nodes[0].call("miner_generate", {"count": 1, "address": args.address})[0]
            mined_at = time.monotonic() - start
            seen = {nodes[0].name: mined_at}
            deadline = start + 15
            while len(seen) < len(nodes) and time.monotonic() < deadline:
                for n in nodes:
                    if n.name not in seen and n.tip()[1] == mined:
                        seen[n.name] = time.monotonic() - start
            blocks.append({"hash": mined, "generate_seconds": mined_at, "seen_seconds": seen,
                           "all": len(seen) == len(nodes)})
            time.sleep(args.latency_pause)
        local = {n.name: n.stats().get("last_block_propagation_micros") for n in nodes}
        stats = {n.name: {k: n.stats().get(k) for k in ("rate_limited", "misbehavior", "bans")} for n in nodes}
        return {"label": label, "flags": extra, "edges": edges, "hops": hops, "blocks": blocks,
                "last_block_propagation_micros": local, "stats": stats}
    except (RuntimeError, OSError, http.client.HTTPException) as e:
        raise with_crashes(e, nodes) from e
    finally:
        for n in nodes:
            n.stop()


def pct(values, p):
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def report(result, out):
    rows = [f"- machine: {result['cpu']}, {result['cores']} cores; {result['date']}; mode {result['mode']}; "
            f"load average before {result['loadavg_before']}; whole-machine CPU use during the run "
            f"{result['machine_cpu_busy_percent']}%", ""]
    relay = result.get("relay")
    if relay:
        rows += ["| relay (B connected to A while A makes blocks) | compact (B) | full | saved |", "|---|---:|---:|---:|"]
        for f in relay["fills"]:
            if not f["measured"]:
                rows.append(f"| heavy block at {f['fill']['height']} ({f['fill']['tx_count']} txs) | not measured (window missed) | | |")
                continue
            got = f["received"]
            compact = got["block_topic"] + got["blocktxn"] + got["blocks"]
            full = f["fill"]["size"] + uvarint_len(f["fill"]["size"])
            rows.append(f"| heavy block at {f['fill']['height']}, {f['fill']['tx_count']} txs (topic {got['block_topic']} "
                        f"+ blocktxn {got['blocktxn']} + blocks {got['blocks']} B; tx messages before it "
                        f"{f['tx_messages_in']}; {f['compact']}) | {compact:,} B | {full:,} B | "
                        f"{100 * (1 - compact / full):.1f}% |")
        got, synced = relay["b_received"], relay["c_received"]
        b_total = got["block_topic"] + got["blocktxn"] + got["blocks"]
        full = relay["full_frames_bytes"]
        rows.append(f"| all blocks {relay.get('start_height', 0) + 1}–{relay['chain_height']}, made while B was "
                    f"connected (B: topic {got['block_topic']:,} + blocktxn {got['blocktxn']:,} + blocks "
                    f"{got['blocks']:,} B; full: their encodings as blocks-protocol frames) | {b_total:,} B | "
                    f"{full:,} B | {100 * (1 - b_total / full):.1f}% |")
        rows.append(f"| check of the full-frame figure: C synced blocks 1–{relay['chain_height']} with the blocks "
                    f"protocol (C's blocks bytes in; their frames {relay['full_frames_bytes_all']:,} B) | – | "
                    f"{synced['blocks']:,} B | – |")
        rows.append(f"\nB's compact-block counters: {relay['b_compact']}; rate-limited {relay['b_rate_limited']}; "
                    f"misbehaviour {relay['b_misbehavior']}")
        rows.append("")
    sync = result.get("sync")
    if sync and sync.get("stalled"):
        st = sync["stalled"]
        rows += [f"**sync of D from A stalled** at height {st['height']} of {sync['blocks']} after {st['seconds']:.1f} s "
                 f"({st['height'] / st['seconds']:.0f} blocks/s until then); D rate-limited {sync['d_rate_limited']}, "
                 f"misbehaviour {sync['d_misbehavior']}; A (the server): rate-limited {sync['a_rate_limited']}, "
                 f"misbehaviour {sync['a_misbehavior']}, bans {sync['a_bans']}; D's last sync lines: "
                 f"{sync['d_sync_log']}", ""]
        part = sync["seconds_handshake_to_transactions_part"]
        if part:
            rows.append(f"transactions part (height {sync['transaction_blocks_height']}) reached in {part:.2f} s: "
                        f"{sync['transactions'] / part:,.0f} tx/s; " + ", ".join(
                            f"÷ raw verify/s ({t} thread(s)) = {sync['transactions'] / part / r:.3f}"
                            for t, r in sorted(result.get("raw_verify_per_second", {}).items())))
            rows.append("")
    elif sync:
        total = sync["seconds_handshake_to_tip"]
        part = sync["seconds_handshake_to_transactions_part"]
        verify = result.get("raw_verify_per_second", {})
        rows += ["| sync of D from A alone | value |", "|---|---:|",
                 f"| blocks / transactions | {sync['blocks']:,} / {sync['transactions']:,} |",
                 f"| start → handshake | {sync['seconds_start_to_handshake']:.2f} s |",
                 f"| handshake → tip | {total:.2f} s |",
                 f"| blocks/s (whole chain) | {sync['blocks'] / total:,.1f} |",
                 f"| transactions/s (whole chain) | {sync['transactions'] / total:,.1f} |",
                 f"| handshake → height {sync['transaction_blocks_height']} (the part holding every transaction) | {part:.2f} s |",
                 f"| transactions/s in that part | {sync['transactions'] / part:,.1f} |" if part > 0 else "| – | – |"]
        for threads, rate in sorted(verify.items()):
            rows.append(f"| raw Ed25519 verify, {threads} thread(s) (`BM_RawEd25519Verify/{threads}`) | {rate:,.0f} sig/s |")
            if part > 0:
                rows.append(f"| ratio: sync transactions/s (transaction part) ÷ raw verify/s, {threads} thread(s) | "
                            f"{sync['transactions'] / part / rate:.3f} |")
        rows.append(f"\nD: rate-limited {sync['d_rate_limited']}, misbehaviour {sync['d_misbehavior']}; A (the server): "
                    f"rate-limited {sync['a_rate_limited']}, misbehaviour {sync['a_misbehavior']}, bans {sync['a_bans']}")
        rows.append("")
    for lat in result.get("latency", []):
        alls = [max(b["seen_seconds"].values()) for b in lat["blocks"] if b["all"]]
        rows += [f"| propagation, {len(lat['hops'])} nodes, {lat['label']} ({' '.join(lat['flags']) or 'default flags'}); "
                 f"diameter from the miner {max(h for h in lat['hops'].values() if h is not None) if all(h is not None for h in lat['hops'].values()) else 'disconnected'} hops | value |",
                 "|---|---:|",
                 f"| blocks reaching all nodes | {len(alls)} of {len(lat['blocks'])} |"]
        if alls:
            rows.append(f"| miner_generate called → last node has the tip: p50 / max | {1000 * pct(alls, 50):.0f} / "
                        f"{1000 * max(alls):.0f} ms |")
        by_hops = {}
        for blk in lat["blocks"]:
            for name, t in blk["seen_seconds"].items():
                by_hops.setdefault(lat["hops"].get(name), []).append(t)
        for h in sorted(k for k in by_hops if k is not None):
            rows.append(f"| nodes {h} hop(s) away: p50 | {1000 * pct(by_hops[h], 50):.0f} ms |")
        local = [v for v in lat["last_block_propagation_micros"].values() if v is not None]
        if local:
            rows.append(f"| last_block_propagation_micros (announcement → connected, per node): p50 | "
                        f"{pct(local, 50) / 1000:.1f} ms |")
        rows.append(f"\nedges: {lat['edges']}")
        rows.append("")
    for failure in result.get("failed_attempts", []):
        rows.append(f"- failed attempt: {failure[:1500]}")
    for error in result.get("errors", []):
        rows.append(f"**failed:** {error[:2000]}")
    print("\n".join(rows))
    print(f"\np2p_bench: results in {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cairnd", required=True)
    parser.add_argument("--cairn", required=True)
    parser.add_argument("--rpc-load", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--verify-json", help="cairn_bench JSON with BM_RawEd25519Verify")
    parser.add_argument("--mode", default="full")
    parser.add_argument("--blocks", type=int, default=10_000)
    parser.add_argument("--fills", type=int, default=10)
    parser.add_argument("--transactions", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=8)
    parser.add_argument("--latency-blocks", type=int, default=20)
    parser.add_argument("--latency-pause", type=float, default=1.0)
    parser.add_argument("--settle", type=float, default=8.0)
    parser.add_argument("--mesh", action="store_true", help="latency also over the graph discovery makes")
    parser.add_argument("--only", choices=["relay", "latency"], help="run one part only")
    parser.add_argument("--attempts", type=int, default=3, help="runs of a part that fails before giving up")
    args = parser.parse_args()
    demo = subprocess.run([args.cairn, "--network", "regtest", "--json", "demo"], capture_output=True, text=True,
                          timeout=30, check=True)
    args.address = json.loads(demo.stdout)["alice"]["address"]

    def cpu_ticks():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)

    with open("/proc/loadavg") as f:
        loadavg = " ".join(f.read().split()[:3])
    idle0, total0 = cpu_ticks()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "mode": args.mode, "cpu": cpu,
              "cores": os.cpu_count(), "loadavg_before": loadavg}
    if args.verify_json:
        for b in json.load(open(args.verify_json)).get("benchmarks", []):
            name = b.get("run_name", b["name"])
            if name.startswith("BM_RawEd25519Verify/") and b.get("aggregate_name", "median") == "median":
                threads = name.split("/")[1]
                rate = b.get("items_per_second")
                if rate:
                    result.setdefault("raw_verify_per_second", {})[threads] = rate
    root = tempfile.mkdtemp(prefix="cairn-p2p-bench.")
    try:
        # A part that fails (a node crashed, a wait ran out) is run again from scratch, up to
        # --attempts times; every failure is recorded, and the other parts still run.
        def attempt(name, run):
            for i in range(1, args.attempts + 1):
                try:
                    return run(os.path.join(root, f"{name}-{i}"))
                except (RuntimeError, OSError, http.client.HTTPException, subprocess.SubprocessError, KeyError,
                        ValueError) as e:
                    result.setdefault("failed_attempts", []).append(f"{name}, attempt {i}: {e}")
                    log(f"{name}, attempt {i} FAILED: {e}")
            result.setdefault("errors", []).append(f"{name}: failed {args.attempts} time(s), see failed_attempts")
            return None

        if args.only in (None, "relay"):
            done = attempt("relay and sync", lambda where: relay_and_sync(args.cairnd, args.rpc_load, where, args))
            if done:
                result.update(done)
        if args.only in (None, "latency"):
            result["latency"] = []
            shapes = [("line", ["--max-outbound", "1"])] + ([("mesh", [])] if args.mesh else [])
            for label, flags in shapes:
                done = attempt(f"latency ({label})",
                               lambda where, label=label, flags=flags: propagation(args.cairnd, where, args, label, flags))
                if done:
                    result["latency"].append(done)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    idle1, total1 = cpu_ticks()
    result["machine_cpu_busy_percent"] = round(100 * (1 - (idle1 - idle0) / max(1, total1 - total0)))
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    report(result, args.out)
    return 1 if result.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
