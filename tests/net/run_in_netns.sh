#!/bin/sh
# Runs "$@" in a new user and network namespace whose loopback carries multicast
# (224.0.0.0/4 routed to lo), for the mDNS tests: nothing reaches the host's networks and the
# host's configuration is untouched. Exits 77 (skipped) where namespaces are not allowed.
if ! command -v unshare >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
  echo "run_in_netns: unshare or ip not found; skipping" >&2
  exit 77
fi
if ! unshare -rn true 2>/dev/null; then
  echo "run_in_netns: unprivileged network namespaces are not allowed here; skipping" >&2
  exit 77
fi
exec unshare -rn sh -c 'ip link set lo up multicast on && ip route add 224.0.0.0/4 dev lo && exec "$@"' run_in_netns "$@"
