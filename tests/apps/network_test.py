#!/usr/bin/env python3
"""Multi-process tests of cairnd's peer-to-peer network on 127.0.0.1 (issue [E], "Tests").

Each scenario starts several real cairnd processes on free loopback ports, drives them over
JSON-RPC (the cookie in <datadir>/regtest/rpc.cookie) and signs transactions with
cairn_rpc_load (bench/rpc_load.cpp: its fund, fill and bond modes). Every wait is bounded;
every node is stopped by PID (SIGTERM, then SIGKILL) even when a check fails. With
CAIRN_NETWORK_TEST_LOGS=DIR the nodes' logs are kept in DIR/<scenario>/<node>/.

  consensus  4 nodes, each mining (--mine) and a bonded validator (--validator-key): they
             stay in consensus and the finalized checkpoint stays within 2 epochs of the tip.
  partition  a pair of validator nodes is partitioned (net_ban of each other's peer id), each
             side mines its own branch, then they reconnect: the side with less work
             reorganises to the better chain, never below the finalized checkpoint, and
             finality resumes.
  finality   the same with 3/4 of the stake on one side: it finalizes alone while the other
             side mines more work; reconnected, the finalized side never reorganises past its
             finalized checkpoint and the other side follows the chain with the higher
             justified checkpoint (fork choice: justification first, then work).
  sync       a new node syncs a 10,000-block chain with transactions from 3 peers, one of them
             stalled for real (SIGSTOP after its handshake): blocks come from at least two
             peers; SIGKILLed mid-sync and restarted, it fetches only what it had not stored
             (blocks counted on the wire by net_get_stats). The chain is made once, by a node
             on its own, and copied to the three servers.
  compact    with mempools filled by gossip, blocks of >= 1,000 transactions are rebuilt on
             the receivers without a blocktxn request in >= 95% of cases (net_get_stats
             compact_blocks on the receivers).

Usage: network_test.py CAIRN CAIRND CAIRN_RPC_LOAD SCENARIO...
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from cairnd_harness import Cairnd, RpcError, check, failures, log, wait_until

cairn, cairnd, rpc_load = sys.argv[1], sys.argv[2], sys.argv[3]
scenarios = sys.argv[4:] or ["consensus", "partition", "finality", "sync", "compact"]

EPOCH_LENGTH = 5  # regtest (src/consensus/finality_params.h kRegtestFinality)
COIN = 100_000_000
STAKE = 10 * COIN  # each validator's bond (min_stake on regtest is 1 coin)


class Node(Cairnd):
    """One cairnd of a scenario: <root>/<name> is its data dir."""

    def __init__(self, root, name):
        super().__init__(cairnd, os.path.join(root, name), name)

    def hash_at(self, height):
        return self.rpc("chain_get_block_hash", height=height)

    def peers(self):
        return self.rpc("net_get_peers")

    def handshaken(self):
        return [p for p in self.peers() if p["handshaken"]]

    def stats(self):
        return self.rpc("net_get_stats")

    def mempool_count(self):
        return self.rpc("mempool_get_info")["count"]


def run_tool(*args, timeout=300):
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])}... exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def load(node, *args, timeout=300):
    """cairn_rpc_load against `node`: its JSON result (bounded well below ctest's 600 s, so a
    stuck run fails with the nodes' logs instead of a silent timeout)."""
    out = run_tool(rpc_load, "--port", str(node.rpc_port), "--cookie", node.cookie, *args, timeout=timeout)
    return json.loads(out)


def burn_address():
    """An address nobody here spends from (the demo's alice)."""
    return json.loads(run_tool(cairn, "--network", "regtest", "--json", "demo"))["alice"]["address"]


def validator_key(directory, name):
    """A voting keystore and its password file: (keystore, password file, public key hex)."""
    password = os.path.join(directory, f"{name}.password")
    with open(password, "w") as f:
        f.write(f"{name} validator password\n")
    os.chmod(password, 0o600)
    keystore = os.path.join(directory, f"{name}.key")
    made = json.loads(run_tool(cairn, "--json", "key", "validator-new", "--out", keystore,
                               "--password-file", password))
    return keystore, password, made["public_key"]


def wait_connected(nodes, count, timeout=60):
    """Every node has at least `count` handshaken peers."""
    return wait_until(lambda: all(len(n.handshaken()) >= count for n in nodes), timeout)


def wait_same_tip(nodes, timeout=60):
    def same():
        tips = {n.info()["best_hash"] for n in nodes}
        return len(tips) == 1
    return wait_until(same, timeout)


def dump_logs(nodes):
    for n in nodes:
        log(f"---- {n.name} log tail ----\n{n.tail()}")


# ---- scenarios ------------------------------------------------------------------------------
# (defined below; each takes a temporary root directory)

SCENARIOS = {}


def scenario(function):
    SCENARIOS[function.__name__.replace("scenario_", "")] = function
    return function


def main():
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        print(f"unknown scenario(s) {unknown}; known: {sorted(SCENARIOS)}")
        return 2
    for name in scenarios:
        started = time.monotonic()
        before = len(failures)
        with tempfile.TemporaryDirectory(prefix=f"cairn-net-{name}-") as root:
            nodes = []
            try:
                SCENARIOS[name](root, nodes)
            except Exception as error:  # a failed step: reported, nodes still stopped
                check(False, f"{name}: {type(error).__name__}: {error}")
            finally:
                if len(failures) > before:
                    dump_logs(nodes)
                for n in nodes:
                    n.stop()
                keep = os.environ.get("CAIRN_NETWORK_TEST_LOGS")  # a directory for the nodes' logs
                if keep:
                    for n in nodes:
                        target = os.path.join(keep, name, n.name)
                        os.makedirs(target, exist_ok=True)
                        for log_file in os.listdir(n.datadir):
                            if log_file.endswith(".log"):
                                shutil.copy(os.path.join(n.datadir, log_file), target)
        log(f"scenario {name}: {'ok' if len(failures) == before else 'FAILED'} "
            f"in {time.monotonic() - started:.1f} s")
    for f in failures:
        print("FAIL:", f)
    print(f"network_test: {len(failures)} failure(s)")
    return 1 if failures else 0


# ---- compact blocks -------------------------------------------------------------------------

COMPACT_ROUNDS = 7  # blocks of COMPACT_TRANSACTIONS spends; 3 receivers: 21 cases
COMPACT_TRANSACTIONS = 1000
COMPACT_SEED = "c0" * 32  # the funding key of every round (cairn_rpc_load --key-seed)
# The receivers' per-peer gossip budget for transactions (src/net/peer_rate_limits.h
# kPeerRateTable: 200/s, burst 2000). A drop costs ban points, so the test sends below it.
TX_RATE, TX_BURST = 200, 2000


def compact_counters(node):
    stats = node.stats()
    counters = dict(stats["compact_blocks"])
    blocktxn = stats["protocols"].get("/cairn/regtest/blocktxn/1.0.0", {})
    counters["blocktxn_messages_out"] = blocktxn.get("messages_out", 0)
    return counters


class GossipBudget:
    """The receivers' token bucket for gossiped transactions, modelled conservatively
    (80% of the refill rate) so that the test never has a transaction dropped."""

    def __init__(self):
        self.tokens, self.at = TX_BURST, time.monotonic()

    def spend(self, count):
        now = time.monotonic()
        self.tokens = min(TX_BURST, self.tokens + (now - self.at) * TX_RATE * 0.8)
        self.at = now
        if self.tokens < count + 100:
            pause = (count + 100 - self.tokens) / (TX_RATE * 0.8)
            log(f"waiting {pause:.1f} s for the receivers' transaction budget")
            time.sleep(pause)
            self.tokens += pause * TX_RATE * 0.8
            self.at = time.monotonic()
        self.tokens -= count


@scenario
def scenario_compact(root, nodes):
    sender = Node(root, "sender")
    nodes.append(sender)
    sender.start()
    splits = COMPACT_TRANSACTIONS // 100
    # Every round's coinbases are mined before the receivers join: the rounds then mine two
    # blocks each (the split and the big block), well inside the block gossip budget.
    funded = load(sender, "--mode", "fund", "--key-seed", COMPACT_SEED, "--coinbases",
                  str(COMPACT_ROUNDS * splits))
    log(f"funded {funded['mature_coinbases']} coinbases at height {sender.height()}")
    receivers = [Node(root, f"receiver{i}") for i in range(3)]
    nodes.extend(receivers)
    for r in receivers:
        r.start(bootstrap=[sender])
    if not check(wait_connected([sender], 3) and wait_connected(receivers, 1),
                 "compact: the receivers connect to the sender"):
        return
    if not check(wait_same_tip(nodes, 60), "compact: the receivers sync the funding blocks"):
        return
    budget = GossipBudget()
    cases = successes = 0
    details = []
    for round_ in range(COMPACT_ROUNDS):
        budget.spend(COMPACT_TRANSACTIONS + splits)
        filled = load(sender, "--mode", "fill", "--no-mine", "--key-seed", COMPACT_SEED,
                      "--transactions", str(COMPACT_TRANSACTIONS), "--outputs-per-split", "100")
        check(filled["sent"] == COMPACT_TRANSACTIONS, f"compact: round {round_} sent {filled}")
        # The split block must be everywhere and the spends in every mempool before mining.
        if not check(wait_same_tip(nodes, 60), f"compact: round {round_}: the split block reaches everyone"):
            return
        pooled = wait_until(lambda: all(n.mempool_count() >= COMPACT_TRANSACTIONS for n in nodes), 120, 0.5)
        if not check(pooled, f"compact: round {round_}: mempools {[n.mempool_count() for n in nodes]} "
                             f"never all held {COMPACT_TRANSACTIONS} transactions"):
            return
        before = [compact_counters(r) for r in receivers]
        block_hash = sender.generate(1, burn_address())[0]
        block = sender.rpc("chain_get_block", block=block_hash, transactions="none")
        check(block["tx_count"] >= COMPACT_TRANSACTIONS + 1,
              f"compact: round {round_}: the block holds {block['tx_count']} transactions")
        if not check(wait_same_tip(nodes, 60), f"compact: round {round_}: the block reaches every receiver"):
            return
        for r, old in zip(receivers, before):
            new = compact_counters(r)
            delta = {k: new[k] - old[k] for k in new}
            cases += 1
            clean = (delta["received"] == 1 and delta["reconstructed"] == 1 and delta["blocktxn_requests"] == 0
                     and delta["blocktxn_messages_out"] == 0 and delta["full_fallback"] == 0)
            successes += clean
            details.append(delta)
            check(delta["blocktxn_requests"] == delta["blocktxn_messages_out"],
                  f"compact: blocktxn requests counted {delta['blocktxn_requests']} but "
                  f"{delta['blocktxn_messages_out']} went out on the wire ({r.name})")
    rate = successes / cases if cases else 0
    log(f"compact: {successes}/{cases} blocks of >= {COMPACT_TRANSACTIONS} transactions rebuilt without "
        f"blocktxn ({100 * rate:.1f}%)" + ("" if successes == cases else f"; per block and receiver {details}"))
    check(cases == 3 * COMPACT_ROUNDS and rate >= 0.95,
          f"compact: {successes}/{cases} rebuilt from the mempool alone (need >= 95%)")
    for r in receivers:
        stats = r.stats()
        check(not stats["misbehavior"] and not stats["rate_limited"],
              f"compact: {r.name} saw no misbehaviour nor rate limiting: {stats['misbehavior']} "
              f"{stats['rate_limited']}")


# ---- sync -----------------------------------------------------------------------------------

SYNC_HEIGHT = 10_000
SYNC_SEED = "5e" * 32
SYNC_FILLS = (2_000, 5_000, 8_000)  # heights after which a block of transactions is made
SYNC_FILL_TRANSACTIONS = 300
SYNC_KILL_AT = 4_000  # the syncing node is SIGKILLed once it stored this many blocks
BLOCKS_PROTOCOL = "/cairn/regtest/blocks/1.0.0"


def check_chain_height(datadir):
    """The stored tip height, from `cairnd --check-chain` (which also audits the store)."""
    done = subprocess.run([cairnd, "--network", "regtest", "--datadir", datadir, "--check-chain"],
                          capture_output=True, text=True, timeout=300)
    match = re.search(r"^height (\d+)", done.stdout, re.M)
    check(done.returncode == 0 and match, f"sync: --check-chain after SIGKILL: {done.stdout} {done.stderr[-2000:]}")
    return int(match.group(1)) if match else -1


def build_sync_chain(root):
    """A SYNC_HEIGHT-block regtest chain with blocks of transactions, made once by a node on
    its own; returns its data dir (stopped)."""
    maker = Node(root, "maker")
    try:
        maker.start("--no-p2p")
        address = burn_address()
        transactions = 0
        # The coinbases the fills split, mined first: the regtest subsidy halves every 150
        # blocks, so later coinbases are too small to pay for a split.
        splits = -(-SYNC_FILL_TRANSACTIONS // 100)
        load(maker, "--mode", "fund", "--key-seed", SYNC_SEED, "--coinbases", str(splits * len(SYNC_FILLS)))
        for fill_at in SYNC_FILLS + (SYNC_HEIGHT,):
            while maker.height() < fill_at:
                maker.generate(min(1000, fill_at - maker.height()), address)
            if fill_at != SYNC_HEIGHT:
                made = load(maker, "--mode", "fill", "--key-seed", SYNC_SEED, "--transactions",
                            str(SYNC_FILL_TRANSACTIONS), "--outputs-per-split", "100")
                transactions += made["tx_count"] - 1
        info = maker.info()
        log(f"sync: built a {info['height']}-block chain with {transactions} transactions in fill blocks")
    finally:
        check(maker.stop() == 0, "sync: the chain maker stops cleanly")
    return maker.datadir, info


def copy_chain(source, root, name):
    """A node whose data dir is a copy of `source`'s chain, with its own node key and no peers."""
    node = Node(root, name)
    shutil.rmtree(node.datadir)
    shutil.copytree(source, node.datadir)
    for leftover in ("node_key", "peers.dat", "rpc.cookie"):
        path = os.path.join(node.datadir, "regtest", leftover)
        if os.path.exists(path):
            os.remove(path)
    return node


def blocks_received(node):
    return node.stats()["protocols"].get(BLOCKS_PROTOCOL, {}).get("messages_in", 0)


@scenario
def scenario_sync(root, nodes):
    started = time.monotonic()
    chain_dir, chain = build_sync_chain(root)
    target = chain["height"]
    log(f"sync: chain made in {time.monotonic() - started:.1f} s")
    servers = [copy_chain(chain_dir, root, name) for name in ("server0", "server1", "staller")]
    nodes.extend(servers)
    for s in servers:
        s.start()
        check(s.info()["best_hash"] == chain["best_hash"], f"sync: {s.name} serves the chain")
    staller = servers[2]
    fresh = Node(root, "fresh")
    nodes.append(fresh)
    fresh.start(bootstrap=servers)

    # A real stall: the staller's process stops once it completed the status handshake.
    def staller_ready():
        return any(p["peer_id"] == staller.peer_id and p["handshaken"] for p in fresh.peers())
    if not check(wait_until(staller_ready, 30, 0.05), "sync: the fresh node handshakes with the staller"):
        return
    staller.process.send_signal(signal.SIGSTOP)
    log(f"sync: staller stopped at fresh height {fresh.height()}")
    sync_started = time.monotonic()
    reached = wait_until(lambda: fresh.height() >= SYNC_KILL_AT, 120, 0.05)
    if not check(reached, f"sync: the fresh node reaches height {SYNC_KILL_AT} (at {fresh.height()}; sync "
                          f"{fresh.rpc('net_get_info')['sync']}; servers' misbehaviour counts "
                          f"{[s.stats()['misbehavior'] for s in servers[:2]]})"):
        return
    elapsed = time.monotonic() - sync_started
    peers = fresh.peers()
    delivered = {p["peer_id"]: p["blocks_delivered"] for p in peers}
    log(f"sync: height {fresh.height()} after {elapsed:.1f} s; delivered by peer {delivered}; "
        f"sync {fresh.rpc('net_get_info')['sync']}")
    check(sum(1 for count in delivered.values() if count > 0) >= 2,
          f"sync: blocks came from at least two peers: {delivered}")
    # The staller holds requests for blocks the others cannot replace until it is found out:
    # within the stall timeout (5 s) once the window stops moving.
    found = wait_until(lambda: fresh.stats()["misbehavior"].get("stalling", 0) >= 1, 30, 0.1)
    check(found, f"sync: the stopped peer was found stalling: {fresh.stats()['misbehavior']}")
    progress = check_download_progress(fresh)
    check(any(m.group(5) != "unknown" and float(m.group(4)) > 0 for m in progress),
          f"sync: a progress line with a rate and an ETA: {[m.group(0) for m in progress]}")
    fresh.kill()
    stored = check_chain_height(fresh.datadir)
    log(f"sync: killed with {stored} blocks stored")
    check(SYNC_KILL_AT <= stored < target, f"sync: the kill came mid-sync (stored {stored} of {target})")

    fresh.start(bootstrap=servers)
    restarted = time.monotonic()
    done = wait_until(lambda: fresh.info()["best_hash"] == chain["best_hash"], 240, 0.2)
    check(done, f"sync: after the restart the fresh node reaches the tip (at {fresh.height()})")
    check_download_progress(fresh, target)
    received = blocks_received(fresh)
    missing = target - stored
    log(f"sync: resumed from {stored} in {time.monotonic() - restarted:.1f} s, {received} blocks received "
        f"for {missing} missing; peers {[(p['peer_id'][-6:], p['blocks_delivered']) for p in fresh.peers()]}")
    # Every missing block came over the wire once; a refetch of the stored ones would add
    # thousands. The slack covers requests reassigned after the stall (at most the requests
    # in flight to one peer: 4 x 16 blocks) arriving twice.
    check(missing <= received <= missing + 64,
          f"sync: after the restart {received} blocks were received for {missing} missing")


DOWNLOAD_LINE = re.compile(r' sync msg="block download" progress=(\d+\.\d)% blocks=(\d+) headers=(\d+) '
                           r'rate=(\d+\.\d)blk/s eta=(\d+h\d\dm|\d+m\d\ds|\d+s|unknown) ')
DOWNLOAD_DONE = re.compile(r' sync msg="block download done" progress=100\.0% blocks=(\d+) headers=(\d+) ')


def check_download_progress(node, target=None):
    """The block download's log lines: each parses field by field, the count of blocks only
    climbs, and the percentage is blocks of headers; with a target, the last line says 100.0%
    at it. Returns the progress lines' matches."""
    def lines():
        return [line for line in node.log_text().splitlines() if ' sync msg="block download' in line]
    if target is not None:
        wait_until(lambda: any(DOWNLOAD_DONE.search(line) for line in lines()), 30, 0.1)
    shown = lines()
    progress = [DOWNLOAD_LINE.search(line) for line in shown if 'msg="block download" ' in line]
    check(progress and all(progress), f"sync: the download logs its progress, field by field: {shown[:3]}")
    if not progress or not all(progress):
        return []
    blocks = [int(m.group(2)) for m in progress]
    check(blocks == sorted(blocks), f"sync: the blocks in the progress lines only climb: {blocks}")
    for m in progress:
        done, headers = int(m.group(2)), int(m.group(3))
        expected = 100.0 if done >= headers else int(done * 1000 // headers) / 10
        check(float(m.group(1)) == expected, f"sync: {m.group(0).strip()} is {done} of {headers}")
    log(f"sync: progress lines {[m.group(1) + '% eta=' + m.group(5) for m in progress]}")
    if target is not None:
        end = DOWNLOAD_DONE.search(shown[-1])
        check(end is not None and int(end.group(1)) == target,
              f"sync: the last download line says 100.0% at height {target}: {shown[-1]}")
        log(f"sync: then {shown[-1].split(' sync ')[-1]}")
    return progress


# ---- partition ------------------------------------------------------------------------------

# Blocks are mined one at a time this far apart while peers are connected, so that each is
# relayed before the next (the block gossip budget, 10 per second per peer with a burst of
# 100 in kPeerRateTable, is far above it).
GOSSIP_BLOCK_SPACING = 0.15


def finality(node):
    return node.rpc("finality_get_status")


def mine_paced(miner, count, address, until=None, others=()):
    """Mines up to `count` blocks one at a time on `miner`, each after the previous one reached
    `others`; stops early once until() holds. Whether until() held (True without one)."""
    for _ in range(count):
        if until is not None and until():
            return True
        miner.generate(1, address)
        tip = miner.info()["best_hash"]
        wait_until(lambda: all(o.info()["best_hash"] == tip for o in others), 10, 0.05)
        time.sleep(GOSSIP_BLOCK_SPACING)
    return until is None or until()


def start_validators(root, nodes, names, *extra_args):
    """Nodes with voting keys, each bootstrapping from the ones before it; bonded later."""
    keys = [validator_key(root, name) for name in names]
    made = []
    for name, (keystore, password, _) in zip(names, keys):
        node = Node(root, name)
        nodes.append(node)
        node.start("--validator-key", keystore, "--validator-password-file", password, *extra_args,
                   bootstrap=made)
        made.append(node)
    return made, [public for _, _, public in keys]


@scenario
def scenario_partition(root, nodes):
    address = burn_address()
    (a, b), voting_keys = start_validators(root, nodes, ["left", "right"])
    if not check(wait_connected([a, b], 1), "partition: the pair connects"):
        return
    # Two validators of equal stake: neither side of a partition can justify alone.
    bonded = load(a, "--mode", "bond", "--voting-key", voting_keys[0], "--voting-key", voting_keys[1],
                  "--stake", str(STAKE))
    log(f"partition: bonds at height {bonded['height']}")
    time.sleep(2 * GOSSIP_BLOCK_SPACING * 10)  # the bond run mined ~13 blocks at once: let the budget refill

    def finalized_past(height):
        return lambda: all(n.info()["finalized_height"] > height for n in (a, b))
    if not check(mine_paced(a, 60, address, finalized_past(bonded["height"]), [b]),
                 f"partition: finality starts ({finality(a)})"):
        return
    # Cut in the middle of an epoch, once this epoch's votes are in a block: neither branch can
    # then justify anything new (each holds half the stake).
    while a.height() % EPOCH_LENGTH != 3:
        mine_paced(a, 1, address, others=[b])
    if not check(wait_same_tip([a, b]), "partition: the pair agrees before the cut"):
        return
    fork = a.info()
    status_before = {n.name: finality(n) for n in (a, b)}
    log(f"partition: cut at height {fork['height']} finalized {fork['finalized_height']}")
    a.rpc("net_ban", target=b.peer_id, reason="partition test")
    b.rpc("net_ban", target=a.peer_id, reason="partition test")
    check(wait_until(lambda: not a.handshaken() and not b.handshaken(), 20), "partition: the ban cuts the pair")
    shown = run_tool(cairn, "--network", "regtest", "--datadir", a.datadir, "--rpc-connect",
                     f"127.0.0.1:{a.rpc_port}", "peers")
    check(b.peer_id in shown and "partition test" in shown, f"partition: `cairn peers` shows the ban: {shown!r}")
    a_hashes = a.generate(3, address)
    b_hashes = b.generate(8, address)
    time.sleep(1)
    check(a.info()["best_hash"] == a_hashes[-1] and b.info()["best_hash"] == b_hashes[-1],
          "partition: each side mines its own branch while cut")
    left = a.info()
    check(left["finalized_hash"] == fork["finalized_hash"], "partition: the short branch finalized nothing new")
    check(b.info()["finalized_hash"] == fork["finalized_hash"], "partition: the long branch finalized nothing new")

    a.rpc("net_unban", target=b.peer_id)
    b.rpc("net_unban", target=a.peer_id)
    try:
        a.rpc("net_connect", address=b.address)
    except RpcError as error:  # b may have redialled a first: one connection per peer
        check(any(p["peer_id"] == b.peer_id for p in a.handshaken()), f"partition: reconnect: {error}")
    healed = wait_same_tip([a, b], 60)
    if not check(healed, f"partition: the pair reconnects and agrees: left {a.info()['height']} right "
                         f"{b.info()['height']}"):
        return
    after = a.info()
    check(after["best_hash"] == b_hashes[-1], "partition: the short side reorganised to the chain with more work")
    check(a.hash_at(fork["height"]) == fork["best_hash"], "partition: the reorganisation kept the common blocks")
    check(after["finalized_height"] >= fork["finalized_height"]
          and a.hash_at(fork["finalized_height"]) == fork["finalized_hash"],
          "partition: the reorganisation never went below the finalized checkpoint")
    log(f"partition: reorganised from {left['height']} to {after['height']}; finality before "
        f"{status_before['left']['last_finalized']} after {finality(a)['last_finalized']}")
    # Healed: both validators' votes meet again and finality moves past the fork.
    check(mine_paced(b, 40, address, finalized_past(fork["height"]), [a]),
          f"partition: finality resumes past the fork ({finality(a)['last_finalized']})")
    check(wait_until(lambda: a.info()["finalized_hash"] == b.info()["finalized_hash"], 20),
          "partition: both sides finalize the same checkpoint")


@scenario
def scenario_finality(root, nodes):
    """A partition where one side holds 3/4 of the stake: it finalizes alone; the other side
    mines more work. Reconnected, the finalized side never reorganises past its finalized
    checkpoint, and the other side follows the chain with the higher justified checkpoint."""
    address = burn_address()
    (a, b), voting_keys = start_validators(root, nodes, ["strong", "weak"])
    if not check(wait_connected([a, b], 1), "finality: the pair connects"):
        return
    seed = "f1" * 32
    load(a, "--mode", "fund", "--key-seed", seed, "--coinbases", "2")
    load(a, "--mode", "bond", "--key-seed", seed, "--voting-key", voting_keys[0], "--stake", str(3 * STAKE))
    bonded = load(a, "--mode", "bond", "--key-seed", seed, "--voting-key", voting_keys[1], "--stake", str(STAKE))
    time.sleep(GOSSIP_BLOCK_SPACING * 15)

    def finalized_past(height):
        return lambda: all(n.info()["finalized_height"] > height for n in (a, b))
    if not check(mine_paced(a, 60, address, finalized_past(bonded["height"]), [b]),
                 f"finality: finality starts ({finality(a)})"):
        return
    while a.height() % EPOCH_LENGTH != 3:
        mine_paced(a, 1, address, others=[b])
    if not check(wait_same_tip([a, b]), "finality: the pair agrees before the cut"):
        return
    fork = a.info()
    a.rpc("net_ban", target=b.peer_id, reason="finality test")
    b.rpc("net_ban", target=a.peer_id, reason="finality test")
    check(wait_until(lambda: not a.handshaken() and not b.handshaken(), 20), "finality: the ban cuts the pair")
    a.generate(4 * EPOCH_LENGTH, address)
    strong = a.info()
    check(strong["finalized_height"] > fork["height"],
          f"finality: the side with 3/4 of the stake finalizes alone past the fork at {fork['height']}: "
          f"{finality(a)['last_finalized']}")
    b.generate(12 * EPOCH_LENGTH, address)
    weak = b.info()
    check(weak["finalized_height"] <= fork["height"] and int(weak["chain_work"], 16) > int(strong["chain_work"], 16),
          f"finality: the weak side has more work and no new finality: {weak}")

    a.rpc("net_unban", target=b.peer_id)
    b.rpc("net_unban", target=a.peer_id)
    try:
        a.rpc("net_connect", address=b.address)
    except RpcError as error:
        check(any(p["peer_id"] == b.peer_id for p in a.handshaken()), f"finality: reconnect: {error}")
    agreed = wait_same_tip([a, b], 45)
    after_a, after_b = a.info(), b.info()
    check(a.hash_at(strong["finalized_height"]) == strong["finalized_hash"]
          and after_a["finalized_height"] >= strong["finalized_height"],
          f"finality: the finalized side never reorganised past its finalized checkpoint: {after_a}")
    check(agreed and after_b["best_hash"] == after_a["best_hash"]
          and b.hash_at(strong["finalized_height"]) == strong["finalized_hash"],
          f"finality: the weak side follows the chain with the higher justified checkpoint: strong "
          f"{after_a['height']} {after_a['best_hash'][:16]}, weak {after_b['height']} {after_b['best_hash'][:16]}")
    # The abandoned branch had the most work: its tip must not stay the download's best header.
    sync = b.rpc("net_get_info")["sync"]
    check(sync["best_header_height"] == sync["height"] and not sync["syncing"],
          f"finality: the weak side's download follows its new chain, not the heavier branch it left: {sync}")
    for n in (a, b):
        check(not n.rpc("net_get_bans"), f"finality: {n.name} banned no honest peer: {n.rpc('net_get_bans')}")


# ---- consensus ------------------------------------------------------------------------------

CONSENSUS_SECONDS = 60  # how long the four miners run
MINE_INTERVAL_MS = 2000  # each miner's pause after a block: about two blocks a second in all


@scenario
def scenario_consensus(root, nodes):
    address = burn_address()
    names = [f"validator{i}" for i in range(4)]
    validators, voting_keys = start_validators(root, nodes, names)
    if not check(wait_connected(validators, 1), "consensus: the four nodes connect"):
        return
    log("consensus: four validators connected; bonding")
    # Setup without --mine: the bonds, their activation (two dynasties) and the first
    # finalized checkpoint, mined at a pace the block gossip budget allows.
    bond_args = []
    for key in voting_keys:
        bond_args += ["--voting-key", key]
    bonded = load(validators[0], "--mode", "bond", *bond_args, "--stake", str(STAKE))
    log(f"consensus: bonds at height {bonded['height']}")
    time.sleep(GOSSIP_BLOCK_SPACING * 15)

    def all_finalized_past(height):
        return lambda: all(n.info()["finalized_height"] > height for n in validators)
    if not check(mine_paced(validators[0], 80, address, all_finalized_past(bonded["height"]), validators[1:]),
                 f"consensus: finality starts ({finality(validators[0])})"):
        return
    status = finality(validators[0])
    check(status["validator_count"] == 4 and int(status["current_dynasty_stake"]) >= 4 * STAKE,
          f"consensus: four validators hold the stake: {status}")

    # Every node now mines too: all four restarted at once, each bootstrapping from the others
    # (their peer ids stay: the node keys are in the data dirs).
    for n in validators:
        n.stop()
    for n in validators:
        # Regtest's proof of work is trivial: without a pause four miners fork at every block.
        n.launch(*n.args, "--mine", "--mine-to", address, "--mine-interval", str(MINE_INTERVAL_MS),
                 bootstrap=[o for o in validators if o is not n])
    for n in validators:
        n.wait_ready()
    started = time.monotonic()
    samples = worst_gap = 0
    while time.monotonic() - started < CONSENSUS_SECONDS:
        time.sleep(1)
        infos = [n.info() for n in validators]
        samples += 1
        for n, info in zip(validators, infos):
            tip_epoch = info["height"] // EPOCH_LENGTH
            finalized_epoch = info["finalized_height"] // EPOCH_LENGTH
            worst_gap = max(worst_gap, tip_epoch - finalized_epoch)
            check(tip_epoch - finalized_epoch <= 2,
                  f"consensus: {n.name} at height {info['height']} finalized {info['finalized_height']} "
                  f"(more than 2 epochs behind) after {time.monotonic() - started:.0f} s")
        # One history: the lowest finalized checkpoint is on every node's chain.
        lowest = min(infos, key=lambda i: i["finalized_height"])
        for n, info in zip(validators, infos):
            at = n.hash_at(lowest["finalized_height"])
            check(at == lowest["finalized_hash"],
                  f"consensus: {n.name} (tip {info['height']}, finalized {info['finalized_height']} "
                  f"{info['finalized_hash'][:16]}) has {at[:16]} at height {lowest['finalized_height']} where "
                  f"another node finalized {lowest['finalized_hash'][:16]}")
        if len(failures) > 20:
            break
    heights = [n.height() for n in validators]
    log(f"consensus: {samples} samples, heights {heights}, worst finalized gap {worst_gap} epochs")
    for n in validators:
        mined = len(re.findall(r'miner msg="mined block" height=', n.log_text()))
        voted = len(re.findall(r'validator msg="voted" epoch=', n.log_text()))
        check(mined > 0 and voted > 0, f"consensus: {n.name} mined {mined} blocks and voted {voted} times")
        stats = n.stats()
        check(not n.rpc("net_get_bans") and stats["bans"] == 0,
              f"consensus: {n.name} banned nobody: {n.rpc('net_get_bans')} {stats['misbehavior']}")

if __name__ == "__main__":
    sys.exit(main())
