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
        node = subprocess.Popen([cairnd, "--network", "regtest", "--datadir", nodedir, "--mine",
                                 "--validator-key", keyfile, "--validator-password-file", password],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and node.poll() is None:
                if "validator not voting" in open(log_path).read():
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
    check("validator key=" in text and "validator not voting" in text,
          f"cairnd runs its validator duty with the loaded key: {text[-1500:]!r}")
    check(node.returncode == 0, f"cairnd with a validator key stops cleanly: {node.returncode}")
    wrong = os.path.join(nodedir, "wrong")
    write_private(wrong, "not the password\n")
    bad = run(cairnd, "--network", "regtest", "--datadir", nodedir, "--validator-key", keyfile,
              "--validator-password-file", wrong)
    check(bad.returncode == 1 and "--validator-key" in bad.stderr and "wrong password" in bad.stderr,
          f"a wrong validator password is refused with the reason: {bad.stderr!r}")

for f in failures:
    print("FAIL:", f)
print(f"cli_test: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
