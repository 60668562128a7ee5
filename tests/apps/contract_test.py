#!/usr/bin/env python3
"""End to end: `cairn contract` against regtest cairnd nodes (issue [H]).

Usage: contract_test.py CAIRN CAIRND SOURCE_DIR

Builds examples/contracts/token with `cairn contract build` (twice, from different
directories: identical bytes), funds a wallet by mining, deploys the token (immutable),
transfers, queries balance_of, lists events decoded with the ABI, sends an aborting call
(receipt aborted, value and unused gas refunded), has an upgrade of the immutable contract
refused (by --gas auto before sending, by the chain when sent), verifies the source (match)
and another source (mismatch). Determinism: a second cairnd syncs from the first and gives
identical contract_get, contract_query, receipts and state roots; so does the first after a
restart. Last, `cairn contract test` runs a small script in-process.

Exits 77 (skipped) when a binary, clang++-14 or wasm-ld-14 is missing. Every wait is bounded.
"""
import filecmp
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

from cairnd_harness import Cairnd, check, failures, log, wait_until

if len(sys.argv) != 4:
    sys.exit(__doc__)
cairn, cairnd, source_dir = (os.path.abspath(a) for a in sys.argv[1:4])
for binary in (cairn, cairnd):
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"contract_test: {binary} is missing; skipping", file=sys.stderr)
        sys.exit(77)
for tool in ("clang++-14", "wasm-ld-14"):
    if shutil.which(tool) is None:
        print(f"contract_test: {tool} is not installed (Debian packages clang-14 and lld-14); skipping",
              file=sys.stderr)
        sys.exit(77)

COMMAND_TIMEOUT = 180
COIN = 100_000_000
TOKEN_SOURCE = os.path.join(source_dir, "examples", "contracts", "token", "token.cpp")
ESCROW_SOURCE = os.path.join(source_dir, "examples", "contracts", "escrow", "escrow.cpp")

root = tempfile.mkdtemp(prefix="cairn-contract-test-")
runtime_dir = os.path.join(root, "runtime")
os.makedirs(runtime_dir, mode=0o700)
env = dict(os.environ, XDG_RUNTIME_DIR=runtime_dir)
wallets = os.path.join(root, "wallets")
password = os.path.join(root, "password")
with open(password, "w") as f:
    f.write("correct horse battery staple\n")
os.chmod(password, 0o600)
node = Cairnd(cairnd, os.path.join(root, "node1"), name="node1")
node2 = Cairnd(cairnd, os.path.join(root, "node2"), name="node2")


def run(*args, cwd=None, target=None):
    target = target or node
    return subprocess.run(cairn_command(target) + list(args), capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT, env=env, cwd=cwd, start_new_session=True)


def cairn_command(target):
    """cairn on regtest with the wallets' data dir, talking to `target` as its cookie's user
    (the cookie lives in the node's own data dir: passed as --rpc-user and a password file)."""
    user, secret = open(target.cookie).read().strip().split(":", 1)
    secret_file = os.path.join(root, f"{target.name}.rpcpass")
    with open(secret_file, "w") as f:
        f.write(secret + "\n")
    os.chmod(secret_file, 0o600)
    return [cairn, "--network", "regtest", "--datadir", wallets, "--rpc-connect", f"127.0.0.1:{target.rpc_port}",
            "--rpc-user", user, "--rpc-password-file", secret_file]




def run_ok(*args, **kwargs):
    done = run(*args, **kwargs)
    if not check(done.returncode == 0, f"cairn {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}"):
        raise RuntimeError(f"cairn {' '.join(args)} failed: {done.stderr}")
    return done


def run_json(*args, **kwargs):
    return json.loads(run_ok("--json", *args, **kwargs).stdout)


def signer(*args):
    return ["--wallet", "alice", "--password-file", password, "--yes", "--fee-rate", "1000", *args]


def receipt(txid, target=None):
    return (target or node).rpc("contract_get_receipt", txid=txid)


class LineReader:
    """Whole lines of a process's stdout as they arrive, each wait bounded. It reads the pipe
    itself: select() cannot see lines a buffered file object has already taken from the pipe."""

    def __init__(self, process):
        self.fd = process.stdout.fileno()
        self.pending = b""
        self.closed = False

    def read(self, count, timeout):
        """Up to `count` lines, waiting at most `timeout` seconds."""
        lines, deadline = [], time.monotonic() + timeout
        while True:
            while len(lines) < count and b"\n" in self.pending:
                line, self.pending = self.pending.split(b"\n", 1)
                lines.append(line.decode() + "\n")
            if len(lines) == count or self.closed:
                return lines
            ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return lines
            data = os.read(self.fd, 65536)
            self.closed = not data
            self.pending += data


