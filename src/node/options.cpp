#include "node/options.h"

#include <charconv>
#include <cstdlib>
#include <utility>

#include <CLI/CLI.hpp>

#include "primitives/address.h"
#include "rpc/auth.h"

namespace cairn {

std::string HostPort::to_string() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool HostPort::is_loopback() const {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

Result<HostPort> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error{ErrorCode::invalid_argument, "expected [IPV6]:PORT, got '" + std::string(text) + "'"};
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Error{ErrorCode::invalid_argument, "expected HOST:PORT, got '" + std::string(text) + "'"};
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Error{ErrorCode::invalid_argument, "an IPv6 address needs brackets: [ADDRESS]:PORT"};
    }
  }
  if (host.empty()) return Error{ErrorCode::invalid_argument, "missing host in '" + std::string(text) + "'"};
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
    return Error{ErrorCode::invalid_argument,
                 "port must be a number from 1 to 65535, got '" + std::string(port) + "'"};
  }
  return HostPort{std::string(host), static_cast<uint16_t>(value)};
}

uint16_t default_p2p_port(Network net) {
  switch (net) {
    case Network::mainnet:
      return 8644;
    case Network::testnet:
      return 18644;
    case Network::regtest:
      return 28644;
  }
  return 0;
}

uint16_t default_rpc_port(Network net) { return static_cast<uint16_t>(default_p2p_port(net) + 1); }

void add_common_options(CLI::App& app, CommonOptions& options) {
  app.add_option("--network", options.network, "Network: mainnet, testnet or regtest")->capture_default_str();
  app.add_option("--datadir", options.datadir,
                 "Base data directory; each network keeps its files in <datadir>/<network> "
                 "(default: $HOME/.cairn)");
  app.set_config("--config", "", "TOML file of options, keyed by long flag names; flags override it")
      ->check(CLI::ExistingFile);
}

