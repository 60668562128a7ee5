#!/usr/bin/env python3
"""cairnd's configuration, lock, logging and clean shutdown, end to end (docs/operations.md).

- `--print-config` prints every option with its source; its output fed back with --config
  gives the same configuration; a bad key is refused with the file and line.
- Environment variables (CAIRN_*) configure a node; flags beat them; <datadir>/cairnd.toml
  is read when present.
- A second cairnd on the same data dir exits 1 naming the first one's PID, before it
  touches anything (also with --check-chain).
- Log lines have the `<time> <level> <component> msg="..." key=value` format; levels change
  over RPC (node_get_log_levels / node_set_log_level); --log-file rotates.
- SIGTERM, then a restart: the mined blocks are all there.

Usage: config_test.py CAIRND
"""
import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import tomllib
import urllib.request

from cairnd_harness import Cairnd, RpcError, check, failures, free_port

cairnd = sys.argv[1]
WAIT_LIMIT = 60  # seconds, for every wait
# A valid regtest address nobody here spends from (docs/rpc.md's example, rpc/chain_json.h).
ADDRESS = "rcairn1qa8w54zrtanng50lyurfxx22mkmkj0aleht6dy7fq338kc9fm5uwqc8k32q"
LINE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trace|debug|info|warning|error|critical) '
                  r'(chain|net|sync|mempool|miner|validator|rpc|contracts|storage|node) msg="[^"]*"')


def run(args, env_extra=None, timeout=WAIT_LIMIT):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env.update(env_extra or {})
    return subprocess.run([cairnd, *args], capture_output=True, text=True, timeout=timeout, env=env)


