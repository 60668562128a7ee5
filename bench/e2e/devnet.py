"""A local devnet for bench/e2e/run.py and bench/soak/soak.py, described by the devnet.json of
`cairn devnet up` (docs/devnet.md has the schema).

Two launchers give the same `Devnet`:
- `cairn devnet up --dir DIR --base-port P --nodes N` (when the `cairn` binary has the devnet
  command), stopped with `cairn devnet down --dir DIR`;
- otherwise our own: N regtest cairnd processes (tests/apps/cairnd_harness.py) on free
  loopback ports, node 0 the others' bootstrap, each mining to the first address of account i
  of a fresh BIP39 phrase (m/44'/1'/i'/0'/0', from cairn_txgen's address mode) with
  --mine-interval; DIR/devnet.json written in the same schema (fields we cannot know: null).
Either way the nodes are stopped by PID on close().
"""
import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "apps"))
import cairnd_harness as harness  # noqa: E402

WORDLIST = "/usr/lib/python3/dist-packages/mnemonic/wordlist/english.txt"  # docs/wallet.md
CONNECT_TIMEOUT = 60  # seconds for every node to have a peer


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fresh_phrase():
    """12 BIP39 words: 128 bits of entropy and the 4-bit SHA-256 checksum."""
    with open(WORDLIST) as f:
        words = f.read().split()
    entropy = secrets.token_bytes(16)
    bits = int.from_bytes(entropy, "big") << 4 | hashlib.sha256(entropy).digest()[0] >> 4
    return " ".join(words[(bits >> (11 * (11 - i))) & 2047] for i in range(12))


def peer_count(net_info):
    return net_info.get("inbound", 0) + net_info.get("outbound", 0)


def has_devnet_command(cairn):
    if not os.access(cairn, os.X_OK):
        return False
    try:
        out = subprocess.run([cairn, "devnet", "--help"], capture_output=True, text=True, timeout=30)
    except OSError:
        return False
    return out.returncode == 0 and "up" in out.stdout


class Node:
    """One devnet node from devnet.json: JSON-RPC with its cookie, /metrics, /proc numbers."""

    def __init__(self, entry):
        self.entry = entry
        self.index = entry["index"]
        self.name = entry.get("name", f"node{self.index}")
        self.rpc_port = entry["rpc_port"]
        self.cookie_file = entry["cookie_file"]
        self.pid = entry.get("pid")
        self.log_file = entry.get("log_file")

    def spec(self):
        """cairn_txgen's --node value."""
        return f"127.0.0.1:{self.rpc_port},{self.cookie_file}"

    def _authorization(self):
        with open(self.cookie_file) as f:
            return "Basic " + base64.b64encode(f.read().strip().encode()).decode()

    def rpc(self, method, timeout=60, **params):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.rpc_port}/", data=body,
            headers={"Content-Type": "application/json", "Authorization": self._authorization()})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            reply = json.loads(response.read())
        if "error" in reply:
            raise harness.RpcError(f"{self.name} {method}: {reply['error']}")
        return reply["result"]

    def metrics(self):
        """The /metrics page parsed to {(name, labels): value}, or None without one (slice B)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.rpc_port}/metrics",
                                         headers={"Authorization": self._authorization()})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read().decode()
        except (urllib.error.URLError, OSError):
            return None
        return parse_metrics(text)

    def proc(self):
        """RSS, peak RSS (bytes) and open file descriptors from /proc, or {} when gone."""
        out = {}
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in ("VmRSS", "VmHWM"):
                        out[key] = int(value.split()[0]) * 1024
            out["fds"] = len(os.listdir(f"/proc/{self.pid}/fd"))
        except (OSError, TypeError):
            return {}
        return {"rss_bytes": out.get("VmRSS"), "peak_rss_bytes": out.get("VmHWM"), "open_fds": out.get("fds")}


METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')


def parse_metrics(text):
    """Prometheus text format 0.0.4 → {(name, labels-string): float}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = METRIC_LINE.match(line)
        if m:
            try:
                out[(m.group(1), m.group(3) or "")] = float(m.group(4))
            except ValueError:
                pass
    return out