def scenario_build():
    log("build the token twice, from different directories: identical bytes")
    out1, out2 = os.path.join(root, "build1"), os.path.join(root, "build2")
    copy_dir = os.path.join(root, "elsewhere", "deeper")
    os.makedirs(copy_dir)
    shutil.copy(TOKEN_SOURCE, copy_dir)
    first = run_json("contract", "build", TOKEN_SOURCE, "-o", out1, cwd=source_dir)
    second = run_json("contract", "build", os.path.join(copy_dir, "token.cpp"), "-o", out2, cwd=root)
    check(first["name"] == "token" and first["size"] > 1000, f"build reports the module: {first}")
    check(first["code_hash"] == second["code_hash"], "the same source builds to the same code hash")
    check(filecmp.cmp(first["wasm"], second["wasm"], shallow=False), "the two modules are identical bytes")
    check(filecmp.cmp(first["abi"], second["abi"], shallow=False), "the two ABIs are identical")
    check(any(m.startswith("transfer(") for m in first["methods"]), f"build lists the methods: {first['methods']}")
    text = run_ok("contract", "build", TOKEN_SOURCE, "-o", out2).stdout
    check(first["code_hash"] in text and "balance_of" in text, f"the text output: {text}")
    missing = run("contract", "build", os.path.join(root, "nope.cpp"))
    check(missing.returncode != 0 and "no source file" in missing.stderr, f"a missing source: {missing.stderr}")
    return first


def fund_wallet():
    log("create wallets alice and bob, mine to alice")
    for name in ("alice", "bob"):
        run_ok("wallet", "--wallet", name, "--password-file", password, "create", "--kdf", "interactive",
               "--phrase-out", os.path.join(root, f"{name}.phrase"))
    alice = run_json("wallet", "--wallet", "alice", "--password-file", password, "address")["address"]
    bob = run_json("wallet", "--wallet", "bob", "--password-file", password, "address")["address"]
    node.generate(3, alice)
    node.generate(11, bob)  # regtest coinbase maturity is 10 blocks
    return alice, bob


