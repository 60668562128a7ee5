#!/usr/bin/env python3
"""Crash safety of a real cairnd: SIGKILL it at random moments while it mines and connects
blocks on regtest, then check the chain state after every restart.

After each kill, `cairnd --check-chain-replay` must find the state sound (the UTXO set and
stake state hash to the tip's state root, the indexes agree with them and with the stored
blocks, and all of it equals a state rebuilt from the stored blocks alone) and the tip
must be at least the last block cairnd reported as mined: a block is reported only after
its submission returned, i.e. after it was durable. Also: a second cairnd on the same data
directory is refused while one runs, and SIGTERM stops cairnd cleanly.

Usage: kill_test.py CAIRND [ROUNDS] [SEED]
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

cairnd = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 12
seed = int(sys.argv[3]) if len(sys.argv) > 3 else int(time.time())
rng = random.Random(seed)
MINED = re.compile(r'miner msg="mined block" height=(\d+)')
# Every wait in this test is bounded by this many seconds.
WAIT_LIMIT = 60


def start(datadir, log):
    return subprocess.Popen(
        [cairnd, "--network", "regtest", "--datadir", datadir, "--mine", "--mine-threads", "1", "--no-p2p"],
        stdout=log, stderr=subprocess.STDOUT)


def mined_heights(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return [int(m.group(1)) for m in MINED.finditer(f.read())]


def wait_for_blocks(path, count, proc):
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        if len(mined_heights(path)) >= count or proc.poll() is not None:
            return
        time.sleep(0.05)


def check_chain(datadir):
    out = subprocess.run([cairnd, "--network", "regtest", "--datadir", datadir, "--check-chain-replay"],
                         capture_output=True, text=True, timeout=WAIT_LIMIT)
    m = re.search(r"^height (\d+)", out.stdout, re.M)
    return out.returncode, (int(m.group(1)) if m else -1), out.stdout + out.stderr


print(f"seed {seed}", flush=True)
with tempfile.TemporaryDirectory() as datadir:
    acknowledged = 0
    for r in range(rounds):
        log_path = os.path.join(datadir, f"round{r}.log")
        with open(log_path, "w") as log:
            proc = start(datadir, log)
            try:
                wait_for_blocks(log_path, 1, proc)
                time.sleep(rng.uniform(0.0, 0.8))
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=WAIT_LIMIT)
        heights = mined_heights(log_path)
        check(heights, f"round {r}: cairnd mined nothing: {open(log_path).read()[-2000:]}")
        acknowledged = max([acknowledged] + heights)
        status, height, report = check_chain(datadir)
        check(status == 0, f"round {r}: --check-chain failed:\n{report}")
        check(height >= acknowledged,
              f"round {r}: tip {height} below the last acknowledged block {acknowledged}")
        print(f"round {r}: killed after {len(heights)} blocks, tip {height}", flush=True)

    # One node per data directory, and a clean stop on SIGTERM.
    log_path = os.path.join(datadir, "final.log")
    with open(log_path, "w") as log:
        proc = start(datadir, log)
        try:
            wait_for_blocks(log_path, 1, proc)
            second = subprocess.run([cairnd, "--network", "regtest", "--datadir", datadir],
                                    capture_output=True, text=True, timeout=WAIT_LIMIT)
            check(second.returncode == 1 and f"is in use by process {proc.pid}" in second.stderr,
                  f"a second cairnd on the same data dir: {second.returncode} {second.stderr!r}")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=WAIT_LIMIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
    check(code == 0, f"cairnd exit status {code} after SIGTERM")
    check('node msg="stopping" height=' in open(log_path).read(), "cairnd logs its clean stop")
    status, _, report = check_chain(datadir)
    check(status == 0, f"after SIGTERM: --check-chain failed:\n{report}")

if failures:
    print(f"{len(failures)} failure(s) (seed {seed})")
    sys.exit(1)
print("ok")
