#!/usr/bin/env python3
"""NAT port mapping through a real gateway: Debian's miniupnpd (NAT-PMP/PCP) in network
namespaces this test creates.

    inside  10.77.0.2/24 --- 10.77.0.1 [gateway: miniupnpd, nftables DNAT] 11.22.33.1 --- 11.22.33.2/24  outside

`nat_probe inside` (a Cairn Host plus a PortMapper pointed at 10.77.0.1) maps its TCP port and
prints the external address; `nat_probe outside` dials that address (the gateway's outside IP
and the mapped port; the outside has no route to 10.77.0.0/24) and pings the inside peer. Then
SIGTERM to the inside probe must delete the mapping from the gateway's nftables rules. This is
done once with PCP and once with NAT-PMP only. Finally a probe in the outside namespace, which
has no default route, must log exactly one info line.

11.22.33.0/24 is used because miniupnpd refuses to map on a private or reserved external
address. Exits 77 (skipped) with a message when namespaces or miniupnpd are unavailable.
Usage: nat_netns_test.py <path to nat_probe>
"""
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
INSIDE_IP, GATEWAY_IN_IP, GATEWAY_OUT_IP, OUTSIDE_IP = "10.77.0.2", "10.77.0.1", "11.22.33.1", "11.22.33.2"
PORT = 4001
MINIUPNPD = shutil.which("miniupnpd") or "/usr/sbin/miniupnpd"

NFT_RULESET = """
table inet filter {
  chain forward { type filter hook forward priority 0; policy drop; ct state established,related accept; jump miniupnpd; }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
"""

MINIUPNPD_CONF = """
ext_ifname=gwout
listening_ip=gwin
enable_natpmp=yes
enable_upnp=no
secure_mode=yes
system_uptime=no
allow 1024-65535 10.77.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
"""


def skip(message):
    print(f"nat_netns: SKIPPED: {message}", file=sys.stderr)
    sys.exit(SKIP)


def run(*args, timeout=10):
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=timeout)


