#!/usr/bin/env python3
"""Crash safety of the wallet's files: SIGKILL a process at random moments while it rewrites
a wallet's seed.keystore (change-password) and wallet.json (labels), then check that each file
holds either its previous content or the new one, never a mix or nothing.

tests/wallet/wallet_crash_writer.cpp does the writing and the checking; it prints a line
after each write returned. After a kill the keystore must open with the last reported
password or the next one (a write may have completed after the last line), and the label
must be the last reported one or the next one.

Usage: wallet_kill_test.py WALLET_CRASH_WRITER [ROUNDS] [SEED]
"""
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

from cairnd_harness import check, failures

writer = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 25
seed = int(sys.argv[3]) if len(sys.argv) > 3 else int(time.time())
rng = random.Random(seed)
WAIT_LIMIT = 30  # seconds, for every wait


def last(pattern, text, default):
    found = re.findall(pattern, text)
    return int(found[-1]) if found else default


print(f"seed {seed}, {rounds} rounds", flush=True)
with tempfile.TemporaryDirectory(prefix="cairn-wallet-kill-") as tmp:
    wallet = os.path.join(tmp, "wallets", "w")
    subprocess.run([writer, "create", wallet], check=True, timeout=WAIT_LIMIT)
    generation = 0  # the keystore opens with pw-<generation>
    label = None    # the first address's label as last checked
    writes = 0
    for round_number in range(rounds):
        out_path = os.path.join(tmp, "out.txt")
        with open(out_path, "w") as out:
            proc = subprocess.Popen([writer, "churn", wallet, str(generation)], stdout=out)
            time.sleep(rng.uniform(0.02, 0.3))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=WAIT_LIMIT)
        with open(out_path) as f:
            text = f.read()
        reported_keystore = last(r"keystore (\d+)", text, generation)
        reported_label = last(r"label (\d+)", text, None)
        writes += reported_keystore - generation
        result = subprocess.run([writer, "check", wallet, str(reported_keystore)], capture_output=True, text=True,
                                timeout=WAIT_LIMIT)
        check(result.returncode == 0, f"round {round_number}: check failed: {result.stderr.strip()}")
        if result.returncode != 0:
            break
        m = re.fullmatch(r"keystore (\d+) label (\S*)\n", result.stdout)
        check(m is not None, f"round {round_number}: unexpected check output {result.stdout!r}")
        if m is None:
            break
        opened, on_disk_label = int(m.group(1)), m.group(2)
        check(opened in (reported_keystore, reported_keystore + 1),
              f"round {round_number}: keystore generation {opened}, reported {reported_keystore}")
        if reported_label is not None:
            allowed = {f"label-{reported_label}", f"label-{reported_label + 1}"}
        else:  # no label written this round: the previous one or this round's first
            allowed = {label or "", f"label-{generation + 1}"}
        check(on_disk_label in allowed, f"round {round_number}: label {on_disk_label!r}, expected one of {allowed}")
        generation, label = opened, on_disk_label
        # Only the two files and, after a kill mid-write, temporary files named after them.
        for name in os.listdir(wallet):
            check(name in ("seed.keystore", "wallet.json") or
                  re.fullmatch(r"\.(seed\.keystore|wallet\.json)\.tmp-\w{6}", name),
                  f"round {round_number}: unexpected file {name}")
    check(writes > 0, "no write completed in any round")
    print(f"{writes} keystore writes interrupted by {rounds} kills", flush=True)

if failures:
    print(f"{len(failures)} failure(s); seed {seed}")
    sys.exit(1)
print("ok")