class Devnet:
    """A running devnet: nodes, its phrase (in a 0600 file for cairn_txgen) and how to stop it."""

    def __init__(self, directory, description, stop):
        self.dir = directory
        self.description = description
        self.nodes = [Node(entry) for entry in description["nodes"]]
        self._stop = stop
        self.mnemonic_file = os.path.join(directory, "bench-mnemonic")
        with open(os.open(self.mnemonic_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(description["mnemonic"] + "\n")

    def close(self):
        self._stop()


def binaries(build_dir, cairn, launcher, tool):
    """(cairnd, cairn, cairn_txgen) of a build directory (relative to the repository or
    absolute); `cairn` overrides the build's. Exits naming what is missing and how to build it."""
    build = build_dir if os.path.isabs(build_dir) else os.path.join(ROOT, build_dir)
    cairnd = os.path.join(build, "apps", "cairnd", "cairnd")
    cairn = cairn or os.path.join(build, "apps", "cairn", "cairn")
    txgen = os.path.join(build, "bench", "cairn_txgen")
    for binary in (cairnd, txgen) + ((cairn,) if launcher == "cairn" else ()):
        if not os.access(binary, os.X_OK):
            sys.exit(f"{tool}: {binary} not found (BUILD_DIR={build_dir} TARGETS=\"cairnd cairn cairn_txgen\" "
                     "scripts/build.sh)")
    return cairnd, cairn, txgen


def start(cairnd, cairn, txgen, directory, nodes, base_port=None, mine_interval_ms=1000, launcher="auto"):
    """Starts a fresh devnet of `nodes` nodes in `directory`; launcher auto|cairn|harness."""
    os.makedirs(directory, exist_ok=True)
    if launcher == "cairn" or (launcher == "auto" and has_devnet_command(cairn)):
        return _start_with_cairn(cairn, directory, nodes, base_port, mine_interval_ms)
    return _start_with_harness(cairnd, txgen, directory, nodes, mine_interval_ms)


def _start_with_cairn(cairn, directory, nodes, base_port, mine_interval_ms):
    command = [cairn, "devnet", "up", "--dir", directory, "--nodes", str(nodes),
               "--mine-interval", str(mine_interval_ms)]
    if base_port:
        command += ["--base-port", str(base_port)]
    log(f"devnet: {' '.join(command)}")
    subprocess.run(command, check=True, stdout=sys.stderr)

    def stop():
        subprocess.run([cairn, "devnet", "down", "--dir", directory], stdout=sys.stderr, check=False)

    with open(os.path.join(directory, "devnet.json")) as f:
        description = json.load(f)
    description["launcher"] = "cairn devnet"
    return Devnet(directory, description, stop)


def _start_with_harness(cairnd, txgen, directory, count, mine_interval_ms):
    phrase = fresh_phrase()
    phrase_file = os.path.join(directory, "phrase")
    with open(os.open(phrase_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(phrase + "\n")
    addresses = json.loads(subprocess.run(
        [txgen, "address", "--mnemonic-file", phrase_file, "--account", "0", "--count", str(count)],
        check=True, capture_output=True, text=True).stdout)["addresses"]
    procs = []

    def stop():
        for p in procs:
            code = p.stop()
            log(f"devnet: {p.name} stopped ({code})")

    try:
        for i in range(count):
            node = harness.Cairnd(cairnd, os.path.join(directory, f"node{i}"), name=f"node{i}")
            node.launch("--mine", "--mine-to", addresses[i]["address"], "--mine-interval", str(mine_interval_ms),
                        bootstrap=procs[:1])
            node.wait_ready()
            procs.append(node)
        if not harness.wait_until(lambda: all(peer_count(p.rpc("net_get_info")) for p in procs),
                                  CONNECT_TIMEOUT, 0.5):
            log("devnet: warning: not every node has a peer yet")
    except BaseException:
        stop()
        raise
    description = {
        "network": "regtest", "dir": os.path.abspath(directory), "mnemonic": phrase,
        "wallet_password_file": None, "launcher": "harness",
        "nodes": [{"name": p.name, "index": i, "datadir": os.path.abspath(p.datadir), "pid": p.process.pid,
                   "p2p_port": p.p2p_port, "rpc_port": p.rpc_port, "rpc_url": f"http://127.0.0.1:{p.rpc_port}/",
                   "explorer_url": f"http://127.0.0.1:{p.rpc_port}/",
                   "metrics_url": f"http://127.0.0.1:{p.rpc_port}/metrics", "cookie_file": p.cookie,
                   "peer_id": p.peer_id, "p2p_address": p.address, "miner": True, "validator": None,
                   "wallet": {"name": None, "account": i, "address": addresses[i]["address"]},
                   "log_file": os.path.abspath(p.log_path)} for i, p in enumerate(procs)]}
    with open(os.path.join(directory, "devnet.json"), "w") as f:
        json.dump(description, f, indent=1)
    return Devnet(directory, description, stop)


def cpu_ticks():
    """(idle, total) jiffies of the whole machine from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return fields[3] + fields[4], sum(fields)


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"