class Lines:
    """A child process whose stdout/stderr lines are collected by threads, so that every
    read is a bounded wait."""

    def __init__(self, args, name):
        self.name = name
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out = queue.Queue()
        self.err_lines = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.out.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.err_lines.append), daemon=True).start()

    @staticmethod
    def _pump(stream, sink):
        for line in stream:
            sink(line.rstrip("\n"))

    def next_json(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.name}: no output within {timeout} s; stderr: {self.err_lines}")
            try:
                line = self.out.get(timeout=left)
            except queue.Empty:
                continue
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue

    def wait_for_stderr(self, needle, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(needle in line for line in self.err_lines):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{self.name}: '{needle}' not seen; stderr: {self.err_lines}")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        return self.proc.returncode


def ruleset(ns):
    return run("ip", "netns", "exec", ns, "nft", "list", "ruleset").stdout


def map_connect_delete(probe, inside, gateway, outside, protocol, port, children):
    """The inside probe maps `port` by `protocol` (PCP first, or NAT-PMP only), the outside
    probe connects in through the mapping and pings, SIGTERM deletes the mapping."""
    flag = "pcp" if protocol == "PCP" else "nat-pmp"
    node = Lines(["ip", "netns", "exec", inside, probe, "inside", "--gateway", GATEWAY_IN_IP,
                  "--port", str(port), "--protocol", flag], f"inside probe ({protocol})")
    children.append(node)
    listening = node.next_json(10)
    assert listening["event"] == "listening", listening
    mapped = node.next_json(15)
    assert mapped["event"] == "mapped", mapped
    external = mapped["external"]
    assert external == f"/ip4/{GATEWAY_OUT_IP}/tcp/{port}", external
    node.wait_for_stderr(f"by {protocol} for", 5)
    rules = ruleset(gateway)
    assert f"dnat ip to {INSIDE_IP}:{port}" in rules, rules
    print(f"nat_netns: {protocol}: mapped {external} -> {INSIDE_IP}:{port}")

    # The outside has no route to the inside subnet: only the mapping lets it in.
    dialer = subprocess.run(["ip", "netns", "exec", outside, probe, "outside", "--dial",
                             f"{external}/p2p/{mapped['peer_id']}", "--timeout-ms", "20000"],
                            capture_output=True, text=True, timeout=30)
    answers = [json.loads(line) for line in dialer.stdout.splitlines() if line.startswith("{")]
    assert dialer.returncode == 0 and answers and answers[-1]["event"] == "pinged", (
        dialer.returncode, dialer.stdout, dialer.stderr)
    assert answers[-1]["peer_id"] == mapped["peer_id"], answers
    print(f"nat_netns: {protocol}: outside peer pinged the inside peer through {external} "
          f"(rtt {answers[-1]['rtt_us']} us)")

    os.kill(node.proc.pid, signal.SIGTERM)
    stopped = node.next_json(10)
    assert stopped == {"event": "stopped", "deleted": True}, stopped
    assert node.proc.wait(timeout=10) == 0
    rules = ruleset(gateway)
    assert f"{INSIDE_IP}:{port}" not in rules and f"dport {port} " not in rules, rules
    print(f"nat_netns: {protocol}: mapping deleted on SIGTERM")


def no_gateway(probe, ns, children):
    """Where there is no default route, the probe logs one info line and nothing else."""
    node = Lines(["ip", "netns", "exec", ns, probe, "inside", "--port", str(PORT)], "probe without gateway")
    children.append(node)
    assert node.next_json(10)["event"] == "listening"
    node.wait_for_stderr("NAT: no default IPv4 gateway; port mapping off", 5)
    time.sleep(0.5)
    os.kill(node.proc.pid, signal.SIGTERM)
    stopped = node.next_json(10)
    assert stopped == {"event": "stopped", "deleted": False}, stopped
    assert node.proc.wait(timeout=10) == 0
    time.sleep(0.1)  # let the stderr reader drain
    lines = [line for line in node.err_lines if line.startswith("nat_probe: ")]
    assert lines == ["nat_probe: NAT: no default IPv4 gateway; port mapping off"], node.err_lines
    print("nat_netns: no gateway: one info line")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    probe = os.path.abspath(sys.argv[1])
    if not os.access(MINIUPNPD, os.X_OK):
        skip("miniupnpd is not installed (apt-get install miniupnpd-nftables)")
    for tool in ("ip", "nft"):
        if not shutil.which(tool):
            skip(f"'{tool}' is not installed (iproute2, nftables)")
    tag = f"cn{os.getpid()}"
    inside, gateway, outside = f"{tag}i", f"{tag}g", f"{tag}o"
    made = []
    children = []
    tmp = tempfile.mkdtemp(prefix="cairn_nat_")
    try:
        for ns in (inside, gateway, outside):
            try:
                run("ip", "netns", "add", ns)
            except (subprocess.CalledProcessError, OSError) as e:
                reason = (getattr(e, "stderr", None) or str(e)).strip()
                skip(f"cannot create network namespaces here ({reason})")
            made.append(ns)
        run("ip", "-n", inside, "link", "add", "in0", "type", "veth", "peer", "name", "gwin", "netns", gateway)
        run("ip", "-n", outside, "link", "add", "out0", "type", "veth", "peer", "name", "gwout", "netns", gateway)
        for ns, dev, addr in ((inside, "in0", INSIDE_IP), (gateway, "gwin", GATEWAY_IN_IP),
                              (gateway, "gwout", GATEWAY_OUT_IP), (outside, "out0", OUTSIDE_IP)):
            run("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            run("ip", "-n", ns, "link", "set", dev, "up")
        for ns in made:
            run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "-n", inside, "route", "add", "default", "via", GATEWAY_IN_IP)
        run("ip", "netns", "exec", gateway, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        nft_file = os.path.join(tmp, "gateway.nft")
        with open(nft_file, "w") as f:
            f.write(NFT_RULESET)
        run("ip", "netns", "exec", gateway, "nft", "-f", nft_file)
        conf = os.path.join(tmp, "miniupnpd.conf")
        with open(conf, "w") as f:
            f.write(MINIUPNPD_CONF)

        upnpd = Lines(["ip", "netns", "exec", gateway, MINIUPNPD, "-f", conf, "-d",
                       "-P", os.path.join(tmp, "miniupnpd.pid")], "miniupnpd")
        children.append(upnpd)
        upnpd.wait_for_stderr("Listening for NAT-PMP/PCP traffic", 10)

        for protocol, port in (("PCP", PORT), ("NAT-PMP", PORT + 1)):
            map_connect_delete(probe, inside, gateway, outside, protocol, port, children)
        no_gateway(probe, outside, children)
        print("nat_netns: ok")
        return 0
    finally:
        for child in reversed(children):
            child.stop()
        for ns in reversed(made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
