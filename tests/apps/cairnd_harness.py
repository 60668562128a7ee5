"""What the Python end-to-end tests share: a log with times, checks that collect failures,
free loopback ports, bounded waits, and Cairnd — one cairnd process on regtest with its own
data dir, RPC on a free loopback port (P2P on another unless --no-p2p), called over JSON-RPC
with its cookie, and stopped by its PID (SIGTERM, a bounded wait, then SIGKILL).

Imported by the scripts in tests/apps/ (they run with this directory on sys.path).
"""
import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

START_TIMEOUT = 30  # seconds for cairnd to serve RPC
RPC_TIMEOUT = 60  # seconds one RPC call may take
STOP_TIMEOUT = 30  # seconds between SIGTERM and SIGKILL

failures = []  # what check() found wrong, in order


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def check(condition, what):
    """Records `what` as a failure unless `condition` holds; returns `condition`."""
    if not condition:
        failures.append(what)
        log(f"FAIL: {what}")
    return condition


def free_port():
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, interval=0.2):
    """Polls predicate() until it returns a true value (returned) or timeout seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


class RpcError(Exception):
    """A JSON-RPC error reply (the message names the node and the method)."""


class Cairnd:
    """One cairnd process on regtest with its own data dir, P2P port and RPC port."""

    def __init__(self, cairnd, datadir, name="cairnd"):
        self.cairnd = cairnd
        self.name = name
        self.datadir = datadir
        os.makedirs(self.datadir, exist_ok=True)
        self.p2p_port = free_port()
        self.rpc_port = free_port()
        self.process = None
        self.log_path = None
        self.starts = 0
        self.peer_id = None
        self.p2p = False
        self.args = []

    @property
    def cookie(self):
        return os.path.join(self.datadir, "regtest", "rpc.cookie")

    @property
    def address(self):
        """The P2P multiaddr with /p2p/<peer id> (known once the node ran)."""
        return f"/ip4/127.0.0.1/tcp/{self.p2p_port}/p2p/{self.peer_id}"

    def start(self, *args, bootstrap=()):
        self.launch(*args, bootstrap=bootstrap)
        return self.wait_ready()

    def launch(self, *args, bootstrap=()):
        """Starts cairnd without waiting for it (wait_ready() does)."""
        self.args = list(args)
        self.starts += 1
        self.log_path = os.path.join(self.datadir, f"cairnd.{self.starts}.log")
        self.p2p = "--no-p2p" not in args
        command = [self.cairnd, "--network", "regtest", "--datadir", self.datadir,
                   "--rpc-listen", f"127.0.0.1:{self.rpc_port}", *args]
        if self.p2p:
            command += ["--p2p-listen", f"/ip4/127.0.0.1/tcp/{self.p2p_port}"]
        for peer in bootstrap:
            command += ["--bootstrap", peer.address]
        if os.path.exists(self.cookie):
            os.remove(self.cookie)  # a cookie left by a killed run is not the new node's
        with open(self.log_path, "w") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=START_TIMEOUT):
        """Waits (bounded) until the launched cairnd serves RPC; learns its peer id."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.process.returncode}: {self.tail()}")
            if os.path.exists(self.cookie):
                try:
                    if self.p2p:
                        self.peer_id = self.rpc("net_get_info")["peer_id"]
                    else:
                        self.rpc("chain_get_info")
                    return self
                except (OSError, RpcError, ValueError):
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not serve RPC in {timeout} s: {self.tail()}")

    def tail(self, chars=3000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-chars:]
        except (OSError, TypeError):
            return ""

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def rpc(self, method, **params):
        with open(self.cookie) as f:
            credentials = f.read().strip()
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.rpc_port}/", data=body,
            headers={"Content-Type": "application/json",
                     "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()})
        with urllib.request.urlopen(request, timeout=RPC_TIMEOUT) as response:
            reply = json.loads(response.read())
        if "error" in reply:
            raise RpcError(f"{self.name} {method}: {reply['error']}")
        return reply["result"]

    def stop(self):
        """SIGTERM (after SIGCONT, in case a test stopped it), a bounded wait, then SIGKILL."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        return code

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def height(self):
        return self.rpc("chain_get_info")["height"]

    def info(self):
        return self.rpc("chain_get_info")

    def generate(self, count, address):
        return self.rpc("miner_generate", count=count, address=address)
