// What `cairn devnet` records about a devnet: DIR/devnet.json (docs/devnet.md), the file
// `devnet status`, `devnet down`, a restarting `devnet up` and the benchmarks (bench/e2e,
// bench/soak) read. Its schema is shared with them: change it only together.
//
// Plain values and pure functions (plus reading and writing the file); not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace cairn::app {

// The devnet's file names inside DIR.
inline constexpr const char* kDevnetFileName = "devnet.json";
inline constexpr const char* kDevnetPasswordFileName = "wallet-password";
// The wallet every node's data dir holds (account i of the devnet's phrase for node i).
inline constexpr const char* kDevnetWalletName = "devnet";
// The largest devnet: each node takes two ports, a process, a RocksDB and a wallet.
inline constexpr uint32_t kMaxDevnetNodes = 64;
// Ports above this are not used (every node's two ports must fit below 65536).
inline constexpr uint32_t kMaxPort = 65535;

struct DevnetValidator {
  std::filesystem::path key_file;  // the voting-key keystore (password: the wallet password file)
  std::string public_key;          // hex
};

struct DevnetNode {
  uint32_t index = 0;
  std::filesystem::path datadir;
  int64_t pid = 0;  // the process of the last start (0: never started)
  uint16_t p2p_port = 0;
  uint16_t rpc_port = 0;
  std::string peer_id;  // known once the node has served RPC
  bool miner = true;
  std::optional<DevnetValidator> validator;
  uint32_t wallet_account = 0;
  std::string wallet_address;  // the first receive address: the coinbase's

  std::string name() const { return "node" + std::to_string(index); }
  std::filesystem::path log_file() const { return datadir / "cairnd.log"; }
  std::filesystem::path cookie_file() const { return datadir / "regtest" / "rpc.cookie"; }
  std::string rpc_url() const { return "http://127.0.0.1:" + std::to_string(rpc_port) + "/"; }
  std::string p2p_address() const;  // /ip4/127.0.0.1/tcp/P/p2p/ID (without /p2p when unknown)
};

struct DevnetState {
  std::filesystem::path dir;  // absolute
  std::string mnemonic;       // the devnet's BIP39 phrase (regtest coins only)
  uint64_t mine_interval_ms = 0;
  std::vector<DevnetNode> nodes;

  std::filesystem::path file() const { return dir / kDevnetFileName; }
  std::filesystem::path password_file() const { return dir / kDevnetPasswordFileName; }
};

// The ports of node `index` from the base port: p2p = base + 2i, RPC = base + 2i + 1.
uint16_t devnet_p2p_port(uint16_t base_port, uint32_t index);
uint16_t devnet_rpc_port(uint16_t base_port, uint32_t index);
// Checks that `nodes` nodes fit from `base_port` (1024 <= base, last port <= 65535).
Status check_devnet_ports(uint32_t base_port, uint32_t nodes);

// The devnet.json document (the schema of docs/devnet.md) and back. from_json refuses a
// document without the fields `devnet` needs, naming the field.
nlohmann::json devnet_to_json(const DevnetState& state);
Result<DevnetState> devnet_from_json(const nlohmann::json& doc);

// DIR/devnet.json: nullopt when absent; an error when unreadable or malformed.
Result<std::optional<DevnetState>> read_devnet_file(const std::filesystem::path& dir);
// Writes DIR/devnet.json atomically (a temporary file renamed over it), mode 0600: it holds
// the phrase.
Status write_devnet_file(const DevnetState& state);

}  // namespace cairn::app
