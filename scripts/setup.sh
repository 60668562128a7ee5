#!/usr/bin/env bash
# Installs everything Cairn needs to build and test on Debian 12, from Debian's
# packages (apt-get) and, for the Node.js test tools, `npm ci` from the committed
# package-lock.json. Nothing is downloaded any other way. Safe to run again: it
# only calls apt-get when a package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # toolchains
  build-essential cmake ninja-build ccache pkg-config git
  clang-14 lld-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
  # libraries (DESIGN.md "Dependencies")
  libsodium-dev librust-blake3-dev librocksdb-dev libboost-dev
  libprotobuf-dev protobuf-compiler nlohmann-json3-dev libsimdjson-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libssl-dev libicu-dev
  wabt python3-mnemonic
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # NAT-PMP/PCP gateway for tests/net/nat_netns_test.py (network namespaces)
  miniupnpd-nftables nftables iproute2
  nodejs
  # the explorer's browser test (headless, driven by playwright-core), the Prometheus
  # scrape test, and the benchmark charts
  chromium prometheus gnuplot-nox
)

sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node.js >= 20.19 runs the interop and browser test tools (DESIGN.md asks for >= 20;
# @noble/hashes 2 needs 20.19). Debian 12 ships 18; where the installed node is older,
# install a newer one from the npm registry's `node` package.
node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' 2>/dev/null; }
if ! node_ok; then
  command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq npm
  echo "setup: node $(node --version 2>/dev/null || echo absent) is older than 20.19; installing node@20 from the npm registry"
  "${sudo_cmd[@]}" npm install --global --no-audit --no-fund node@20
  hash -r
fi
node_ok || { echo "setup: Node.js >= 20.19 is required, found $(node --version 2>/dev/null || echo none)" >&2; exit 1; }

# The Node.js test tools: @noble/hashes at the root, js-libp2p under tests/interop.
for dir in . tests/interop; do
  [[ -f $dir/package-lock.json ]] && (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
done
echo "setup: ok"
