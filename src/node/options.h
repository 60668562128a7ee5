// The command-line and config-file options every cairnd and cairn run understands
// (DESIGN.md "What a user gets"): the network, the data dir and the service addresses.
//
// cairnd's options come from four places, each winning over the next: command-line flags,
// environment variables (CAIRN_RPC_LISTEN for --rpc-listen; lists comma-separated), a TOML
// file (--config FILE, else <datadir>/cairnd.toml when it exists) whose keys are the long
// flag names (`network = "regtest"`, `rpc-user = ["alice:admin:..."]`), and the defaults.
// load_node_config() merges them, remembering where each value came from (--print-config
// shows it); resolve_node_options() turns the raw strings into checked values with messages
// a user can act on. `cairn` reads only flags and its own --config file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/params.h"
#include "node/logging.h"
#include "primitives/lock.h"
#include "primitives/network.h"
#include "util/result.h"

namespace CLI {
class App;
}

namespace cairn {

struct HostPort {
  std::string host;  // a name, an IPv4 address or an IPv6 address (without brackets)
  uint16_t port = 0;
  std::string to_string() const;
  bool is_loopback() const;
};

// "127.0.0.1:8645", "[::1]:8645", "localhost:8645".
Result<HostPort> parse_host_port(std::string_view text);

// Default ports per network (P2P, RPC): different on each network so that nodes of several
// networks can run side by side on one machine.
uint16_t default_p2p_port(Network net);
uint16_t default_rpc_port(Network net);

// Peer connection defaults and bounds of --max-inbound/--max-outbound.
inline constexpr size_t kDefaultP2pMaxInbound = 64;
inline constexpr size_t kDefaultP2pMaxOutbound = 8;
inline constexpr size_t kMaxP2pConnections = 1'000;
// rpc/server.h's defaults (options.cpp checks that they agree) and the flags' bound.
inline constexpr size_t kDefaultRpcMaxConnections = 256;
inline constexpr size_t kDefaultRpcMaxWebSockets = 128;
inline constexpr size_t kDefaultRpcMaxInFlight = 64;
inline constexpr size_t kMaxRpcConnections = 100'000;

// Raw option values as parsed.
struct CommonOptions {
  std::string network = "mainnet";
  std::string datadir;  // empty: the default under $HOME
};

struct NodeOptions {
  CommonOptions common;
  std::string config;                   // --config FILE (not a config-file key)
  bool print_config = false;            // print the effective configuration and exit
  std::vector<std::string> p2p_listen;  // multiaddrs, e.g. /ip4/0.0.0.0/tcp/8644
  std::vector<std::string> bootstrap;   // multiaddrs with /p2p/<peer id>
  bool no_p2p = false;
  size_t max_inbound = kDefaultP2pMaxInbound;
  size_t max_outbound = kDefaultP2pMaxOutbound;
  bool mdns = false;
  std::string rpc_listen;
  std::vector<std::string> rpc_users;          // NAME:GROUP:SALT$HASH
  bool rpc_public = false;                     // serve `public` methods without credentials
  std::vector<std::string> rpc_allow_hosts;    // extra accepted Host header values
  std::vector<std::string> rpc_allow_origins;  // extra accepted WebSocket Origins
  size_t rpc_max_connections = kDefaultRpcMaxConnections;
  size_t rpc_max_websockets = kDefaultRpcMaxWebSockets;
  size_t rpc_max_in_flight = kDefaultRpcMaxInFlight;
  std::string rpc_tls_cert;
  std::string rpc_tls_key;
  bool no_rpc = false;
  std::string metrics_listen;  // HOST:PORT of a listener serving only /metrics (empty: none)
  std::string explorer_dir;    // empty: the installed or source tree's explorer/
  bool no_explorer = false;
  bool mine = false;
  std::string mine_to;            // address the coinbase pays
  unsigned mine_threads = 1;      // nonce-search threads
  uint64_t mine_interval_ms = 0;  // pause after each mined block
  uint64_t prune = 0;             // 0: archive; N: keep the last N blocks' bodies and undo
  bool check_chain = false;       // audit the chain state and exit
  bool check_chain_replay = false;
  std::string validator_key;
  std::string validator_password_file;
  std::string slashing_protection;
  std::string checkpoint;               // HEIGHT:HASH
  std::vector<std::string> log_levels;  // LEVEL or COMPONENT=LEVEL
  std::string log_file;
  size_t log_max_size_mb = kDefaultLogMaxSizeMb;
  size_t log_max_files = kDefaultLogMaxFiles;
  bool log_stderr = false;     // force stderr on (also with --log-file)
  bool no_log_stderr = false;  // force it off
};

// Checked values every component reads.
struct ResolvedPaths {
  Network network = Network::mainnet;
  std::filesystem::path datadir;          // the base data dir
  std::filesystem::path network_datadir;  // <datadir>/<network>: everything a node writes
};

// Registers --network, --datadir and --config on `app`.
void add_common_options(CLI::App& app, CommonOptions& options);
// Registers cairnd's flags (the common ones plus --p2p-listen, --bootstrap, the --rpc-*
// flags, --mine, --validator-key, ...).
void add_node_options(CLI::App& app, NodeOptions& options);

// $HOME/.cairn, or ./.cairn when HOME is unset.
std::filesystem::path default_datadir();
Result<ResolvedPaths> resolve_paths(const CommonOptions& options);

// The JSON-RPC server's settings (DESIGN.md "API exposure").
struct RpcOptions {
  bool enabled = true;  // false with --no-rpc
  HostPort listen;
  // Configured users as given, NAME:GROUP:SALT$HASH (GROUP public or admin): checked for
  // shape here; rpc/auth.h parses them into credentials.
  std::vector<std::string> users;
  // Serve `public` methods to callers without credentials on a non-loopback listen
  // (loopback callers always get them).
  bool public_without_auth = false;
  // Host header values accepted besides the listen address and localhost names.
  std::vector<std::string> allow_hosts;
  // WebSocket Origins accepted besides the same-origin ones (http(s)://<allowed host>).
  std::vector<std::string> allow_origins;
  // Connection caps (HTTP and WebSocket together; WebSocket alone); nullopt: the defaults of
  // rpc/server.h.
  std::optional<size_t> max_connections;
  std::optional<size_t> max_websockets;
  std::optional<size_t> max_in_flight;  // requests being handled at once, server-wide
  // TLS: both files or neither.
  std::optional<std::filesystem::path> tls_cert;
  std::optional<std::filesystem::path> tls_key;
};

// The peer-to-peer network's settings (docs/network.md).
struct P2pOptions {
  bool enabled = true;                 // false with --no-p2p
  std::vector<std::string> listen;     // multiaddrs
  std::vector<std::string> bootstrap;  // multiaddrs with /p2p/<peer id>
  size_t max_inbound = kDefaultP2pMaxInbound;
  // Outbound connections kept open (full relay); feelers come on top of them.
  size_t max_outbound = kDefaultP2pMaxOutbound;
  bool mdns = false;  // discover peers on the local link (off by default: it announces us)
};

struct ResolvedNodeOptions {
  ResolvedPaths paths;
  P2pOptions p2p;
  HostPort rpc_listen;  // == rpc.listen
  RpcOptions rpc;
  // A second listener that serves /metrics to anyone who reaches it (Prometheus on another
  // host); without it /metrics is served on the RPC listener to loopback and admin callers.
  std::optional<HostPort> metrics_listen;
  // The explorer's static files, served at / of the RPC listener (docs/explorer.md).
  bool explorer = true;
  std::optional<std::filesystem::path> explorer_dir;  // nullopt: the default search
  bool mine = false;
  // What the coinbase pays to. Required with --mine, except on regtest, where it defaults
  // to kBurnLock (nobody can spend it: regtest coins are worthless anyway).
  OutputLock mine_to;
  unsigned mine_threads = 1;
  // A pause after each block --mine finds (0: none; the proof of work alone sets the pace).
  // Regtest's work is trivial, so a devnet of several miners needs one to avoid a fork per
  // block.
  uint64_t mine_interval_ms = 0;
  uint64_t prune_depth = 0;
  bool check_chain = false;
  bool check_chain_replay = false;  // implies check_chain
  std::optional<std::filesystem::path> validator_key;
  // With validator_key: where the password is read (empty: asked on the terminal) and the
  // slashing-protection record (default <network datadir>/slashing-protection).
  std::filesystem::path validator_password_file;
  std::filesystem::path slashing_protection;
  // Replaces the network's compiled-in weak-subjectivity checkpoint (consensus/params.h).
  std::optional<WeakSubjectivityCheckpoint> checkpoint;
  LogSettings log;
};

// "HEIGHT:HASH" (the hash as 64 hex digits) as a weak-subjectivity checkpoint.
Result<WeakSubjectivityCheckpoint> parse_checkpoint(std::string_view text);

// Pruning below this many blocks is refused: it keeps every reorganisation a healthy
// network can produce between checkpoints, and a day of blocks for peers to sync from.
inline constexpr uint64_t kMinPruneDepth = 288;
inline constexpr unsigned kMaxMineThreads = 256;
inline constexpr uint64_t kMaxMineIntervalMs = 3'600'000;
// A key hash no key hashes to (all zero): regtest's default coinbase lock.
inline constexpr OutputLock kBurnLock{};

// Checks every value; the error names the flag and says what is expected.
Result<ResolvedNodeOptions> resolve_node_options(const NodeOptions& options);

// The --rpc-* flags against the resolved listen address.
Result<RpcOptions> resolve_rpc_options(const NodeOptions& options, const HostPort& listen);

// ---- Configuration sources (flags > environment > file > defaults) -------------------------

enum class ConfigSource { default_value, file, env, flag };
std::string_view config_source_name(ConfigSource source);  // default, file, env, flag

// The file read when no --config (nor CAIRN_CONFIG) is given, if it exists.
inline constexpr const char* kDefaultConfigFileName = "cairnd.toml";
inline constexpr const char* kEnvPrefix = "CAIRN_";
// A config file larger than this is refused (it is a few dozen keys).
inline constexpr uintmax_t kMaxConfigFileBytes = 1024 * 1024;

// One option's effective value and where it came from.
struct ConfigEntry {
  std::string key;  // the long flag name without dashes, also the TOML key
  std::string help;
  bool is_flag = false;
  bool is_list = false;
  bool is_integer = false;
  std::vector<std::string> values;  // a flag's is "true" or "false"
  ConfigSource source = ConfigSource::default_value;
  std::string origin;  // "command line", "CAIRN_RPC_LISTEN", "/etc/cairn/cairnd.toml line 3"
};

struct NodeConfig {
  NodeOptions options;                        // the merged raw values
  std::vector<ConfigEntry> entries;           // every config key, in flag order
  std::optional<std::filesystem::path> file;  // the config file read, if any
  bool file_is_default = false;               // it was <datadir>/cairnd.toml
};

// Looks up an environment variable (tests pass their own).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> process_environment(const std::string& name);
// `rpc-listen` → `CAIRN_RPC_LISTEN`.
std::string config_env_name(std::string_view key);

// Parses cairnd's command line (args without the program name), reads the environment and
// the config file and merges them. Errors name the flag, variable or file and line: a TOML
// syntax error, an unknown key, a value of the wrong type, a value a flag refuses.
Result<NodeConfig> load_node_config(const std::vector<std::string>& args, const EnvLookup& env);

// resolve_node_options() on the merged values, its errors saying where a value came from.
Result<ResolvedNodeOptions> resolve_node_config(const NodeConfig& config);

// The effective configuration as a TOML file: every key with its value, its help and its
// source as comments; derived defaults (datadir, rpc-listen, p2p-listen) as resolved. It is
// itself a valid config file giving the same resolved options.
std::string render_config_toml(const NodeConfig& config, const ResolvedNodeOptions& resolved);

}  // namespace cairn
