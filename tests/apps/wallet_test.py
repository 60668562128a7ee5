#!/usr/bin/env python3
"""End to end: `cairn wallet` against one regtest cairnd (issue [G]).

Usage: wallet_test.py CAIRN CAIRND

One cairnd (--regtest, --no-p2p, RPC on a free port, stopped by its PID) and wallets in
temporary data directories: create, mine to the wallet, a multi-input send; a 2-of-3
multisig spend through partially signed transactions signed in three separate wallet
directories with no node reachable; restore from the recovery phrase finding receive
indexes 0, 19 and 38 and change index 5; backup, import, sessions; bond and unbond; and the
bad inputs, each a clear message, a non-zero exit status and nothing written. Every wait is
bounded.

Wallets use `--kdf interactive` (libsodium's INTERACTIVE Argon2id cost) to keep the test
fast; the default is MODERATE. Exits 77 (skipped) when a binary is missing.
"""
import hashlib
import json
import os
import pty
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

from cairnd_harness import Cairnd, check, failures, free_port, log

if len(sys.argv) != 3:
    sys.exit(__doc__)
cairn, cairnd = sys.argv[1], sys.argv[2]
for binary in (cairn, cairnd):
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"wallet_test: {binary} is missing; skipping", file=sys.stderr)
        sys.exit(77)

COMMAND_TIMEOUT = 120
COIN = 100_000_000


