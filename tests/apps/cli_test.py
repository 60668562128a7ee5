#!/usr/bin/env python3
"""End-to-end checks of the cairn and cairnd binaries as a user runs them.

Usage: cli_test.py CAIRN CAIRND
"""
import json
import os
import pty
import select
import stat
import subprocess
import sys
import tempfile
import time

from cairnd_harness import check, failures, free_port

cairn, cairnd = sys.argv[1], sys.argv[2]


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


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
    # A configured weak-subjectivity checkpoint the stored chain contradicts stops the node.
    bad = run(cairnd, "--network", "regtest", "--datadir", datadir, "--check-chain", "--checkpoint", "0:" + "ab" * 32)
    check(bad.returncode == 1 and "not the checkpoint" in bad.stderr, f"a conflicting --checkpoint: {bad.stderr!r}")
    ahead = run(cairnd, "--network", "regtest", "--datadir", datadir, "--check-chain", "--checkpoint", "5:" + "ab" * 32)
    check(ahead.returncode == 0, f"a checkpoint above the tip is kept for later: {ahead.stderr!r}")
help_text = run(cairnd, "--help").stdout
for flag in ("--network", "--datadir", "--p2p-listen", "--bootstrap", "--rpc-listen", "--mine",
             "--mine-to", "--prune", "--check-chain", "--validator-key", "--config"):
    check(flag in help_text, f"cairnd --help documents {flag}")