def scenario_token(built, alice, bob):
    wasm, abi = built["wasm"], built["abi"]
    log("deploy the token (immutable, gas auto)")
    deployed = run_json("contract", "deploy", wasm, "--abi", abi, "--args", '["Test token", "TST", 2, 1000000]',
                        "--value", "1", *signer())
    contract = deployed["address"]
    check(contract.startswith("rcairn1z"), f"the contract address is of kind contract: {contract}")
    node.generate(1, bob)
    r = receipt(deployed["txid"])
    check(r["status"] == "success", f"the deploy succeeded: {r}")
    check(r["contract"] == deployed["contract"], "the id printed before mining is the receipt's")
    info = node.rpc("contract_get", contract=contract)
    check(info["admin"] is None, f"deployed immutable by default: {info}")
    check(int(info["balance"]) == COIN, f"the value is the contract's balance: {info}")

    log("transfer 250 to bob with --wait")
    waiting = subprocess.Popen(
        cairn_command(node) + ["--json", "contract", "call", contract, "transfer", "--abi", abi,
                               "--args", json.dumps([bob, 250]), "--wait", "--wait-timeout", "60", *signer()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    wait_until(lambda: node.rpc("mempool_get_info")["count"] > 0, 30)
    node.generate(1, bob)
    out, err = waiting.communicate(timeout=90)
    check(waiting.returncode == 0, f"call --wait exited {waiting.returncode}: {err}")
    called = json.loads(out)
    check(called["receipt"]["status"] == "success" and called["receipt"].get("result") is True,
          f"the receipt is decoded (transfer returns true): {called.get('receipt')}")
    events = called["receipt"]["events"]
    check(len(events) == 1 and events[0]["decoded"]["name"] == "Transfer" and
          events[0]["decoded"]["fields"]["amount"] == 250 and events[0]["decoded"]["fields"]["to"] == bob,
          f"the Transfer event is decoded: {events}")

    log("query balances")
    q = run_json("contract", "query", contract, "balance_of", "--abi", abi, "--args", json.dumps([bob]))
    check(q["result"] == 250, f"balance_of bob: {q}")
    text = run_ok("contract", "query", contract, "balance_of", "--abi", abi, "--args",
                  json.dumps({"who": called["caller"]})).stdout.strip()
    check(text == str(1000000 - 250), f"balance_of alice (args by name, text output): {text}")
    name = run_ok("contract", "query", contract, "name", "--abi", abi).stdout.strip()
    check(name == '"Test token"', f"name(): {name}")

    log("events, decoded, and filtered by event name")
    listed = run_json("contract", "events", contract, "--abi", abi)
    names = [e.get("decoded", {}).get("name") for e in listed]
    check(names == ["Minted", "Transfer"], f"the events in order: {names}")
    transfers = run_json("contract", "events", contract, "--abi", abi, "--topic", "Transfer")
    check(len(transfers) == 1 and transfers[0]["decoded"]["name"] == "Transfer", f"--topic Transfer: {transfers}")

    log("events --follow: the old events, then a new one as its block arrives")
    follow = subprocess.Popen(cairn_command(node) + ["--json", "contract", "events", contract, "--abi", abi,
                                                     "--follow"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                              start_new_session=True)
    try:
        follow_output = LineReader(follow)
        lines = follow_output.read(2, 30)
        check([json.loads(x)["decoded"]["name"] for x in lines] == ["Minted", "Transfer"],
              f"--follow starts with the past events: {lines}")
        approved = run_json("contract", "call", contract, "approve", "--abi", abi, "--args", json.dumps([bob, 5]),
                            *signer())
        # Longer than the 2 s poll: the follower asks above the tip at least once before the block.
        time.sleep(2.5)
        node.generate(1, bob)
        lines = follow_output.read(1, 30)
        event = json.loads(lines[0]) if lines else {}
        stopped = f" (it exited {follow.returncode}: {follow.stderr.read()})" if follow.poll() is not None else ""
        check(event.get("decoded", {}).get("name") == "Approval" and event.get("txid") == approved["txid"],
              f"--follow prints the new event: {lines}{stopped}")
    finally:
        follow.kill()
        follow.wait(timeout=30)

    log("an aborting call: value and unused gas refunded")
    auto = run("contract", "call", contract, "transfer", "--abi", abi, "--args", json.dumps([bob, 10 ** 12]),
               *signer())
    check(auto.returncode != 0 and "aborted" in auto.stderr and "nothing was sent" in auto.stderr,
          f"--gas auto refuses a call that would abort: {auto.stderr}")
    args_hex = run_json("contract", "query", contract, "balance_of", "--abi", abi, "--args", json.dumps([bob]))
    check(args_hex["status"] == "success", "query json")
    # `transfer` is not payable: sent with value (raw input, no ABI) it aborts.
    to_bob = "01" + "00" * 32  # any 33-byte account: the call aborts before reading it
    raw_args = to_bob + (250).to_bytes(8, "little").hex()
    aborted = run_json("contract", "call", contract, "transfer", "--args-hex", raw_args, "--value", "0.5",
                       "--gas", "200000", *signer())
    node.generate(1, bob)
    r = receipt(aborted["txid"])
    check(r["status"] == "aborted" and "payable" in r["message"], f"the receipt says aborted: {r}")
    refund = r["created_outputs"][0] if r["created_outputs"] else {}
    check(int(refund.get("value", 0)) >= COIN // 2 and refund.get("address") == aborted["caller"],
          f"the value and unused gas come back to the caller: {r['created_outputs']}")
    check(int(node.rpc("contract_get", contract=contract)["balance"]) == COIN, "the contract kept no value")

    log("upgrade of an immutable contract: refused")
    refused = run("contract", "upgrade", contract, wasm, *signer())
    check(refused.returncode != 0 and "immutable" in refused.stderr, f"--gas auto refuses: {refused.stderr}")
    sent = run_json("contract", "upgrade", contract, wasm, "--gas", "2000000", *signer())
    node.generate(1, bob)
    check(receipt(sent["txid"])["status"] == "immutable", "the chain refuses it: status immutable")

    log("a deploy with --admin can be upgraded by its admin")
    admin = called["caller"]
    upgradable = run_json("contract", "deploy", wasm, "--abi", abi, "--args", '["Second", "SEC", 0, 5]',
                          "--value", "1", "--admin", admin, "--salt", "11" * 32, *signer())
    node.generate(1, bob)
    check(receipt(upgradable["txid"])["status"] == "success", "the upgradable deploy succeeded")
    check(node.rpc("contract_get", contract=upgradable["address"])["admin"] == admin, "its admin is recorded")
    upgraded = run_json("contract", "upgrade", upgradable["address"], wasm, *signer())
    node.generate(1, bob)
    check(receipt(upgraded["txid"])["status"] == "success", "the admin's upgrade succeeds (gas auto)")

    log("verify")
    v = run_json("contract", "verify", contract, TOKEN_SOURCE)
    check(v["match"] is True and v["code_hash"] == built["code_hash"], f"verify matches: {v}")
    bad = run("contract", "verify", contract, ESCROW_SOURCE)
    check(bad.returncode == 1 and "MISMATCH" in bad.stdout, f"another source does not match: {bad.stdout}")
    return contract, [deployed["txid"], called["txid"], aborted["txid"], sent["txid"], upgraded["txid"]], abi


def snapshot(target, contract, txids, bob_account_hex_args):
    info = target.rpc("chain_get_info")
    tip = target.rpc("chain_get_block", block=info["best_hash"]) if "best_hash" in info else None
    return {
        "height": info["height"],
        "state_root": (tip or {}).get("state_root", (tip or {}).get("header", {}).get("state_root")),
        "contract": target.rpc("contract_get", contract=contract),
        # (contract_query through the CLI: the harness's rpc() has a parameter named `method`)
        "query": run_json("contract", "query", contract, "balance_of", "--args-hex", bob_account_hex_args,
                          target=target),
        "receipts": [target.rpc("contract_get_receipt", txid=t) for t in txids],
    }


def scenario_determinism(contract, txids, bob):
    log("a second node syncs and computes the same contract state")
    account = json.loads(run_ok("--json", "contract", "query", contract, "balance_of", "--abi",
                                os.path.join(root, "build1", "token.abi.json"), "--args",
                                json.dumps([bob])).stdout)
    check(account["result"] == 250, "bob still holds 250")
    # The input of balance_of(bob): the account encoding, from the address (kind 0 = key).
    args_hex = None
    for e in node.rpc("contract_get_events", contract=contract)["events"]:
        if len(e["topics"]) == 3:
            args_hex = e["data"][66:132]  # data = from ‖ to ‖ amount (33, 33, 8 bytes): `to`
    check(args_hex is not None, "a Transfer event gives bob's account bytes")
    node2.start(bootstrap=[node])
    synced = wait_until(lambda: node2.height() == node.height(), 60, 0.5)
    check(synced, f"node2 reaches node1's height {node.height()}: {node2.height()}")
    first = snapshot(node, contract, txids, args_hex)
    second = snapshot(node2, contract, txids, args_hex)
    log(f"  height {first['height']}, state root {first['state_root']}, balance {first['contract']['balance']}, "
        f"query {first['query'].get('return_data')}, receipts {[r['status'] for r in first['receipts']]}")
    check(first["state_root"] is not None, f"the tip's state root is known: {first}")
    check(first["query"].get("return_data") == (250).to_bytes(8, "little").hex(), f"balance_of bob raw: {first}")
    check(first == second, f"node2 agrees with node1: {first} vs {second}")
    log("restart node1: the same state")
    node.stop()
    node.start()
    again = snapshot(node, contract, txids, args_hex)
    check(again == first, f"node1 after a restart agrees: {again} vs {first}")


def scenario_local_test(built):
    log("cairn contract test: a script in-process")
    script = os.path.join(root, "script.json")
    with open(script, "w") as f:
        json.dump({"steps": [
            {"deploy": {"from": "alice", "args": ["Local", "LOC", 0, 100], "value": 100000000,
                        "expect": {"status": "success", "events": 1}}},
            {"call": {"from": "alice", "method": "transfer", "args": ["@bob", 10],
                      "expect": {"result": True, "events": 1}}},
            {"next_block": {}},
            {"query": {"method": "balance_of", "args": ["@bob"], "expect": {"result": 10}}},
            {"call": {"from": "bob", "method": "transfer", "args": ["@alice", 11],
                      "expect": {"status": "aborted", "message": "insufficient balance"}}},
            {"query": {"method": "balance_of", "args": ["@alice"], "expect": {"result": 90}}},
            {"upgrade": {"from": "alice", "expect": {"status": "immutable"}}},
        ]}, f)
    doc = run_json("contract", "test", built["wasm"], "--abi", built["abi"], "--script", script)
    check(doc["failures"] == 0, f"every step passes: {doc}")
    check(doc["steps"][1]["gas_used"] > 10000, f"gas is reported: {doc['steps'][1]}")
    traced = run_ok("contract", "test", built["wasm"], "--abi", built["abi"], "--script", script, "--trace").stdout
    check("host storage_write" in traced and "gas" in traced, f"--trace shows host calls: {traced[:400]}")
    # An expectation that does not hold fails the run.
    with open(script, "w") as f:
        json.dump({"steps": [{"deploy": {"args": ["Local", "LOC", 0, 100], "value": 100000000}},
                             {"query": {"method": "total_supply", "expect": {"result": 99}}}]}, f)
    failed = run("contract", "test", built["wasm"], "--abi", built["abi"], "--script", script)
    check(failed.returncode == 1 and "FAILED" in failed.stdout, f"a wrong expectation fails: {failed.stdout}")


def main():
    try:
        node.start()
        built = scenario_build()
        alice, bob = fund_wallet()
        contract, txids, _ = scenario_token(built, alice, bob)
        scenario_determinism(contract, txids, bob)
        scenario_local_test(built)
    except Exception as e:  # noqa: BLE001 - reported as a failure with the node's log
        check(False, f"{type(e).__name__}: {e}")
        log(node.tail())
    finally:
        node.stop()
        node2.stop()
    if failures:
        log(f"{len(failures)} failures:")
        for f in failures:
            log(f"  {f}")
        log(f"left {root} for inspection")
        sys.exit(1)
    shutil.rmtree(root, ignore_errors=True)
    log("contract_test: all passed")


main()