void add_node_options(CLI::App& app, NodeOptions& options) {
  add_common_options(app, options.common);
  app.add_option("--p2p-listen", options.p2p_listen,
                 "Multiaddr to accept peers on (repeatable), e.g. /ip4/0.0.0.0/tcp/8644; "
                 "default: all interfaces on the network's P2P port");
  app.add_option("--bootstrap", options.bootstrap,
                 "Multiaddr of a peer to connect to at start (repeatable), "
                 "e.g. /ip4/203.0.113.5/tcp/8644/p2p/12D3KooW...");
  app.add_flag("--no-p2p", options.no_p2p, "Do not join the peer-to-peer network (a node on its own)");
  app.add_option("--max-inbound", options.max_inbound,
                 "Most inbound peer connections (default " + std::to_string(kDefaultP2pMaxInbound) + ")")
      ->check(CLI::Range(size_t{1}, kMaxP2pConnections));
  app.add_option("--max-outbound", options.max_outbound,
                 "Outbound peer connections to keep (default " + std::to_string(kDefaultP2pMaxOutbound) +
                     "); inbound peers never take these slots")
      ->check(CLI::Range(size_t{1}, kMaxP2pConnections));
  app.add_flag("--mdns", options.mdns, "Find peers on the local network with mDNS (and announce this node)");
  app.add_option("--rpc-listen", options.rpc_listen,
                 "HOST:PORT of the JSON-RPC, WebSocket, explorer and metrics server "
                 "(default: 127.0.0.1 on the network's RPC port); beyond loopback it needs --rpc-user");
  app.add_option("--rpc-user", options.rpc_users,
                 "NAME:GROUP:SALT$HASH of an RPC user (repeatable): GROUP public or admin, SALT$HASH the "
                 "salted password hash (docs/operations.md)");
  app.add_flag("--rpc-public", options.rpc_public,
               "Serve public methods without credentials on a non-loopback --rpc-listen (admin methods "
               "still need the cookie or an admin --rpc-user)");
  app.add_option("--rpc-allow-host", options.rpc_allow_hosts,
                 "A Host header value to accept besides the listen address and localhost (repeatable), "
                 "e.g. node.example.org:8645 behind a proxy");
  app.add_option("--rpc-allow-origin", options.rpc_allow_origins,
                 "A WebSocket Origin to accept besides the server's own pages (repeatable), e.g. "
                 "https://explorer.example.org");
  app.add_option("--rpc-max-connections", options.rpc_max_connections,
                 "Most HTTP and WebSocket connections at once (default 256)")
      ->check(CLI::Range(size_t{1}, size_t{100'000}));
  app.add_option("--rpc-max-websockets", options.rpc_max_websockets,
                 "Most WebSocket connections at once (default 128)")
      ->check(CLI::Range(size_t{1}, size_t{100'000}));
  app.add_option("--rpc-max-in-flight", options.rpc_max_in_flight,
                 "Most requests being handled at once; more get HTTP 503 with Retry-After (default 64)")
      ->check(CLI::Range(size_t{1}, size_t{100'000}));
  app.add_option("--rpc-tls-cert", options.rpc_tls_cert, "PEM certificate chain: serve RPC over TLS");
  app.add_option("--rpc-tls-key", options.rpc_tls_key, "PEM private key of --rpc-tls-cert");
  app.add_flag("--no-rpc", options.no_rpc, "Do not serve JSON-RPC (nor write the RPC cookie)");
  app.add_flag("--mine", options.mine, "Mine blocks on the best chain's tip");
  app.add_option("--mine-to", options.mine_to,
                 "Address the mined blocks' coinbase pays (required with --mine except on regtest)");
  app.add_option("--mine-threads", options.mine_threads, "Threads searching nonces")->capture_default_str();
  app.add_option("--mine-interval", options.mine_interval_ms,
                 "Milliseconds to pause after each mined block (a devnet's pace; regtest's proof of work is "
                 "trivial)")
      ->check(CLI::Range(uint64_t{0}, kMaxMineIntervalMs))
      ->capture_default_str();
  app.add_option("--prune", options.prune,
                 "Keep only the last N blocks' bodies and undo data (0: keep all, an archive node; "
                 "else at least " +
                     std::to_string(kMinPruneDepth) + ")")
      ->capture_default_str();
  app.add_flag("--check-chain", options.check_chain,
               "Check the chain state (UTXO set against the state root, indexes) and exit: 0 when sound");
  app.add_flag("--check-chain-replay", options.check_chain_replay,
               "--check-chain, and also rebuild the state from the stored blocks and compare (archive "
               "nodes; slower, needs memory for the whole state)");
  app.add_option("--validator-key", options.validator_key,
                 "Encrypted keystore file of this node's finality voting key (cairn key validator-new); "
                 "cairnd then votes every epoch");
  app.add_option("--validator-password-file", options.validator_password_file,
                 "File (mode 0600) whose first line is the --validator-key password; default: ask on the "
                 "terminal");
  app.add_option("--checkpoint", options.checkpoint,
                 "HEIGHT:HASH of a block every chain must contain (weak subjectivity), replacing the "
                 "release's; take it from a source you trust");
  app.add_option("--slashing-protection", options.slashing_protection,
                 "The validator's record of signed votes, written before every vote; keep it with the "
                 "key (default: <datadir>/<network>/slashing-protection)");
}

std::filesystem::path default_datadir() {
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".cairn";
}

Result<ResolvedPaths> resolve_paths(const CommonOptions& options) {
  auto net = network_from_name(options.network);
  if (!net) {
    return Error{ErrorCode::invalid_argument, "--network: unknown network '" + options.network +
                                                  "' (expected mainnet, testnet or regtest)"};
  }
  ResolvedPaths paths;
  paths.network = *net;
  paths.datadir = options.datadir.empty() ? default_datadir() : std::filesystem::path(options.datadir);
  paths.network_datadir = paths.datadir / std::string(network_name(*net));
  return paths;
}

Result<WeakSubjectivityCheckpoint> parse_checkpoint(std::string_view text) {
  const size_t colon = text.find(':');
  const std::string_view height_text = text.substr(0, colon);
  uint64_t height = 0;
  const auto [end, ec] = std::from_chars(height_text.data(), height_text.data() + height_text.size(), height);
  if (colon == std::string_view::npos || height_text.empty() || ec != std::errc{} ||
      end != height_text.data() + height_text.size()) {
    return Error{ErrorCode::invalid_argument, "expected HEIGHT:HASH, e.g. 1000:00000000a1b2..."};
  }
  auto hash = Hash256::from_hex(text.substr(colon + 1));
  if (!hash) return Error{ErrorCode::invalid_argument, "the hash must be 64 hex digits"};
  return WeakSubjectivityCheckpoint{height, *hash};
}

Result<RpcOptions> resolve_rpc_options(const NodeOptions& options, const HostPort& listen) {
  RpcOptions rpc;
  rpc.enabled = !options.no_rpc;
  rpc.listen = listen;
  rpc.public_without_auth = options.rpc_public;
  for (const std::string& line : options.rpc_users) {
    if (auto checked = rpc::parse_user_line(line); !checked) {
      return Error{ErrorCode::invalid_argument, "--rpc-user: " + checked.error().message};
    }
  }
  rpc.users = options.rpc_users;
  for (const std::string& host : options.rpc_allow_hosts) {
    if (host.empty() || host.find_first_of(" \t/") != std::string::npos) {
      return Error{ErrorCode::invalid_argument,
                   "--rpc-allow-host: expected a host name or HOST:PORT, got '" + host + "'"};
    }
  }
  rpc.allow_hosts = options.rpc_allow_hosts;
  for (const std::string& origin : options.rpc_allow_origins) {
    if (!origin.starts_with("http://") && !origin.starts_with("https://")) {
      return Error{
          ErrorCode::invalid_argument,
          "--rpc-allow-origin: expected http://HOST[:PORT] or https://HOST[:PORT], got '" + origin + "'"};
    }
  }
  rpc.allow_origins = options.rpc_allow_origins;
  if (options.rpc_max_connections != 0) rpc.max_connections = options.rpc_max_connections;
  if (options.rpc_max_websockets != 0) rpc.max_websockets = options.rpc_max_websockets;
  if (options.rpc_max_in_flight != 0) rpc.max_in_flight = options.rpc_max_in_flight;
  if (options.rpc_tls_cert.empty() != options.rpc_tls_key.empty()) {
    return Error{ErrorCode::invalid_argument,
                 "--rpc-tls-cert and --rpc-tls-key go together: give both or neither"};
  }
  for (const auto& [flag, file] : {std::pair{"--rpc-tls-cert", &options.rpc_tls_cert},
                                   std::pair{"--rpc-tls-key", &options.rpc_tls_key}}) {
    std::error_code ec;
    if (!file->empty() && !std::filesystem::is_regular_file(*file, ec)) {
      return Error{ErrorCode::invalid_argument, std::string(flag) + ": no such file '" + *file + "'"};
    }
  }
  if (!options.rpc_tls_cert.empty()) {
    rpc.tls_cert = options.rpc_tls_cert;
    rpc.tls_key = options.rpc_tls_key;
  }
  if (rpc.enabled && !listen.is_loopback() && rpc.users.empty()) {
    return Error{ErrorCode::invalid_argument,
                 "--rpc-listen " + listen.to_string() +
                     " is not a loopback address: it needs --rpc-user (and --rpc-public to serve public "
                     "methods without credentials)"};
  }
  return rpc;
}

Result<ResolvedNodeOptions> resolve_node_options(const NodeOptions& options) {
  CAIRN_TRY(auto paths, resolve_paths(options.common));
  ResolvedNodeOptions out;
  out.paths = paths;
  out.mine = options.mine;
  out.check_chain = options.check_chain || options.check_chain_replay;
  out.check_chain_replay = options.check_chain_replay;
  if (!options.mine_to.empty()) {
    auto lock = decode_address(paths.network, options.mine_to);
    if (!lock) return Error{ErrorCode::invalid_argument, "--mine-to: " + lock.error().message};
    out.mine_to = *lock;
  } else if (options.mine && paths.network != Network::regtest) {
    return Error{ErrorCode::invalid_argument, "--mine needs --mine-to ADDRESS on " +
                                                  std::string(network_name(paths.network)) +
                                                  " (the address the block rewards pay)"};
  }
  if (options.mine_threads < 1 || options.mine_threads > kMaxMineThreads) {
    return Error{ErrorCode::invalid_argument,
                 "--mine-threads: expected 1 to " + std::to_string(kMaxMineThreads)};
  }
  out.mine_threads = options.mine_threads;
  out.mine_interval_ms = options.mine_interval_ms;
  if (options.prune != 0 && options.prune < kMinPruneDepth) {
    return Error{ErrorCode::invalid_argument, "--prune: " + std::to_string(options.prune) +
                                                  " blocks is too few to survive reorganisations; use 0 "
                                                  "(keep everything) or at least " +
                                                  std::to_string(kMinPruneDepth)};
  }
  out.prune_depth = options.prune;
  if (!options.checkpoint.empty()) {
    auto checkpoint = parse_checkpoint(options.checkpoint);
    if (!checkpoint) return Error{ErrorCode::invalid_argument, "--checkpoint: " + checkpoint.error().message};
    out.checkpoint = *checkpoint;
  }

  if (options.rpc_listen.empty()) {
    out.rpc_listen = HostPort{"127.0.0.1", default_rpc_port(paths.network)};
  } else {
    auto hp = parse_host_port(options.rpc_listen);
    if (!hp) return Error{ErrorCode::invalid_argument, "--rpc-listen: " + hp.error().message};
    out.rpc_listen = *hp;
  }
  CAIRN_TRY(out.rpc, resolve_rpc_options(options, out.rpc_listen));

  // Full multiaddr parsing belongs to the network layer; here we catch the common mistake
  // of passing HOST:PORT where a multiaddr is expected.
  auto check_multiaddrs = [](const char* flag, const std::vector<std::string>& values) -> Status {
    for (const auto& v : values) {
      if (!v.starts_with('/')) {
        return Error{
            ErrorCode::invalid_argument,
            std::string(flag) + ": '" + v + "' is not a multiaddr (expected e.g. /ip4/127.0.0.1/tcp/8644)"};
      }
    }
    return {};
  };
  CAIRN_TRY_STATUS(check_multiaddrs("--p2p-listen", options.p2p_listen));
  CAIRN_TRY_STATUS(check_multiaddrs("--bootstrap", options.bootstrap));
  out.p2p.enabled = !options.no_p2p;
  out.p2p.listen = options.p2p_listen;
  if (out.p2p.listen.empty()) {
    out.p2p.listen.push_back("/ip4/0.0.0.0/tcp/" + std::to_string(default_p2p_port(paths.network)));
  }
  out.p2p.bootstrap = options.bootstrap;
  if (options.max_inbound != 0) out.p2p.max_inbound = options.max_inbound;
  if (options.max_outbound != 0) out.p2p.max_outbound = options.max_outbound;
  out.p2p.mdns = options.mdns;

  if (!options.validator_key.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.validator_key, ec)) {
      return Error{ErrorCode::invalid_argument,
                   "--validator-key: no such file '" + options.validator_key + "'"};
    }
    out.validator_key = options.validator_key;
    out.validator_password_file = options.validator_password_file;
    out.slashing_protection = options.slashing_protection.empty()
                                  ? paths.network_datadir / "slashing-protection"
                                  : std::filesystem::path(options.slashing_protection);
  } else if (!options.validator_password_file.empty() || !options.slashing_protection.empty()) {
    return Error{ErrorCode::invalid_argument,
                 "--validator-password-file and --slashing-protection need --validator-key"};
  }
  return out;
}

}  // namespace cairn