def write_private(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def address_balance(address):
    return int(node.rpc("address_get_balance", address=address)["confirmed"])


root = tempfile.mkdtemp(prefix="cairn-wallet-test-")
runtime_dir = os.path.join(root, "runtime")  # sessions' keys: never the user's own
os.makedirs(runtime_dir, mode=0o700)
env = dict(os.environ, XDG_RUNTIME_DIR=runtime_dir)
node = Cairnd(cairnd, os.path.join(root, "node"))
dead_port = free_port()  # nothing listens here: commands that must not need a node use it


def run(*args, datadir=None, stdin="", offline=False):
    """cairn --network regtest [--datadir D] --rpc-connect <node or a dead port> ARGS.
    A new session (no controlling terminal), so prompts read stdin and never a developer's tty."""
    port = dead_port if offline else node.rpc_port
    command = [cairn, "--network", "regtest", "--rpc-connect", f"127.0.0.1:{port}"]
    if datadir is not None:
        command += ["--datadir", datadir]
    done = subprocess.run(command + list(args), input=stdin, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT, env=env, start_new_session=True)
    return done


def run_ok(*args, **kwargs):
    done = run(*args, **kwargs)
    if not check(done.returncode == 0, f"cairn {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}"):
        raise RuntimeError(f"cairn {' '.join(args)} failed: {done.stderr}")
    return done


def run_json(*args, **kwargs):
    return json.loads(run_ok("--json", *args, **kwargs).stdout)


def tree_state(path):
    """Every file under path with its mode and content hash (what 'nothing written' compares)."""
    state = {}
    if not os.path.exists(path):
        return state
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            entry = (mode_of(full),)
            if os.path.isfile(full):
                with open(full, "rb") as f:
                    entry += (hashlib.sha256(f.read()).hexdigest(),)
            state[os.path.relpath(full, path)] = entry
    return state


def refused(what, args, expect, datadir, stdin="", offline=False, watch=None):
    """A bad input: non-zero exit, `expect` (any of them) in the message, nothing written
    under `watch` (default: the data directory's wallets)."""
    watched = watch or os.path.join(datadir, "regtest", "wallets")
    before = tree_state(watched)
    done = run(*args, datadir=datadir, stdin=stdin, offline=offline)
    message = done.stderr.strip()
    log(f"  {what}: {message}")
    expects = expect if isinstance(expect, (list, tuple)) else [expect]
    check(done.returncode != 0, f"{what}: exit status {done.returncode} (want non-zero): {message!r}")
    check(any(e.lower() in message.lower() for e in expects), f"{what}: message {message!r} lacks {expects}")
    check(tree_state(watched) == before, f"{what}: something was written under {watched}")
    return message


def tx_confirmations(txid):
    location = node.rpc("tx_get", txid=txid).get("location")
    return location["confirmations"] if location else 0


password = os.path.join(root, "password")
write_private(password, "correct horse battery staple\n")
wrong_password = os.path.join(root, "wrong-password")
write_private(wrong_password, "not the password\n")
def wallet(name, *args):
    return ["wallet", "--wallet", name, "--password-file", password, *args]


def create(name, datadir, offline=True):
    phrase_file = os.path.join(root, f"{name}-{os.path.basename(datadir)}.phrase")
    doc = run_json(*wallet(name, "create", "--kdf", "interactive", "--phrase-out", phrase_file),
                   datadir=datadir, offline=offline)
    return doc, phrase_file


def scenario_send(nd, burn):
    """Create, mine to the wallet, wait for maturity, a multi-input send, confirmed."""
    log("create a wallet, mine to it, send a multi-input transaction")
    doc, phrase_file = create("alice", nd)
    wallets_root = os.path.join(nd, "regtest", "wallets")
    alice_dir = os.path.join(wallets_root, "alice")
    check(mode_of(alice_dir) == 0o700, "the wallet directory is mode 0700")
    for name in ("wallet.json", "seed.keystore"):
        check(mode_of(os.path.join(alice_dir, name)) == 0o600, f"{name} is mode 0600")
    check(mode_of(phrase_file) == 0o600, "the --phrase-out file is mode 0600")
    words = open(phrase_file).read().split()
    check(len(words) == 24, f"the recovery phrase has 24 words by default: {len(words)}")
    check("phrase" not in doc, "with --phrase-out the phrase is not printed")
    listed = run_json("wallet", "list", datadir=nd, offline=True)
    check([w["name"] for w in listed] == ["alice"], f"wallet list: {listed}")

    a0 = run_json(*wallet("alice", "address", "--label", "mining"), datadir=nd, offline=True)
    check(a0["address"].startswith("rcairn1") and a0["index"] == 0 and a0["chain"] == "receive",
          f"the first address is receive index 0: {a0}")
    check(a0["address"] == doc["first_address"], "create names the first receive address")
    node.generate(4, a0["address"])
    immature = run_json(*wallet("alice", "balance"), datadir=nd)
    check(int(immature["immature"]) > 0 and int(immature["confirmed"]) == 0,
          f"fresh coinbases are immature: {immature}")
    node.generate(11, burn)  # regtest coinbase maturity is 10 blocks
    mined = address_balance(a0["address"])
    balance = run_json(*wallet("alice", "balance"), datadir=nd)
    check(int(balance["confirmed"]) == mined and mined >= 4 * 25 * COIN,
          f"the wallet's confirmed balance is the node's for its address: {balance} vs {mined}")

    bob = create("bob", nd)[0]
    b0 = run_json(*wallet("bob", "address"), datadir=nd, offline=True)["address"]
    check(b0 == bob["first_address"], "bob's first address")

    amount = mined * 3 // 4 // COIN  # coins: needs several of the coinbases
    # Without --yes the summary is shown and the answer read; "n" sends nothing.
    declined = run(*wallet("alice", "send", b0, str(amount)), datadir=nd, stdin="n\n")
    check(declined.returncode != 0 and "cancelled" in declined.stderr, f"answering n cancels: {declined.stderr!r}")
    for part in ("inputs (", "outputs (", "fee:", "change:"):
        check(part in declined.stdout, f"the confirmation summary shows {part!r}: {declined.stdout!r}")
    check(node.rpc("mempool_get_info")["count"] == 0, "a cancelled send sends nothing")

    sent = run_ok(*wallet("alice", "send", b0, str(amount)), datadir=nd, stdin="y\n")
    txid = sent.stdout.strip().split()[-1]
    tx = node.rpc("tx_get", txid=txid)
    check(len(tx["inputs"]) >= 3, f"the send spends several coinbases: {len(tx['inputs'])} inputs")
    check(tx["in_mempool"], "the send is in the mempool")
    pending = run_json(*wallet("alice", "balance"), datadir=nd)
    check(int(pending["pending"]) > 0, f"the spent coins show as pending: {pending}")
    node.generate(1, burn)
    check(tx_confirmations(txid) == 1, "the multi-input send is confirmed")
    check(run_json(*wallet("bob", "balance"), datadir=nd)["confirmed"] == str(amount * COIN),
          "bob's wallet sees the payment")

    # A second send with --yes and --json: the txid for scripts; fee and change reported.
    doc = run_json(*wallet("alice", "send", b0, "1.5", "--yes", "--fee-rate", "2000"), datadir=nd)
    check(len(doc["txid"]) == 64 and int(doc["fee"]) > 0 and doc["fee_rate"] == "2000",
          f"send --json reports txid, fee and rate: {doc}")
    check(any(o["change"] for o in doc["outputs"]), "the send has a change output")
    node.generate(1, burn)
    check(tx_confirmations(doc["txid"]) == 1, "the second send is confirmed")
    after = run_json(*wallet("alice", "balance"), datadir=nd)
    check(int(after["pending"]) == 0, f"nothing is pending once confirmed: {after}")
    history = run_json(*wallet("alice", "history"), datadir=nd)
    check(len(history) >= 5 and any(h["spent"] for h in history), "history lists the coinbases and the spends")
    return phrase_file


def scenario_bad_inputs(nd, alice_phrase):
    log("bad inputs: a clear message, a non-zero exit, nothing written")
    b0 = run_json(*wallet("bob", "address", "--list"), datadir=nd, offline=True)[0]["address"]
    refused("a wrong password", ["wallet", "--wallet", "alice", "--password-file", wrong_password, "send", b0, "1",
                                 "--yes"], "wrong password", nd)
    refused("insufficient funds", wallet("alice", "send", b0, "1000000", "--yes"), ["insufficient", "not enough"], nd)
    mistyped = b0[:-3] + ("q" if b0[-3] != "q" else "p") + b0[-2:]
    refused("a mistyped address", wallet("alice", "send", mistyped, "1", "--yes"), "address", nd)
    testnet = json.loads(subprocess.run([cairn, "--network", "testnet", "--json", "demo"], capture_output=True,
                                        text=True, timeout=60).stdout)["alice"]["address"]
    refused("a testnet address on regtest", wallet("alice", "send", testnet, "1", "--yes"),
            "testnet address, not regtest", nd)
    refused("too many decimals", wallet("alice", "send", b0, "1.123456789", "--yes"), "amount", nd)
    refused("an odd recipient list", wallet("alice", "send", b0), "pairs", nd)
    refused("an existing wallet name", wallet("alice", "create", "--kdf", "interactive"), "already exists", nd,
            offline=True)

    words = open(alice_phrase).read().split()
    misspelled = list(words)
    misspelled[2] = words[2] + "x"  # no list word is another list word plus "x"
    bad_phrase = os.path.join(root, "misspelled.phrase")
    write_private(bad_phrase, " ".join(misspelled) + "\n")
    message = refused("a misspelled word", wallet("restored", "restore", "--phrase-file", bad_phrase, "--kdf",
                                                  "interactive"), "did you mean", nd)
    check("word 3" in message, f"the misspelled word is named: {message!r}")
    checksum = os.path.join(root, "checksum.phrase")
    write_private(checksum, " ".join(["abandon"] * 24) + "\n")
    refused("a bad checksum", wallet("restored", "restore", "--phrase-file", checksum, "--kdf", "interactive"),
            "checksum", nd)
    # The phrase is never taken from the command line.
    message = refused("a phrase as arguments", ["wallet", "--wallet", "restored", "restore", *words],
                      "never read from the command line", nd)
    check(" ".join(words[:3]) not in message, "the words typed as arguments are not echoed")
    # No terminal and no --password-file: a clear refusal, not a hang.
    refused("no password source", ["wallet", "--wallet", "alice", "send", b0, "1", "--yes"],
            ["terminal", "password"], nd)
    # A restore from stdin with the wrong password file mode: refused before anything is written.
    loose = os.path.join(root, "loose-password")
    with open(loose, "w") as f:
        f.write("pw\n")
    os.chmod(loose, 0o644)
    refused("a password file others can read", ["wallet", "--wallet", "restored", "--password-file", loose,
                                                "restore", "--phrase-file", "-", "--kdf", "interactive"],
            ["chmod", "permission", "group", "others"], nd, stdin=open(alice_phrase).read())
    refused("an unknown wallet", wallet("nobody", "balance"), "no wallet 'nobody'", nd)
    refused("a restore with no node", wallet("restored", "restore", "--phrase-file", alice_phrase, "--kdf",
                                             "interactive"), "cannot connect to cairnd", nd, offline=True)
    refused("a balance with no node", wallet("alice", "balance"), "is cairnd running?", nd, offline=True)


def scenario_multisig(nd, burn):
    """2-of-3 multisig: keys from three wallet directories, the same address in each, a PST
    signed offline in each, combined, finalized, broadcast and confirmed."""
    log("2-of-3 multisig through partially signed transactions")
    dirs = [os.path.join(root, f"signer{i}") for i in range(3)]
    keys = []
    for d in dirs:
        create("signer", d)
        keys.append(run_json(*wallet("signer", "multisig", "key"), datadir=d, offline=True)["public_key"])
    check(len(set(keys)) == 3, "three distinct co-signer keys")
    addresses = []
    for i, d in enumerate(dirs):
        order = keys[i:] + keys[:i]  # each co-signer enters the keys in another order
        doc = run_json(*wallet("signer", "multisig", "create", "--threshold", "2", "--label", "team",
                               *sum((["--key", k] for k in order), [])), datadir=d, offline=True)
        check(doc["own_keys"] == 1, f"each co-signer holds one of the keys: {doc}")
        addresses.append(doc["address"])
    check(len(set(addresses)) == 1 and addresses[0].startswith("rcairn1"),
          f"every co-signer gets the same multisig address: {addresses}")
    multisig = addresses[0]

    funded = run_json(*wallet("alice", "send", multisig, "30", "--yes"), datadir=nd)
    node.generate(1, burn)
    check(tx_confirmations(funded["txid"]) == 1, "the multisig address is funded")
    check(address_balance(multisig) == 30 * COIN, "the multisig address holds 30 coins")

    payee = run_json(*wallet("bob", "address", "--label", "from the team"), datadir=nd, offline=True)["address"]
    before_payee = address_balance(payee)
    psts = os.path.join(root, "psts")
    os.makedirs(psts)
    p0 = os.path.join(psts, "unsigned.pst")
    # The PST is made where the node is reachable (public methods need no cookie).
    created = run_json(*wallet("signer", "pst", "create", payee, "12.5", "--from", multisig, "--out", p0),
                       datadir=dirs[0])
    check(len(created["txid"]) == 64, "pst create reports the txid")
    shown = run_json("wallet", "pst", "show", "-", datadir=dirs[0], offline=True, stdin=open(p0).read())
    check(not shown["complete"] and all(i["signatures"] == 0 and i["required"] == 2 for i in shown["inputs"]),
          f"pst show: unsigned, 2 of 3 needed: {shown}")
    check(any(o["address"] == payee and o["value"] == str(1250000000) for o in shown["outputs"]),
          "pst show lists the payment")

    signed = []
    for i, d in enumerate(dirs):  # each in its own wallet directory, no node reachable
        out = os.path.join(psts, f"signed{i}.pst")
        doc = run_json(*wallet("signer", "pst", "sign", p0, "--out", out), datadir=d, offline=True)
        check(doc["added"] >= 1 and not doc["complete"], f"signer {i} adds its signature: {doc}")
        signed.append(out)
    refused("signing twice", wallet("signer", "pst", "sign", signed[0], "--out", os.path.join(psts, "again.pst")),
            "none of the keys", dirs[0], offline=True, watch=psts)
    one = os.path.join(psts, "one.hex")
    refused("finalizing with one signature", ["wallet", "pst", "finalize", signed[0], "--out", one],
            ["missing", "more needed"], dirs[0], offline=True, watch=psts)
    refused("a PST that is not one", ["wallet", "pst", "show", password], "not a partially signed", dirs[0],
            offline=True, watch=psts)

    combined = os.path.join(psts, "combined.pst")
    doc = run_json("wallet", "pst", "combine", *signed, "--out", combined, datadir=dirs[0], offline=True)
    check(doc["complete"], f"the combined PST is complete: {doc}")
    final = os.path.join(psts, "final.hex")
    doc = run_json("wallet", "pst", "finalize", combined, "--out", final, datadir=dirs[0], offline=True)
    check(doc["txid"] == created["txid"], "finalize keeps the txid")
    # Broadcasting needs tx_send_raw (admin): the node's cookie, from its data directory.
    doc = run_json("wallet", "pst", "broadcast", final, datadir=nd)
    check(doc["txid"] == created["txid"], "broadcast sends the finalized transaction")
    node.generate(1, burn)
    check(tx_confirmations(created["txid"]) == 1, "the multisig spend is confirmed")
    check(address_balance(payee) == before_payee + 1250000000, "the payee received 12.5 coins")
    tx = node.rpc("tx_get", txid=created["txid"])
    check(all(i["witness_kind"] == "lock" for i in tx["inputs"]), "the multisig inputs reveal the lock")


SCAN_LINE = re.compile(r"^scanning: progress=(\d+\.\d)% checked=(\d+) found=(\d+) rate=(\d+\.\d)addr/s "
                       r"eta=(\d+h\d\dm|\d+m\d\ds|\d+s|unknown)$")


def check_scan_progress(stderr, checked, found):
    """The restore scan's progress lines (not a terminal: every 10 addresses and the last) parse,
    count up, and end at 100.0% with every address checked and an ETA of 0s."""
    lines = [line for line in stderr.splitlines() if line.startswith("scanning:")]
    parsed = [SCAN_LINE.match(line) for line in lines]
    check(lines and all(parsed), f"restore shows its progress on stderr, field by field: {lines}")
    if not lines or not all(parsed):
        return
    counts = [int(m.group(2)) for m in parsed]
    check(counts == sorted(counts) and len(counts) >= checked // 10, f"a line every 10 addresses: {counts}")
    percents = [float(m.group(1)) for m in parsed]
    check(all(0 <= p < 100 for p in percents[:-1]), f"below 100% until the end: {percents}")
    last = parsed[-1]
    check(last.group(1) == "100.0" and int(last.group(2)) == checked and int(last.group(3)) == found,
          f"the last line: 100.0%, {checked} checked, {found} found: {lines[-1]}")
    check(float(last.group(4)) > 0 and last.group(5) == "0s", f"the last line: a rate, and an ETA of 0s: {lines[-1]}")
    log(f"restore progress: {len(lines)} lines, {percents[0]}% .. {lines[-1]}")


def scenario_restore(burn):
    """Fund receive indexes 0, 19 and 38 and change index 5; restore from the phrase in a
    fresh directory and find every one of them and the same balance."""
    log("restore from the recovery phrase with a gap limit of 20")
    original = os.path.join(root, "carol")
    _, phrase_file = create("carol", original)

    def derived(chain, index):
        return run_json("key", "derive", "--phrase-file", phrase_file, "--path", f"m/44'/1'/0'/{chain}'/{index}'",
                        datadir=original, offline=True)["address"]

    targets = {("receive", 0): derived(0, 0), ("receive", 19): derived(0, 19), ("receive", 38): derived(0, 38),
               ("change", 5): derived(1, 5)}
    listed = run_json(*wallet("carol", "address", "--list"), datadir=original, offline=True)
    by_position = {(a["chain"], a["index"]): a["address"] for a in listed}
    for position in (("receive", 0), ("receive", 19), ("change", 5)):
        check(by_position.get(position) == targets[position],
              f"`key derive` and the wallet agree on {position}: {by_position.get(position)} vs {targets[position]}")
    for address in targets.values():
        node.generate(1, address)
    node.generate(11, burn)
    total = sum(address_balance(a) for a in targets.values())
    check(total >= 4 * 25 * COIN, f"the four addresses hold the coinbases: {total}")

    fresh = os.path.join(root, "restored")
    done = run(*wallet("carol", "restore", "--phrase-file", phrase_file, "--kdf", "interactive"),
               "--json", datadir=fresh)
    check(done.returncode == 0, f"restore exited {done.returncode}: {done.stderr}")
    if done.returncode != 0:
        return
    doc = json.loads(done.stdout)
    check_scan_progress(done.stderr, checked=85, found=4)
    found = {(a["chain"], a["index"]): a["address"] for a in doc["used_addresses"]}
    for position, address in targets.items():
        check(found.get(position) == address, f"restore finds {position} ({address}): {sorted(found)}")
    check(doc["next_receive"] == 39 and doc["next_change"] == 6,
          f"the next indexes follow the last used: {doc['next_receive']}, {doc['next_change']}")
    check(doc["confirmed"] == str(total), f"the restored balance is the funded total: {doc['confirmed']} vs {total}")
    balance = run_json(*wallet("carol", "balance"), datadir=fresh)
    check(balance["confirmed"] == str(total), f"wallet balance after the restore: {balance}")
    history = run_json(*wallet("carol", "history"), datadir=fresh)
    check(sorted(h["address"] for h in history) == sorted(targets.values()), "the restored history")
    # A phrase file with the words over several lines, in capitals, with extra spaces, is the
    # same phrase (the seed is computed over the words joined by single spaces).
    messy = os.path.join(root, "messy.phrase")
    words = open(phrase_file).read().split()
    write_private(messy, "  " + "\r\n".join(" \t".join(words[i:i + 4]).upper() for i in range(0, 24, 4)) + "\n\n")
    check(run_json("key", "derive", "--phrase-file", messy, "--path", "m/44'/1'/0'/0'/38'", datadir=original,
                   offline=True)["address"] == targets[("receive", 38)], "key derive reads a messy phrase file")
    again = run_json(*wallet("carol3", "restore", "--phrase-file", messy, "--kdf", "interactive"), datadir=fresh)
    check(again["confirmed"] == str(total), "a restore from the messy phrase file finds the same coins")
    # Stdin works as the phrase source too, with a passphrase making a different wallet.
    passphrase = os.path.join(root, "passphrase")
    write_private(passphrase, "TREZOR\n")
    other = run_json(*wallet("carol2", "restore", "--phrase-file", "-", "--passphrase-file", passphrase, "--kdf",
                             "interactive"), datadir=fresh, stdin=open(phrase_file).read())
    check(other["used_addresses"] == [] and other["confirmed"] == "0",
          f"the same words with a passphrase are another, empty wallet: {other}")


def scenario_backup_sessions(nd, burn):
    log("backup and import, watch-only, unlock and lock")
    backup = os.path.join(root, "alice.backup")
    run_ok(*wallet("alice", "backup", backup), datadir=nd, offline=True)
    check(mode_of(backup) == 0o600, "the backup is mode 0600")
    elsewhere = os.path.join(root, "imported")
    run_ok(*wallet("alice", "import", "--backup", backup), datadir=elsewhere, offline=True)
    same = run_json(*wallet("alice", "balance"), datadir=elsewhere)
    check(same == run_json(*wallet("alice", "balance"), datadir=nd), "the imported backup has the same balance")
    refused("a backup with the wrong password", ["wallet", "--wallet", "again", "--password-file", wrong_password,
                                                 "import", "--backup", backup], "wrong password", elsewhere,
            offline=True)

    addresses = run_json(*wallet("alice", "address", "--list"), datadir=nd, offline=True)
    used = [a["address"] for a in addresses if a["used"]]
    watch = os.path.join(root, "watch.txt")
    with open(watch, "w") as f:
        f.write("# alice's used addresses\n" + "\n".join(used) + "\n")
    run_ok("wallet", "--wallet", "watcher", "import", "--watch", watch, datadir=elsewhere, offline=True)
    watched = run_json("wallet", "--wallet", "watcher", "balance", datadir=elsewhere)
    check(watched["confirmed"] == same["confirmed"], f"the watch-only wallet sees the balance: {watched} vs {same}")
    refused("sending from a watch-only wallet", ["wallet", "--wallet", "watcher", "send", used[0], "1", "--yes"],
            "watch-only", elsewhere)

    bob = run_json(*wallet("bob", "address"), datadir=nd, offline=True)["address"]
    # The address book: a name stands for the address; a wrong-network address is refused.
    run_ok(*wallet("alice", "book", "add", "bob", bob), datadir=nd, offline=True)
    check(run_json(*wallet("alice", "book", "list"), datadir=nd, offline=True) == [{"name": "bob", "address": bob}],
          "book list")
    refused("a book entry of another network", wallet("alice", "book", "add", "t", bob.replace("rcairn1", "tcairn1")),
            "address", nd, offline=True)
    before = address_balance(bob)
    doc = run_json(*wallet("alice", "send", "bob", "0.5", "--yes"), datadir=nd)
    node.generate(1, burn)
    check(address_balance(bob) == before + COIN // 2, f"sent to the book name 'bob': {doc}")
    run_ok(*wallet("alice", "book", "remove", "bob"), datadir=nd, offline=True)

    # change-password: the old password stops working, the new one works.
    new_password = os.path.join(root, "new-password")
    write_private(new_password, "a new password\n")
    run_ok(*wallet("bob", "change-password", "--new-password-file", new_password, "--kdf", "interactive"),
           datadir=nd, offline=True)
    refused("the old password after a change", wallet("bob", "unlock"), "wrong password", nd, offline=True)
    run_ok("wallet", "--wallet", "bob", "--password-file", new_password, "unlock", "--timeout", "5", datadir=nd,
           offline=True)
    run_ok("wallet", "--wallet", "bob", "lock", datadir=nd, offline=True)

    run_ok(*wallet("alice", "unlock", "--timeout", "120"), datadir=nd, offline=True)
    check(os.listdir(os.path.join(runtime_dir, "cairn")), "the session key is in $XDG_RUNTIME_DIR/cairn")
    # No --password-file: the session's keys sign.
    doc = run_json("wallet", "--wallet", "alice", "send", bob, "0.25", "--yes", datadir=nd)
    check(len(doc.get("txid", "")) == 64, "an unlocked wallet sends without the password")
    node.generate(1, burn)  # the change comes back, so the next send has coins to spend
    run_ok("wallet", "--wallet", "alice", "lock", datadir=nd, offline=True)
    check(not os.path.exists(os.path.join(nd, "regtest", "wallets", "alice", "session")), "lock deletes the session")
    run_json(*wallet("alice", "balance"), datadir=nd)  # forgets the confirmed pending spend (a write)
    refused("a locked wallet without a password", ["wallet", "--wallet", "alice", "send", bob, "0.25", "--yes"],
            ["terminal", "password"], nd)


def run_on_terminal(args, answers, timeout=COMMAND_TIMEOUT):
    """Runs cairn on a new pseudo-terminal, typing each answer once its prompt (a substring)
    has appeared. Returns (exit status, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(env)
        os.execv(cairn, [cairn, "--network", "regtest", "--rpc-connect", f"127.0.0.1:{node.rpc_port}", *args])
    transcript, answered, deadline = b"", 0, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the child has exited
            break
        if not data:
            break
        transcript += data
        while answered < len(answers) and transcript.count(answers[answered][0].encode()) > \
                sum(1 for prompt, _ in answers[:answered] if prompt == answers[answered][0]):
            os.write(fd, answers[answered][1].encode() + b"\n")
            answered += 1
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), transcript.decode(errors="replace")


def scenario_terminal(nd, burn):
    """The prompts on a terminal: passwords and the phrase without echo, the y/N question."""
    log("terminal prompts without echo")
    secret = "a terminal password"
    status, shown = run_on_terminal(["--datadir", nd, "wallet", "--wallet", "tty", "create", "--kdf", "interactive",
                                     "--words", "12"],
                                    [("Password for the new wallet", secret), ("Repeat the password", secret)])
    check(status == 0, f"create on a terminal exits {status}: {shown[-500:]!r}")
    check(secret not in shown, "the password is not echoed")
    check("Write these 12 words down" in shown, "create warns to write the phrase down")
    lines = [line.strip() for line in shown.splitlines()]
    phrase = next((line for line in lines if len(line.split()) == 12 and line.islower()), "")
    check(phrase != "", f"create shows the 12 words: {shown[-800:]!r}")
    status, shown = run_on_terminal(["--datadir", nd, "wallet", "--wallet", "tty-restored", "restore", "--kdf",
                                     "interactive"],
                                    [("Recovery phrase", phrase), ("Password for the new wallet", secret),
                                     ("Repeat the password", secret)])
    check(status == 0, f"restore on a terminal exits {status}: {shown[-500:]!r}")
    check(phrase.split()[0] + " " + phrase.split()[1] not in shown and secret not in shown,
          "the phrase and the password typed at the prompts are not echoed")
    original = run_json(*wallet("tty", "address", "--list"), datadir=nd, offline=True)[0]["address"]
    restored = run_json(*wallet("tty-restored", "address", "--list"), datadir=nd, offline=True)[0]["address"]
    check(original == restored, "the phrase typed at the prompt restores the same wallet")
    node.generate(1, original)
    node.generate(10, burn)
    bob = run_json(*wallet("bob", "address"), datadir=nd, offline=True)["address"]
    status, shown = run_on_terminal(["--datadir", nd, "wallet", "--wallet", "tty", "send", bob, "1"],
                                    [("[y/N]", "y"), ("Password for wallet 'tty'", secret)])
    check(status == 0 and "sent:" in shown and "fee:" in shown,
          f"send shows the summary and asks on the terminal: {shown[-800:]!r}")


def scenario_staking(nd, burn):
    """bond (the change goes to the owner address), withdraw refused before the exit, unbond
    authorised by the owner's coin."""
    log("bond, unbond, withdraw")
    keystore = os.path.join(root, "voting.key")
    voting_key = run_json("key", "validator-new", "--out", keystore, "--password-file", password, datadir=nd,
                          offline=True)["public_key"]
    bonded = run_json(*wallet("alice", "bond", "--voting-key", voting_key, "--stake", "5", "--yes"), datadir=nd)
    node.generate(1, burn)
    check(tx_confirmations(bonded["txid"]) == 1, "the bond is confirmed")
    record = node.rpc("staking_get_validator", voting_key=voting_key)
    check(record["stake"] == str(5 * COIN), f"the validator's stake is 5 coins: {record['stake']}")
    owned = {a["address"] for a in run_json(*wallet("alice", "address", "--list"), datadir=nd, offline=True)}
    check(record["owner"] in owned, "the stake returns to an address of the wallet")
    early = run(*wallet("alice", "withdraw", "--voting-key", voting_key, "--yes"), datadir=nd)
    check(early.returncode != 0 and "withdrawal" in early.stderr, f"a withdraw before the exit: {early.stderr!r}")
    unbonded = run_json(*wallet("alice", "unbond", "--voting-key", voting_key, "--yes"), datadir=nd)
    node.generate(1, burn)
    check(tx_confirmations(unbonded["txid"]) == 1, "the unbond is confirmed")
    record = node.rpc("staking_get_validator", voting_key=voting_key)
    check(record["end_dynasty"] is not None, f"the unbond starts the exit: {record}")
    refused("a bad voting key", wallet("alice", "bond", "--voting-key", "zz", "--stake", "5", "--yes"),
            "--voting-key", nd)


def main():
    try:
        node.start("--no-p2p")
        # Blocks mined to an address nobody here spends from.
        burn = json.loads(subprocess.run([cairn, "--network", "regtest", "--json", "demo"], capture_output=True,
                                         text=True, timeout=60).stdout)["alice"]["address"]
        nd = node.datadir
        alice_phrase = scenario_send(nd, burn)
        scenario_bad_inputs(nd, alice_phrase)
        scenario_multisig(nd, burn)
        scenario_restore(burn)
        scenario_backup_sessions(nd, burn)
        scenario_staking(nd, burn)
        scenario_terminal(nd, burn)
    except Exception as e:  # noqa: BLE001 - report and fail, with the node's log
        failures.append(f"aborted: {e!r}")
        log(f"aborted: {e!r}\n--- cairnd log ---\n{node.tail()}")
    finally:
        node.stop()
        shutil.rmtree(root, ignore_errors=True)
    if failures:
        print(f"{len(failures)} failure(s):", *failures, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    log("all wallet checks passed")


main()
