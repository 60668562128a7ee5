#include "node/options.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include <CLI/CLI.hpp>

namespace cairn {
// toml++ 3.3 (Debian 12's) checks some of its parser's states with assertions that malformed
// input can break (`log-level = [}` fails `!is_value_terminator(*cp)`): cairnd aborted with
// assertions on, and without them (NDEBUG) the check is an optimizer assumption, undefined
// behaviour. Found by tests/fuzz/node_config_fuzz.cpp. Its assertions throw this instead, and
// the loader refuses the file. NDEBUG is lifted around the include so that TOML_ASSERT is used
// in both builds; the library is header-only and included by this file alone.
struct TomlParserFault : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] inline void toml_parser_fault(const char* check) { throw TomlParserFault(check); }
}  // namespace cairn
#pragma push_macro("NDEBUG")
#undef NDEBUG
#define TOML_ASSERT(expr) ((expr) ? static_cast<void>(0) : ::cairn::toml_parser_fault(#expr))
#include <toml++/toml.h>
#undef TOML_ASSERT
#pragma pop_macro("NDEBUG")

#include "primitives/address.h"
#include "rpc/auth.h"
#include "rpc/server.h"

namespace cairn {

static_assert(kDefaultRpcMaxConnections == rpc::kDefaultMaxConnections);
static_assert(kDefaultRpcMaxWebSockets == rpc::kDefaultMaxWebSocketConnections);
static_assert(kDefaultRpcMaxInFlight == rpc::kDefaultMaxInFlight);

namespace {

void add_network_options(CLI::App& app, CommonOptions& options) {
  app.add_option("--network", options.network, "Network: mainnet, testnet or regtest")->capture_default_str();
  app.add_option("--datadir", options.datadir,
                 "Base data directory; each network keeps its files in <datadir>/<network> "
                 "(default: $HOME/.cairn)");
}

}  // namespace

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
  add_network_options(app, options);
  app.set_config("--config", "", "TOML file of options, keyed by long flag names; flags override it")
      ->check(CLI::ExistingFile);
}