def launch(node, args, env_extra):
    """Starts `node` (a harness Cairnd) with our own arguments and environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env.update(env_extra)
    node.starts += 1
    node.log_path = os.path.join(node.datadir, f"stderr.{node.starts}.log")
    node.p2p = False
    if os.path.exists(node.cookie):
        os.remove(node.cookie)
    with open(node.log_path, "w") as out:
        node.process = subprocess.Popen([cairnd, *args], stdout=out, stderr=subprocess.STDOUT, env=env)
    return node.wait_ready()


with tempfile.TemporaryDirectory(prefix="cairn-config-") as tmp:
    # ---- --print-config and its round trip ------------------------------------------------
    datadir = os.path.join(tmp, "printed")
    port = free_port()
    printed = run(["--network", "regtest", "--datadir", datadir, "--rpc-listen", f"127.0.0.1:{port}",
                   "--log-level", "net=debug", "--print-config"], {"CAIRN_MAX_OUTBOUND": "5"})
    check(printed.returncode == 0, f"--print-config exit {printed.returncode}: {printed.stderr}")
    check(not os.path.exists(datadir), "--print-config touches nothing (no data dir created)")
    config = tomllib.loads(printed.stdout)
    check(config.get("network") == "regtest" and config.get("max-outbound") == 5
          and config.get("rpc-listen") == f"127.0.0.1:{port}" and config.get("log-level") == ["net=debug"]
          and config.get("max-inbound") == 64 and config.get("mine") is False
          and config.get("metrics-listen") == "" and config.get("no-explorer") is False,
          f"--print-config shows every value: {config}")
    check("# source: env (CAIRN_MAX_OUTBOUND)\nmax-outbound = 5" in printed.stdout
          and "# source: flag\nnetwork = " in printed.stdout
          and "# source: default\nmax-inbound = 64" in printed.stdout,
          f"--print-config says where each value came from:\n{printed.stdout[:3000]}")
    path = os.path.join(tmp, "printed.toml")
    with open(path, "w") as f:
        f.write(printed.stdout)
    again = run(["--config", path, "--print-config"])
    check(again.returncode == 0, f"the printed config is a valid config file: {again.stderr}")
    check(tomllib.loads(again.stdout) == config, "fed back, it gives the same configuration")
    check("# source: file (" + path + " line " in again.stdout, "values are then from the file, with lines")

    bad = os.path.join(tmp, "bad.toml")
    with open(bad, "w") as f:
        f.write('network = "regtest"\n# a comment\nrpc-lisen = "127.0.0.1:1"\n')
    refused = run(["--config", bad, "--datadir", os.path.join(tmp, "bad")])
    check(refused.returncode == 1 and f"{bad} line 3: rpc-lisen: unknown key" in refused.stderr,
          f"an unknown key is refused with file and line: {refused.returncode} {refused.stderr!r}")
    with open(bad, "w") as f:
        f.write('max-inbound = "many"\n')
    refused = run(["--config", bad, "--datadir", os.path.join(tmp, "bad")])
    check(refused.returncode == 1 and "line 1: max-inbound: expected an integer" in refused.stderr,
          f"a wrong type is refused: {refused.stderr!r}")
    refused = run(["--datadir", os.path.join(tmp, "bad"), "--network", "regtest"], {"CAIRN_MAX_INBOUND": "0"})
    check(refused.returncode == 1 and "CAIRN_MAX_INBOUND" in refused.stderr,
          f"a bad environment value names the variable: {refused.stderr!r}")

    # ---- a node configured by its data dir's cairnd.toml and the environment -------------------
    node = Cairnd(cairnd, os.path.join(tmp, "node"), name="node")
    with open(os.path.join(node.datadir, "cairnd.toml"), "w") as f:
        f.write('network = "regtest"\nno-p2p = true\nrpc-listen = "127.0.0.1:1"\nlog-level = ["info"]\n')
    log_file = os.path.join(node.datadir, "logs", "cairnd.log")
    env = {"CAIRN_RPC_LISTEN": f"127.0.0.1:{node.rpc_port}",  # beats the file's port 1
           "CAIRN_LOG_FILE": log_file, "CAIRN_LOG_MAX_SIZE": "1", "CAIRN_LOG_MAX_FILES": "1",
           "CAIRN_LOG_LEVEL": "info,net=debug"}
    launch(node, ["--datadir", node.datadir], env)
    check(os.path.exists(log_file), "CAIRN_LOG_FILE is honoured")
    text = open(log_file).read()
    check(f'node msg="config file read" file={node.datadir}/cairnd.toml how="default location"' in text,
          f"the data dir's cairnd.toml is read and the log says so:\n{text[:2000]}")
    check(open(node.log_path).read() == "", "with --log-file nothing goes to stderr")
    lines = [line for line in text.splitlines() if line]
    check(lines and all(LINE.match(line) for line in lines),
          "every line is `<time> <level> <component> msg=...`: "
          + repr([line for line in lines if not LINE.match(line)][:3]))
    check(node.info()["network"] == "regtest", "the node runs the file's network")

    # The lock: a second cairnd is refused before it touches anything.
    lock_path = os.path.join(node.datadir, "regtest", "cairnd.lock")
    check(open(lock_path).read().strip() == str(node.process.pid), "the lock file holds the PID")
    cookie_before = open(node.cookie).read()
    for extra in ([], ["--check-chain"]):
        second = run(["--network", "regtest", "--datadir", node.datadir, "--no-p2p",
                      "--rpc-listen", f"127.0.0.1:{free_port()}", *extra])
        expected = f"cairnd: the data directory {node.datadir}/regtest is in use by process {node.process.pid}"
        check(second.returncode == 1 and expected in second.stderr,
              f"a second cairnd {extra} is refused: {second.returncode} {second.stderr!r}")
    check(open(node.cookie).read() == cookie_before, "the refused cairnd left the cookie alone")

    # Log levels over RPC.
    levels = node.rpc("node_get_log_levels")["levels"]
    check(levels.get("net") == "debug" and levels.get("chain") == "info" and len(levels) == 10,
          f"node_get_log_levels: {levels}")
    levels = node.rpc("node_set_log_level", component="chain", level="debug")["levels"]
    check(levels.get("chain") == "debug" and levels.get("net") == "debug" and levels.get("rpc") == "info",
          f"node_set_log_level for one component: {levels}")
    check('info node msg="log level changed" component=chain level=debug' in open(log_file).read(),
          "the change is logged")
    levels = node.rpc("node_set_log_level", level="warning")["levels"]
    check(set(levels.values()) == {"warning"}, f"node_set_log_level for all: {levels}")
    try:
        node.rpc("node_set_log_level", level="loud")
        check(False, "an unknown level is refused")
    except RpcError as e:
        check("level" in str(e), f"an unknown level is refused: {e}")

    # Rotation at --log-max-size (1 MiB): batches of calls that each log a line.
    node.rpc("node_set_log_level", component="node", level="info")
    credentials = open(node.cookie).read().strip()
    batch = json.dumps([{"jsonrpc": "2.0", "id": i, "method": "node_set_log_level",
                         "params": {"component": "node", "level": "info"}} for i in range(100)]).encode()

    def post_batch():
        request = urllib.request.Request(
            f"http://127.0.0.1:{node.rpc_port}/", data=batch,
            headers={"Content-Type": "application/json",
                     "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()})
        with urllib.request.urlopen(request, timeout=WAIT_LIMIT) as response:
            response.read()

    rotated = os.path.join(node.datadir, "logs", "cairnd.1.log")
    for _ in range(200):
        post_batch()
        if os.path.exists(rotated):
            break
    check(os.path.exists(rotated), "--log-file rotates at --log-max-size")
    check(not os.path.exists(os.path.join(node.datadir, "logs", "cairnd.2.log")),
          "--log-max-files 1 keeps one old file")
    check(os.path.getsize(log_file) <= 1024 * 1024 and os.path.getsize(rotated) <= 1024 * 1024,
          "no file is over the size")

    # ---- SIGTERM, then a restart: nothing lost -------------------------------------------------
    hashes = node.rpc("miner_generate", count=5, address=ADDRESS)
    info = node.info()
    check(info["height"] == 5 and info["best_hash"] == hashes[-1], f"mined 5 blocks: {info}")
    node.process.send_signal(signal.SIGTERM)
    code = node.process.wait(timeout=WAIT_LIMIT)
    check(code == 0, f"exit status {code} after SIGTERM")
    text = open(log_file).read()
    check('node msg="stopping" height=5' in text, "the node logs its clean stop")
    check(not os.path.exists(node.cookie), "the cookie is removed at shutdown")
    launch(node, ["--datadir", node.datadir], env)
    after = node.info()
    check(after["height"] == 5 and after["best_hash"] == info["best_hash"],
          f"after SIGTERM and a restart the chain is whole: {after} vs {info}")
    node.stop()

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("ok")