def run_on_terminal(args, answers, timeout=60):
    """Runs args on a new pseudo-terminal, typing each answer after each password prompt.
    Returns (exit status, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(args[0], list(args))
    transcript, answered, deadline = b"", 0, time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            data = os.read(fd, 1024)
        except OSError:  # EIO: the child has exited
            break
        if not data:
            break
        transcript += data
        while answered < min(transcript.count(b"assword"), len(answers)):
            os.write(fd, answers[answered].encode() + b"\n")
            answered += 1
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), transcript.decode(errors="replace")


def write_private(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


# Validator voting-key keystores: create, show without a password, decrypt; errors name the
# flag or the file; passwords never come from the command line.
with tempfile.TemporaryDirectory() as keydir:
    password = os.path.join(keydir, "password")
    write_private(password, "correct horse battery staple\n")
    keyfile = os.path.join(keydir, "voting.key")
    new = run(cairn, "--json", "key", "validator-new", "--out", keyfile, "--password-file", password)
    check(new.returncode == 0, f"key validator-new exit status {new.returncode}: {new.stderr}")
    created = json.loads(new.stdout) if new.returncode == 0 else {}
    public_key = created.get("public_key", "")
    check(len(public_key) == 64 and created.get("kind") == "validator_voting_key",
          f"validator-new prints the kind and a 32-byte public key: {new.stdout!r}")
    check(stat.S_IMODE(os.stat(keyfile).st_mode) == 0o600, "the keystore is written with mode 0600")
    check(sorted(os.listdir(keydir)) == ["password", "voting.key"], "no temporary file is left behind")
    original = open(keyfile, "rb").read()

    info = run(cairn, "key", "info", keyfile)
    check(info.returncode == 0 and public_key in info.stdout and "validator_voting_key" in info.stdout,
          f"key info shows kind and public key without a password: {info.stdout!r} {info.stderr!r}")
    info = run(cairn, "key", "info", keyfile, "--json")
    check(info.returncode == 0 and json.loads(info.stdout)["public_key"] == public_key,
          "key info --json after the subcommand")
    ok = run(cairn, "key", "validator-check", keyfile, "--password-file", password)
    check(ok.returncode == 0 and public_key in ok.stdout, f"validator-check opens the key: {ok.stderr!r}")

    wrong = os.path.join(keydir, "wrong")
    write_private(wrong, "not the password\n")
    bad = run(cairn, "key", "validator-check", keyfile, "--password-file", wrong)
    check(bad.returncode == 1 and "wrong password or damaged file" in bad.stderr and keyfile in bad.stderr,
          f"a wrong password is a clear error naming the file: {bad.stderr!r}")
    bad = run(cairn, "key", "validator-new", "--out", keyfile, "--password-file", password)
    check(bad.returncode == 1 and "--out" in bad.stderr and "already exists" in bad.stderr,
          f"validator-new refuses to replace a key: {bad.stderr!r}")
    check(open(keyfile, "rb").read() == original, "the refused validator-new left the key untouched")
    bad = run(cairn, "key", "validator-check", keyfile, "--password-file", os.path.join(keydir, "absent"))
    check(bad.returncode == 1 and "--password-file" in bad.stderr, f"a missing password file is named: {bad.stderr!r}")
    no_tty = subprocess.run([cairn, "key", "validator-check", keyfile], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True, timeout=60)
    check(no_tty.returncode == 1 and "--password-file" in no_tty.stderr,
          f"without a terminal the password file is asked for: {no_tty.stderr!r}")

    tampered = bytearray(original)
    tampered[-1] ^= 1
    with open(keyfile, "wb") as f:
        f.write(tampered)
    bad = run(cairn, "key", "validator-check", keyfile, "--password-file", password)
    check(bad.returncode == 1 and "wrong password or damaged file" in bad.stderr, "a damaged keystore is refused")
    os.chmod(keyfile, 0o644)
    bad = run(cairn, "key", "info", keyfile)
    check(bad.returncode == 1 and "too open" in bad.stderr and "chmod 600" in bad.stderr,
          f"a keystore others can read is refused: {bad.stderr!r}")
    bad = run(cairn, "key", "info", password)
    check(bad.returncode == 1 and "not a Cairn keystore" in bad.stderr, f"a non-keystore is named: {bad.stderr!r}")

    # On a terminal: the password is asked twice with echo off.
    ttyfile = os.path.join(keydir, "tty.key")
    status, shown = run_on_terminal([cairn, "key", "validator-new", "--out", ttyfile], ["tty-secret-42"] * 2)
    check(status == 0 and "public key:" in shown, f"validator-new on a terminal: {status} {shown!r}")
    check("tty-secret-42" not in shown, "the password is not echoed")
    write_private(password, "tty-secret-42\n")
    ok = run(cairn, "key", "validator-check", ttyfile, "--password-file", password)
    check(ok.returncode == 0, f"the key made on a terminal opens with its password: {ok.stderr!r}")
    status, shown = run_on_terminal([cairn, "key", "validator-new", "--out", os.path.join(keydir, "x.key")],
                                    ["one", "two"])
    check(status == 1 and "differ" in shown, f"mismatched passwords are refused: {shown!r}")
    check(not os.path.exists(os.path.join(keydir, "x.key")), "nothing is written after a mismatch")

# `key derive`: a recovery phrase's public key and address at a hardened path. The expected
# keys were computed independently (Python hashlib PBKDF2/HMAC + pyca/cryptography Ed25519).
with tempfile.TemporaryDirectory() as keydir:
    words = "abandon " * 11 + "about"
    phrase = os.path.join(keydir, "phrase")
    write_private(phrase, "\n  ABANDON Abandon\tabandon\n" + "abandon " * 8 + "about\r\n")
    passphrase = os.path.join(keydir, "passphrase")
    write_private(passphrase, "TREZOR\n")
    derived = run(cairn, "--network", "regtest", "key", "derive", "--phrase-file", phrase,
                  "--path", "m/44'/1'/0'/0'/0'")
    check(derived.returncode == 0 and
          "public key: 437541f4d29af2d2f1c2aa568ab16842b06b1820fc654494468d45cbdf5e1b56" in derived.stdout and
          "address: rcairn1" in derived.stdout,
          f"key derive from a phrase file (line breaks and capitals ignored): {derived.stdout!r} {derived.stderr!r}")
    derived = run(cairn, "--network", "testnet", "--json", "key", "derive", "--phrase-file", phrase,
                  "--passphrase-file", passphrase, "--path", "m/0h")
    doc = json.loads(derived.stdout) if derived.returncode == 0 else {}
    check(doc.get("path") == "m/0'" and
          doc.get("public_key") == "5b8140610643c4502492d206de40d37f191bf66931d81e2b3af0491661a24722" and
          doc.get("address", "").startswith("tcairn1"),
          f"key derive --json with a passphrase: {derived.stdout!r} {derived.stderr!r}")
    piped = subprocess.run([cairn, "--network", "testnet", "--json", "key", "derive", "--phrase-file", "-",
                            "--passphrase-file", "-", "--path", "m/0'"], input=words + "\nTREZOR\n",
                           capture_output=True, text=True, timeout=60)
    check(piped.returncode == 0 and json.loads(piped.stdout) == doc,
          f"phrase and passphrase from stdin, one line each: {piped.stdout!r} {piped.stderr!r}")
    bad = subprocess.run([cairn, "key", "derive", "--phrase-file", "-", "--path", "m/0'"],
                         input=words.replace("abandon", "abandn", 1), capture_output=True, text=True, timeout=60)
    check(bad.returncode == 1 and "word 1 'abandn'" in bad.stderr and "did you mean 'abandon'?" in bad.stderr,
          f"a misspelled word gets a suggestion: {bad.stderr!r}")
    bad = run(cairn, "key", "derive", "--phrase-file", phrase, "--path", "m/44'/1'/0'/0/0'")
    check(bad.returncode == 1 and "--path" in bad.stderr and "not hardened" in bad.stderr,
          f"an unhardened path is refused with the reason: {bad.stderr!r}")
    bad = run(cairn, "key", "derive", "--phrase", words, "--path", "m/0'")
    check(bad.returncode != 0 and words not in bad.stdout, "there is no way to give the phrase on the command line")
    no_tty = subprocess.run([cairn, "key", "derive", "--path", "m/0'"], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True, timeout=60)
    check(no_tty.returncode == 1 and "--phrase-file" in no_tty.stderr,
          f"without a terminal the phrase file is asked for: {no_tty.stderr!r}")

# cairnd loads a voting keystore with --validator-key and its password file, keeps the
# slashing-protection record in the data dir, and says it is not a validator until bonded.
with tempfile.TemporaryDirectory() as nodedir:
    password = os.path.join(nodedir, "password")
    write_private(password, "validator password\n")
    keyfile = os.path.join(nodedir, "voting.key")
    made = run(cairn, "key", "validator-new", "--out", keyfile, "--password-file", password)
    check(made.returncode == 0, f"key validator-new for cairnd: {made.stderr}")
    log_path = os.path.join(nodedir, "cairnd.log")
    with open(log_path, "w") as log:
        node = subprocess.Popen([cairnd, "--network", "regtest", "--datadir", nodedir, "--mine", "--no-p2p",
                                 "--validator-key", keyfile, "--validator-password-file", password,
                                 "--rpc-listen", f"127.0.0.1:{free_port()}"],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and node.poll() is None:
                if 'validator msg="not voting"' in open(log_path).read():
                    break
                time.sleep(0.1)
        finally:
            node.send_signal(15)
            try:
                node.wait(timeout=60)
            except subprocess.TimeoutExpired:
                node.kill()
                node.wait()
    text = open(log_path).read()
    check('validator msg="validator key loaded" key=' in text and 'validator msg="not voting"' in text,
          f"cairnd runs its validator duty with the loaded key: {text[-1500:]!r}")
    check(node.returncode == 0, f"cairnd with a validator key stops cleanly: {node.returncode}")
    wrong = os.path.join(nodedir, "wrong")
    write_private(wrong, "not the password\n")
    bad = run(cairnd, "--network", "regtest", "--datadir", nodedir, "--validator-key", keyfile,
              "--validator-password-file", wrong)
    check(bad.returncode == 1 and "--validator-key" in bad.stderr and "wrong password" in bad.stderr,
          f"a wrong validator password is refused with the reason: {bad.stderr!r}")

# The RPC client against a stand-in JSON-RPC server (cairnd's own server is tested in
# tests/rpc): the cookie from --datadir as HTTP Basic, parameters by position and by name,
# the text and --json forms, JSON-RPC errors as `error CODE: message`, 401, and a node that
# is not running.
import base64
import http.server
import threading

INFO = {"version": "0.1.0", "user_agent": "cairn/0.1.0", "network": "regtest", "uptime_seconds": 5,
        "height": 120, "best_hash": "ab" * 32, "finalized_height": 100, "peers": 3,
        "sync": {"state": "syncing", "height": 120, "target_height": 240, "progress": 500000}}


class FakeNode(http.server.BaseHTTPRequestHandler):
    expected_auth = None
    requests = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeNode.requests.append(body)
        if self.headers.get("Authorization") != FakeNode.expected_auth:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        method, params = body["method"], body.get("params")
        if method == "node_get_info":
            answer = {"result": INFO}
        elif method == "echo_params":
            answer = {"result": params}
        else:
            answer = {"error": {"code": -32601, "message": f"no method {method}"}}
        data = json.dumps({"jsonrpc": "2.0", "id": body["id"], **answer}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


with tempfile.TemporaryDirectory() as clientdir:
    server = http.server.HTTPServer(("127.0.0.1", 0), FakeNode)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    connect = f"127.0.0.1:{server.server_address[1]}"
    os.makedirs(os.path.join(clientdir, "regtest"))
    secret = "0f" * 32
    write_private(os.path.join(clientdir, "regtest", "rpc.cookie"), f"__cookie__:{secret}\n")
    FakeNode.expected_auth = "Basic " + base64.b64encode(f"__cookie__:{secret}".encode()).decode()
    base = (cairn, "--network", "regtest", "--datadir", clientdir, "--rpc-connect", connect)

    status = run(*base, "status")
    check(status.returncode == 0, f"cairn status exit {status.returncode}: {status.stderr}")
    check("ab" * 32 in status.stdout and "120/240" in status.stdout and "50.0%" in status.stdout
          and "[" + "#" * 15 + "." * 15 + "]" in status.stdout, f"cairn status text: {status.stdout!r}")
    check(FakeNode.requests[-1]["method"] == "node_get_info" and FakeNode.requests[-1]["jsonrpc"] == "2.0",
          "cairn status calls node_get_info")
    status = run(*base, "--json", "status")
    doc = json.loads(status.stdout) if status.returncode == 0 else {}
    for key in ("height", "best_hash", "finalized_height", "peers", "sync"):
        check(key in doc, f"cairn status --json has {key}: {status.stdout!r}")

    echoed = run(*base, "--json", "rpc", "echo_params", "12", "true", "abc", '{"a":[1]}', '"7"')
    check(echoed.returncode == 0 and json.loads(echoed.stdout) == [12, True, "abc", {"a": [1]}, "7"],
          f"positional params are JSON when they parse, else strings: {echoed.stdout!r} {echoed.stderr!r}")
    echoed = run(*base, "--json", "rpc", "echo_params", "block=5", "transactions=full")
    check(echoed.returncode == 0 and json.loads(echoed.stdout) == {"block": 5, "transactions": "full"},
          f"NAME=VALUE params go by name: {echoed.stdout!r}")
    mixed = run(*base, "rpc", "echo_params", "5", "transactions=full")
    check(mixed.returncode == 1 and "NAME=VALUE" in mixed.stderr, f"mixed params are refused: {mixed.stderr!r}")
    block = run(*base, "block", "7")
    check(FakeNode.requests[-1]["params"] == {"block": 7, "transactions": "ids"},
          f"cairn block HEIGHT asks by height: {FakeNode.requests[-1]}")
    check(block.returncode == 1 and "error -32601: no method chain_get_block" in block.stderr,
          f"JSON-RPC errors print as error CODE: message: {block.stderr!r}")
    run(*base, "block", "cd" * 32)
    check(FakeNode.requests[-1]["params"]["block"] == "cd" * 32, "cairn block HASH asks by hash")

    # Another user's password from a file (also through --config), and a wrong one.
    password = os.path.join(clientdir, "password")
    write_private(password, "hunter2\n")
    FakeNode.expected_auth = "Basic " + base64.b64encode(b"alice:hunter2").decode()
    user = run(*base, "--rpc-user", "alice", "--rpc-password-file", password, "status")
    check(user.returncode == 0, f"--rpc-user with --rpc-password-file: {user.stderr!r}")
    config = os.path.join(clientdir, "cairn.toml")
    with open(config, "w") as f:
        f.write(f'rpc-user = "alice"\nrpc-password-file = "{password}"\n')
    user = run(*base, "--config", config, "status")
    check(user.returncode == 0, f"rpc-password-file from --config: {user.stderr!r}")
    denied = run(*base, "status")
    check(denied.returncode == 1 and "401" in denied.stderr, f"refused credentials say 401: {denied.stderr!r}")
    server.shutdown()
    server.server_close()
    gone = run(*base, "status")
    check(gone.returncode == 1 and "is cairnd running?" in gone.stderr, f"no node: {gone.stderr!r}")

# The real thing: cairnd serving JSON-RPC on a free loopback port, and cairn talking to it
# with the cookie from the data dir: status (text and --json), miner_generate, blocks by
# height and hash, a coinbase by txid, the mempool; SIGTERM removes the cookie.
def stop_node(process):
    """SIGTERM, then a bounded wait (SIGKILL if it hangs); the exit status."""
    if process.poll() is None:
        process.send_signal(15)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


demo = run(cairn, "--network", "regtest", "--json", "demo")
address = json.loads(demo.stdout)["alice"]["address"] if demo.returncode == 0 else ""
with tempfile.TemporaryDirectory() as e2edir:
    port = free_port()
    cookie = os.path.join(e2edir, "regtest", "rpc.cookie")
    base = (cairn, "--network", "regtest", "--datadir", e2edir, "--rpc-connect", f"127.0.0.1:{port}")
    log_path = os.path.join(e2edir, "cairnd.log")
    with open(log_path, "w") as log:
        node = subprocess.Popen([cairnd, "--network", "regtest", "--datadir", e2edir, "--no-p2p",
                                 "--rpc-listen", f"127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline, ready = time.monotonic() + 30, None
            while time.monotonic() < deadline and node.poll() is None:
                if os.path.exists(cookie):
                    ready = run(*base, "--json", "status")
                    if ready.returncode == 0:
                        break
                time.sleep(0.1)
            check(ready is not None and ready.returncode == 0,
                  f"cairnd serves RPC on port {port}: {open(log_path).read()[-1500:]!r}")
            if ready is not None and ready.returncode == 0:
                check(stat.S_IMODE(os.stat(cookie).st_mode) == 0o600, "the cookie is mode 0600")
                doc = json.loads(ready.stdout)
                check(doc.get("height") == 0 and doc.get("network") == "regtest", f"a fresh regtest node: {doc}")

                mined = run(*base, "--json", "rpc", "miner_generate", "3", address)
                hashes = json.loads(mined.stdout) if mined.returncode == 0 else []
                check(len(hashes) == 3 and all(len(h) == 64 for h in hashes),
                      f"rpc miner_generate 3 ADDRESS: {mined.stdout!r} {mined.stderr!r}")
                tip = hashes[-1] if hashes else "?"

                status = run(*base, "--json", "status")
                doc = json.loads(status.stdout) if status.returncode == 0 else {}
                for key in ("height", "best_hash", "finalized_height", "peers", "sync"):
                    check(key in doc, f"real cairn status --json has {key}: {status.stdout!r}")
                check(doc.get("height") == 3 and doc.get("best_hash") == tip, f"status after mining: {doc}")
                check(doc.get("peers") == 0 and doc.get("finalized_height") == 0, f"no peers, nothing final: {doc}")
                check(doc.get("sync", {}).get("state") == "synced" and doc["sync"].get("progress") == 1000000,
                      f"a lone node is synced: {doc.get('sync')}")
                status = run(*base, "status")
                check(status.returncode == 0 and tip in status.stdout and "[" + "#" * 30 + "] 100.0%" in status.stdout
                      and "regtest" in status.stdout, f"real cairn status text: {status.stdout!r} {status.stderr!r}")

                by_height = run(*base, "--json", "block", "3")
                block = json.loads(by_height.stdout) if by_height.returncode == 0 else {}
                check(block.get("hash") == tip and block.get("height") == 3 and block.get("tx_count") == 1,
                      f"cairn block 3 --json: {by_height.stdout!r} {by_height.stderr!r}")
                by_hash = run(*base, "--json", "block", hashes[0] if hashes else "00" * 32)
                check(by_hash.returncode == 0 and json.loads(by_hash.stdout).get("height") == 1,
                      f"cairn block HASH: {by_hash.stdout!r} {by_hash.stderr!r}")
                text = run(*base, "block", tip)
                check(text.returncode == 0 and f"block {tip}" in text.stdout and "height         3" in text.stdout,
                      f"cairn block text: {text.stdout!r}")
                missing = run(*base, "block", "9")
                check(missing.returncode == 1 and "error -32000" in missing.stderr,
                      f"a block above the tip is not_found: {missing.stderr!r}")

                coinbase = (block.get("transactions") or ["?"])[0]
                tx = run(*base, "--json", "tx", coinbase)
                doc = json.loads(tx.stdout) if tx.returncode == 0 else {}
                check(doc.get("txid") == coinbase and doc.get("coinbase") is True
                      and doc.get("location", {}).get("height") == 3
                      and doc.get("outputs", [{}])[0].get("address") == address,
                      f"cairn tx COINBASE --json: {tx.stdout!r} {tx.stderr!r}")
                tx = run(*base, "tx", coinbase)
                check(tx.returncode == 0 and f"transaction {coinbase}" in tx.stdout and f"to {address}" in tx.stdout
                      and "height 3" in tx.stdout, f"cairn tx text: {tx.stdout!r}")

                mempool = run(*base, "--json", "mempool")
                doc = json.loads(mempool.stdout) if mempool.returncode == 0 else {}
                check(doc.get("count") == 0 and doc.get("bytes") == 0 and "min_fee_rate" in doc,
                      f"cairn mempool --json: {mempool.stdout!r} {mempool.stderr!r}")
                mempool = run(*base, "mempool")
                check(mempool.returncode == 0 and "transactions  0" in mempool.stdout,
                      f"cairn mempool text: {mempool.stdout!r}")

                # Anonymous loopback callers get `public` only.
                elsewhere = os.path.join(e2edir, "elsewhere")  # a data dir without the cookie
                denied = run(cairn, "--network", "regtest", "--datadir", elsewhere, "--rpc-connect",
                             f"127.0.0.1:{port}", "rpc", "miner_generate", "1", address)
                check(denied.returncode == 1 and "error -32002" in denied.stderr,
                      f"without the cookie, mining is forbidden: {denied.stderr!r}")
                public = run(cairn, "--network", "regtest", "--datadir", elsewhere, "--rpc-connect",
                             f"127.0.0.1:{port}", "--json", "status")
                check(public.returncode == 0 and json.loads(public.stdout).get("height") == 3,
                      f"without the cookie, public methods still work: {public.stderr!r}")
        finally:
            code = stop_node(node)
    check(code == 0, f"cairnd stops cleanly on SIGTERM: {code}: {open(log_path).read()[-1500:]!r}")
    check(not os.path.exists(cookie), "cairnd removes its cookie when it stops")
    gone = run(*base, "status")
    check(gone.returncode == 1, f"no node after SIGTERM: {gone.stderr!r}")

for f in failures:
    print("FAIL:", f)
print(f"cli_test: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