void add_node_options(CLI::App& app, NodeOptions& options) {
  add_network_options(app, options.common);
  app.add_option("--config", options.config,
                 "TOML file of options keyed by long flag names (default: <datadir>/cairnd.toml if it "
                 "exists); environment variables and flags override it");
  app.add_flag("--print-config", options.print_config,
               "Print the effective configuration (every option, its value and where it came from) as "
               "TOML and exit");
  app.add_option("--p2p-listen", options.p2p_listen,
                 "Multiaddr to accept peers on (repeatable), e.g. /ip4/0.0.0.0/tcp/8644; "
                 "default: all interfaces on the network's P2P port");
  app.add_option("--bootstrap", options.bootstrap,
                 "Multiaddr of a peer to connect to at start (repeatable), "
                 "e.g. /ip4/203.0.113.5/tcp/8644/p2p/12D3KooW...");
  app.add_flag("--no-p2p", options.no_p2p, "Do not join the peer-to-peer network (a node on its own)");
  app.add_option("--max-inbound", options.max_inbound, "Most inbound peer connections")
      ->check(CLI::Range(size_t{1}, kMaxP2pConnections))
      ->capture_default_str();
  app.add_option("--max-outbound", options.max_outbound,
                 "Outbound peer connections to keep; inbound peers never take these slots")
      ->check(CLI::Range(size_t{1}, kMaxP2pConnections))
      ->capture_default_str();
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
                 "Most HTTP and WebSocket connections at once")
      ->check(CLI::Range(size_t{1}, kMaxRpcConnections))
      ->capture_default_str();
  app.add_option("--rpc-max-websockets", options.rpc_max_websockets, "Most WebSocket connections at once")
      ->check(CLI::Range(size_t{1}, kMaxRpcConnections))
      ->capture_default_str();
  app.add_option("--rpc-max-in-flight", options.rpc_max_in_flight,
                 "Most requests being handled at once; more get HTTP 503 with Retry-After")
      ->check(CLI::Range(size_t{1}, kMaxRpcConnections))
      ->capture_default_str();
  app.add_option("--rpc-tls-cert", options.rpc_tls_cert, "PEM certificate chain: serve RPC over TLS");
  app.add_option("--rpc-tls-key", options.rpc_tls_key, "PEM private key of --rpc-tls-cert");
  app.add_flag("--no-rpc", options.no_rpc, "Do not serve JSON-RPC (nor write the RPC cookie)");
  app.add_option("--metrics-listen", options.metrics_listen,
                 "HOST:PORT of a listener serving only /metrics, to anyone who reaches it (default: none; "
                 "/metrics is then served on --rpc-listen to loopback and admin callers)");
  app.add_option("--explorer-dir", options.explorer_dir,
                 "Directory of the explorer's files (default: the installed share/cairn/explorer, else the "
                 "source tree's explorer/)");
  app.add_flag("--no-explorer", options.no_explorer, "Do not serve the explorer page at /");
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
  app.add_option("--log-level", options.log_levels,
                 "LEVEL (trace, debug, info, warning, error, critical, off) for every component, or "
                 "COMPONENT=LEVEL for one of chain, net, sync, mempool, miner, validator, rpc, contracts, "
                 "storage, node (repeatable; default info)");
  app.add_option("--log-file", options.log_file,
                 "Also write the log to this file, rotated by size (default: none, the log goes to stderr)");
  app.add_option("--log-max-size", options.log_max_size_mb, "MiB a --log-file reaches before it is rotated")
      ->check(CLI::Range(size_t{1}, kMaxLogMaxSizeMb))
      ->capture_default_str();
  app.add_option("--log-max-files", options.log_max_files,
                 "Rotated --log-file files kept (FILE.1 .. FILE.N, besides FILE)")
      ->check(CLI::Range(size_t{1}, kMaxLogMaxFiles))
      ->capture_default_str();
  app.add_flag("--log-stderr", options.log_stderr,
               "Log to stderr also with --log-file (default: stderr only without --log-file)");
  app.add_flag("--no-log-stderr", options.no_log_stderr, "Do not log to stderr");
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
  rpc.max_connections = options.rpc_max_connections;
  rpc.max_websockets = options.rpc_max_websockets;
  rpc.max_in_flight = options.rpc_max_in_flight;
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
  if (!options.metrics_listen.empty()) {
    // The RPC service serves the metrics listener; without it nothing would listen.
    if (options.no_rpc) {
      return Error{ErrorCode::invalid_argument,
                   "--metrics-listen needs the RPC service, which --no-rpc turns off (drop one of them)"};
    }
    auto hp = parse_host_port(options.metrics_listen);
    if (!hp) return Error{ErrorCode::invalid_argument, "--metrics-listen: " + hp.error().message};
    out.metrics_listen = *hp;
  }
  out.explorer = !options.no_explorer;
  if (!options.explorer_dir.empty()) out.explorer_dir = std::filesystem::path(options.explorer_dir);

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
  out.p2p.max_inbound = options.max_inbound;
  out.p2p.max_outbound = options.max_outbound;
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

  CAIRN_TRY_STATUS(parse_log_levels(options.log_levels, out.log));
  if (!options.log_file.empty()) out.log.file = std::filesystem::path(options.log_file);
  out.log.max_file_bytes = options.log_max_size_mb * 1024 * 1024;
  out.log.max_files = options.log_max_files;
  if (options.log_stderr && options.no_log_stderr) {
    return Error{ErrorCode::invalid_argument, "--log-stderr and --no-log-stderr contradict each other"};
  }
  out.log.to_stderr = options.log_stderr || (!options.no_log_stderr && !out.log.file);
  return out;
}

// ---- Configuration sources ----------------------------------------------------------------

namespace {

// Options of the command line that are not configuration.
bool is_config_key(const std::string& key) {
  return key != "help" && key != "version" && key != "config" && key != "print-config";
}

// The catalogue of config keys, read off cairnd's flags.
struct KeyInfo {
  const CLI::Option* option;
  ConfigEntry entry;
};

std::vector<KeyInfo> catalogue(CLI::App& app) {
  std::vector<KeyInfo> out;
  for (CLI::Option* option : app.get_options()) {
    option->capture_default_str();  // the default as text, for every option
    if (option->get_lnames().empty()) continue;
    const std::string key = option->get_lnames().front();
    if (!is_config_key(key)) continue;
    ConfigEntry entry;
    entry.key = key;
    entry.help = option->get_description();
    entry.is_flag = option->get_expected_max() == 0;  // add_flag: expected(0)
    entry.is_list = !entry.is_flag && option->get_expected_max() > 1;
    const std::string type = option->get_type_name();
    entry.is_integer = type.starts_with("UINT") || type.starts_with("INT");
    if (entry.is_flag) {
      entry.values = {"false"};
    } else if (!entry.is_list) {
      entry.values = {option->get_default_str()};
    }
    out.push_back(KeyInfo{option, std::move(entry)});
  }
  return out;
}

Result<bool> parse_bool(std::string_view text, const std::string& where) {
  static constexpr std::array<std::string_view, 4> kTrue{"1", "true", "yes", "on"};
  static constexpr std::array<std::string_view, 4> kFalse{"0", "false", "no", "off"};
  if (std::find(kTrue.begin(), kTrue.end(), text) != kTrue.end()) return true;
  if (std::find(kFalse.begin(), kFalse.end(), text) != kFalse.end()) return false;
  return Error{ErrorCode::invalid_argument,
               where + ": expected true or false (1/0, yes/no, on/off), got '" + std::string(text) + "'"};
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// A parsed config file: values by key, with the line each was on.
struct FileValue {
  std::vector<std::string> values;
  int64_t line = 0;
};

std::string toml_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

// One TOML value as the flag's text, or why it has the wrong type.
Result<std::string> scalar_text(const toml::node& node, const ConfigEntry& entry) {
  if (entry.is_flag) {
    if (auto b = node.value<bool>()) return std::string(*b ? "true" : "false");
    return Error{ErrorCode::invalid_argument, "expected true or false, got " + toml_type_name(node)};
  }
  if (entry.is_integer) {
    if (const auto* i = node.as_integer()) {
      if (i->get() < 0) return Error{ErrorCode::invalid_argument, "expected a number of at least 0"};
      return std::to_string(i->get());
    }
    return Error{ErrorCode::invalid_argument, "expected an integer, got " + toml_type_name(node)};
  }
  if (const auto* str = node.as_string()) return str->get();
  return Error{ErrorCode::invalid_argument, "expected a string, got " + toml_type_name(node)};
}

// One UTF-8 character at the start of `text`: its code point and length, or nullopt for
// bytes that are not UTF-8 (overlong forms and surrogates included).
std::optional<std::pair<char32_t, size_t>> utf8_character(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  const size_t length = lead < 0x80         ? 1
                        : lead >> 5 == 0x6  ? 2
                        : lead >> 4 == 0xe  ? 3
                        : lead >> 3 == 0x1e ? 4
                                            : 0;
  if (length == 0 || text.size() < length) return std::nullopt;
  char32_t cp = length == 1 ? lead : lead & (0x7f >> length);
  for (size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[k]);
    if ((next & 0xc0) != 0x80) return std::nullopt;
    cp = cp << 6 | (next & 0x3f);
  }
  constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[length] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  return std::pair{cp, length};
}

// toml++ 3.3 (Debian 12's) reaches __builtin_unreachable(), undefined behaviour, when it asks
// whether one of many characters other than ASCII is whitespace (U+00A1..U+0499,
// U+2CBE..U+30B7 and U+FE5E..U+FEFE, but U+00A0, U+3000 and U+FEFF), which it does wherever it
// reads outside a string, the rest of a malformed value included (found by
// tests/fuzz/node_config_fuzz.cpp). So it is given ASCII only: the same document with
// characters in strings as \u escapes (literal strings become basic strings) and those in
// comments as '?'. A character other than ASCII anywhere else is refused (TOML allows it
// nowhere else), as are bytes that are not UTF-8. Lines keep their numbers.
Result<std::string> ascii_toml(std::string_view text) {
  enum class In { toml, comment, basic, literal, multiline_basic, multiline_literal };
  In in = In::toml;
  std::string out;
  out.reserve(text.size());
  size_t line = 1;
  size_t line_start = 0;
  auto refuse = [&](size_t at, std::string_view what) {
    size_t column = 1;
    for (size_t k = line_start; k < at; ++k) column += (static_cast<unsigned char>(text[k]) & 0xc0) != 0x80;
    return Error{ErrorCode::invalid_argument, "line " + std::to_string(line) + " column " +
                                                  std::to_string(column) + ": " + std::string(what)};
  };
  auto run_of = [&](size_t at, char quote) {
    size_t n = 0;
    while (at + n < text.size() && text[at + n] == quote) ++n;
    return n;
  };
  const auto in_string = [&] { return in != In::toml && in != In::comment; };
  const auto literal = [&] { return in == In::literal || in == In::multiline_literal; };
  const auto multiline = [&] { return in == In::multiline_basic || in == In::multiline_literal; };
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) > 0x7f) {
      const auto character = utf8_character(text.substr(i));
      if (!character) return refuse(i, "not UTF-8");
      if (in == In::toml)
        return refuse(i, "a character other than ASCII outside a quoted string or a comment");
      if (in == In::comment) {
        out += '?';
      } else {
        char escape[11];
        std::snprintf(escape, sizeof escape, character->first <= 0xffff ? "\\u%04X" : "\\U%08X",
                      static_cast<unsigned>(character->first));
        out += escape;
      }
      i += character->second;
      continue;
    }
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      if (!multiline()) in = In::toml;  // a comment's end (or a single-line string's error)
      out += c;
      ++i;
      continue;
    }
    if (!in_string()) {
      if (in == In::toml && c == '#') in = In::comment;
      if (in == In::toml && (c == '"' || c == '\'')) {
        const bool three = run_of(i, c) >= 3;
        in = c == '"' ? (three ? In::multiline_basic : In::basic)
                      : (three ? In::multiline_literal : In::literal);
        out += three ? "\"\"\"" : "\"";  // literal strings become basic strings
        i += three ? 3 : 1;
        continue;
      }
      out += c;
      ++i;
      continue;
    }
    const char quote = literal() ? '\'' : '"';
    if (c == quote && (!multiline() || run_of(i, quote) >= 3)) {
      // The closing delimiter; up to two more quotes before it are the string's own.
      const size_t run = multiline() ? std::min<size_t>(run_of(i, quote), 5) : 1;
      out.append(run - (multiline() ? 3 : 1), c);
      out += multiline() ? "\"\"\"" : "\"";
      i += run;
      in = In::toml;
      continue;
    }
    if (literal()) {
      if (c == '\\' || c == '"') out += '\\';  // literal text in a basic string
      out += c;
      ++i;
      continue;
    }
    if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
      if (static_cast<unsigned char>(text[i + 1]) > 0x7f)
        return refuse(i, "a backslash before a character other than ASCII");
      out.append(text.substr(i, 2));  // an escape: its second character is never the closing quote
      i += 2;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

Result<std::map<std::string, FileValue>> read_config_file(const std::filesystem::path& path,
                                                          const std::vector<KeyInfo>& keys) {
  const std::string name = path.string();
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Error{ErrorCode::io, "config file " + name + ": " + ec.message()};
  if (size > kMaxConfigFileBytes) {
    return Error{ErrorCode::limit, "config file " + name + " is " + std::to_string(size) +
                                       " bytes, more than " + std::to_string(kMaxConfigFileBytes)};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{ErrorCode::io, "config file " + name + ": cannot be opened"};
  const std::string document((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Error{ErrorCode::io, "config file " + name + ": read failed"};
  auto ascii = ascii_toml(document);
  if (!ascii) return Error{ErrorCode::invalid_argument, name + " " + ascii.error().message};
  toml::table table;
  try {
    table = toml::parse(*ascii, name);
  } catch (const toml::parse_error& e) {
    return Error{ErrorCode::invalid_argument, name + " line " + std::to_string(e.source().begin.line) +
                                                  " column " + std::to_string(e.source().begin.column) +
                                                  ": " + std::string(e.description())};
  } catch (const TomlParserFault&) {
    return Error{ErrorCode::invalid_argument,
                 name +
                     ": not valid TOML (the parser gave up without a position: look for an unclosed or "
                     "malformed array or table)"};
  }
  std::map<std::string, FileValue> out;
  for (const auto& [toml_key, node] : table) {
    const std::string key(toml_key.str());
    const int64_t line = toml_key.source().begin.line;
    const std::string where = name + " line " + std::to_string(line) + ": " + key;
    auto info = std::find_if(keys.begin(), keys.end(), [&](const KeyInfo& k) { return k.entry.key == key; });
    if (info == keys.end()) {
      return Error{ErrorCode::invalid_argument,
                   where +
                       ": unknown key (keys are cairnd's long flag names without the dashes, at the top "
                       "level; see cairnd --print-config)"};
    }
    FileValue value;
    value.line = line;
    if (const toml::array* array = node.as_array(); info->entry.is_list && array != nullptr) {
      for (const toml::node& item : *array) {
        auto text = scalar_text(item, info->entry);
        if (!text) return Error{ErrorCode::invalid_argument, where + ": " + text.error().message};
        value.values.push_back(std::move(*text));
      }
    } else {
      // A list's key also takes one value (`log-level = "debug"`).
      auto text = scalar_text(node, info->entry);
      if (!text) return Error{ErrorCode::invalid_argument, where + ": " + text.error().message};
      value.values.push_back(std::move(*text));
    }
    out.emplace(key, std::move(value));
  }
  return out;
}

Result<std::vector<std::string>> env_values(const std::string& name, const std::string& text,
                                            const ConfigEntry& entry) {
  if (entry.is_flag) {
    CAIRN_TRY(bool on, parse_bool(text, name));
    return std::vector<std::string>{on ? "true" : "false"};
  }
  if (entry.is_list) return split_commas(text);
  return std::vector<std::string>{text};
}

// Runs CLI11 over `args`, turning its exceptions into Errors.
Status parse_args(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<const char*> argv{"cairnd"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return Error{ErrorCode::invalid_argument, e.what()};
  }
  return {};
}

// Says where the value an error is about came from, when that was not the command line.
Error with_origin(Error error, const std::vector<ConfigEntry>& entries) {
  for (const ConfigEntry& entry : entries) {
    if (entry.source != ConfigSource::file && entry.source != ConfigSource::env) continue;
    const std::string flag = "--" + entry.key;
    const size_t at = error.message.find(flag);
    if (at == std::string::npos) continue;
    const size_t after = at + flag.size();
    if (after < error.message.size() &&
        (std::isalnum(static_cast<unsigned char>(error.message[after])) || error.message[after] == '-'))
      continue;  // --log-file inside --log-file-x
    error.message += " (set by " + entry.origin + ")";
    break;
  }
  return error;
}

// A TOML basic string.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + '"';
}

}  // namespace

std::string_view config_source_name(ConfigSource source) {
  switch (source) {
    case ConfigSource::default_value:
      return "default";
    case ConfigSource::file:
      return "file";
    case ConfigSource::env:
      return "env";
    case ConfigSource::flag:
      return "flag";
  }
  return "default";
}

std::optional<std::string> process_environment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string config_env_name(std::string_view key) {
  std::string out = kEnvPrefix;
  for (char c : key) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<NodeConfig> load_node_config(const std::vector<std::string>& args, const EnvLookup& env) {
  CLI::App command_line;
  NodeOptions given;
  add_node_options(command_line, given);
  CAIRN_TRY_STATUS(parse_args(command_line, args));

  std::vector<KeyInfo> keys = catalogue(command_line);
  for (KeyInfo& k : keys) {
    if (k.option->count() == 0) continue;
    k.entry.source = ConfigSource::flag;
    k.entry.origin = "the command line";
    if (k.entry.is_flag) {
      k.entry.values = {k.option->as<bool>() ? "true" : "false"};
    } else {
      k.entry.values = k.option->results();
    }
  }
  for (KeyInfo& k : keys) {
    if (k.entry.source == ConfigSource::flag) continue;
    const std::string name = config_env_name(k.entry.key);
    if (auto text = env(name)) {
      CAIRN_TRY(k.entry.values, env_values(name, *text, k.entry));
      k.entry.source = ConfigSource::env;
      k.entry.origin = name;
    }
  }

  NodeConfig config;
  // The file: --config, else CAIRN_CONFIG, else <datadir>/cairnd.toml when it exists (the
  // data dir from a flag, the environment or the default: not from the file itself).
  std::string file = given.config;
  if (file.empty()) file = env(config_env_name("config")).value_or("");
  if (!file.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      return Error{ErrorCode::invalid_argument, "--config: no such file '" + file + "'"};
    }
    config.file = std::filesystem::path(file);
  } else {
    auto datadir =
        std::find_if(keys.begin(), keys.end(), [](const KeyInfo& k) { return k.entry.key == "datadir"; });
    const std::filesystem::path base =
        datadir != keys.end() && !datadir->entry.values.empty() && !datadir->entry.values.front().empty()
            ? std::filesystem::path(datadir->entry.values.front())
            : default_datadir();
    std::error_code ec;
    if (std::filesystem::is_regular_file(base / kDefaultConfigFileName, ec)) {
      config.file = base / kDefaultConfigFileName;
      config.file_is_default = true;
    }
  }
  if (config.file) {
    CAIRN_TRY(auto values, read_config_file(*config.file, keys));
    for (KeyInfo& k : keys) {
      auto found = values.find(k.entry.key);
      if (found == values.end() || k.entry.source != ConfigSource::default_value) continue;
      k.entry.values = std::move(found->second.values);
      k.entry.source = ConfigSource::file;
      k.entry.origin = config.file->string() + " line " + std::to_string(found->second.line);
    }
  }

  // Every value that is not a default, as flags CLI11 checks the same way as typed ones.
  std::vector<std::string> merged;
  for (const KeyInfo& k : keys) {
    config.entries.push_back(k.entry);
    if (k.entry.source == ConfigSource::default_value) continue;
    if (k.entry.is_flag) {
      if (k.entry.values == std::vector<std::string>{"true"}) merged.push_back("--" + k.entry.key);
      continue;
    }
    for (const std::string& value : k.entry.values) {
      if (value.empty() && !k.entry.is_list) continue;  // an empty string is the default
      merged.push_back("--" + k.entry.key + "=" + value);
    }
  }
  CLI::App effective;
  add_node_options(effective, config.options);
  if (auto parsed = parse_args(effective, merged); !parsed)
    return with_origin(parsed.error(), config.entries);
  config.options.print_config = given.print_config;
  if (config.file) config.options.config = config.file->string();
  return config;
}

Result<ResolvedNodeOptions> resolve_node_config(const NodeConfig& config) {
  auto resolved = resolve_node_options(config.options);
  if (!resolved) return with_origin(resolved.error(), config.entries);
  return resolved;
}

std::string render_config_toml(const NodeConfig& config, const ResolvedNodeOptions& resolved) {
  std::string out =
      "# cairnd's effective configuration (cairnd --print-config): every option with its value and\n"
      "# where the value came from: default, file, env (CAIRN_<KEY>) or flag. This is itself a\n"
      "# config file: cairnd --config FILE.\n";
  if (config.file) out += "# Config file read: " + config.file->string() + "\n";
  // Defaults that depend on other options, shown as resolved.
  const std::map<std::string, std::vector<std::string>> derived{
      {"datadir", {resolved.paths.datadir.string()}},
      {"rpc-listen", {resolved.rpc_listen.to_string()}},
      {"p2p-listen", resolved.p2p.listen}};
  for (const ConfigEntry& entry : config.entries) {
    std::vector<std::string> values = entry.values;
    if (entry.source == ConfigSource::default_value) {
      if (auto d = derived.find(entry.key); d != derived.end()) values = d->second;
    }
    out += "\n# " + entry.help + "\n# source: " + std::string(config_source_name(entry.source));
    if (!entry.origin.empty() && entry.source != ConfigSource::flag) out += " (" + entry.origin + ")";
    out += "\n" + entry.key + " = ";
    auto render = [&](const std::string& v) {
      if (entry.is_flag) return v == "true" ? std::string("true") : std::string("false");
      if (entry.is_integer && !v.empty() && std::all_of(v.begin(), v.end(), ::isdigit)) return v;
      return toml_string(v);
    };
    if (entry.is_list) {
      out += "[";
      for (size_t i = 0; i < values.size(); ++i) out += (i == 0 ? "" : ", ") + render(values[i]);
      out += "]";
    } else {
      out += render(values.empty() ? std::string() : values.front());
    }
    out += "\n";
  }
  return out;
}

}  // namespace cairn
