#include "devnet_state.h"

#include <fstream>

#include "util/file.h"

namespace cairn::app {
namespace {

using json = nlohmann::json;

// The first port a devnet may use: below it are the privileged ports.
constexpr uint32_t kMinBasePort = 1024;
// devnet.json is small; anything larger is not ours.
constexpr std::streamsize kMaxDevnetFileBytes = 1 << 20;

Result<json> field(const json& doc, const char* name, json::value_t type, const std::string& where) {
  auto it = doc.find(name);
  const bool number = type == json::value_t::number_unsigned;
  if (it == doc.end() || (number ? !it->is_number_unsigned() : it->type() != type)) {
    return Error{ErrorCode::invalid_argument, where + ": missing or wrong field '" + name + "'"};
  }
  return *it;
}

}  // namespace

std::string DevnetNode::p2p_address() const {
  std::string address = "/ip4/127.0.0.1/tcp/" + std::to_string(p2p_port);
  if (!peer_id.empty()) address += "/p2p/" + peer_id;
  return address;
}

uint16_t devnet_p2p_port(uint16_t base_port, uint32_t index) {
  return static_cast<uint16_t>(base_port + 2 * index);
}

uint16_t devnet_rpc_port(uint16_t base_port, uint32_t index) {
  return static_cast<uint16_t>(base_port + 2 * index + 1);
}

Status check_devnet_ports(uint32_t base_port, uint32_t nodes) {
  if (base_port < kMinBasePort || base_port > kMaxPort) {
    return Error{ErrorCode::invalid_argument,
                 "--base-port must be " + std::to_string(kMinBasePort) + ".." + std::to_string(kMaxPort)};
  }
  const uint64_t last = uint64_t{base_port} + 2 * uint64_t{nodes} - 1;
  if (last > kMaxPort) {
    return Error{ErrorCode::invalid_argument, std::to_string(nodes) + " nodes from --base-port " +
                                                  std::to_string(base_port) + " need ports up to " +
                                                  std::to_string(last) + ", beyond 65535"};
  }
  return {};
}

json devnet_to_json(const DevnetState& state) {
  json nodes = json::array();
  for (const DevnetNode& n : state.nodes) {
    json validator = nullptr;
    if (n.validator) {
      validator = {{"key_file", n.validator->key_file.string()}, {"public_key", n.validator->public_key}};
    }
    const std::string base = "http://127.0.0.1:" + std::to_string(n.rpc_port);
    nodes.push_back(
        {{"name", n.name()},
         {"index", n.index},
         {"datadir", n.datadir.string()},
         {"pid", n.pid},
         {"p2p_port", n.p2p_port},
         {"rpc_port", n.rpc_port},
         {"rpc_url", n.rpc_url()},
         {"explorer_url", base + "/"},
         {"metrics_url", base + "/metrics"},
         {"cookie_file", n.cookie_file().string()},
         {"peer_id", n.peer_id},
         {"p2p_address", n.p2p_address()},
         {"miner", n.miner},
         {"validator", validator},
         {"wallet",
          {{"name", kDevnetWalletName}, {"account", n.wallet_account}, {"address", n.wallet_address}}},
         {"log_file", n.log_file().string()}});
  }
  return {{"network", "regtest"},
          {"dir", state.dir.string()},
          {"mnemonic", state.mnemonic},
          {"wallet_password_file", state.password_file().string()},
          {"mine_interval_ms", state.mine_interval_ms},
          {"nodes", nodes}};
}

Result<DevnetState> devnet_from_json(const json& doc) {
  using T = json::value_t;
  if (!doc.is_object()) return Error{ErrorCode::invalid_argument, "devnet.json: not a JSON object"};
  DevnetState state;
  CAIRN_TRY(json network, field(doc, "network", T::string, "devnet.json"));
  if (network != "regtest")
    return Error{ErrorCode::invalid_argument, "devnet.json: the network is not regtest"};
  CAIRN_TRY(json dir, field(doc, "dir", T::string, "devnet.json"));
  CAIRN_TRY(json mnemonic, field(doc, "mnemonic", T::string, "devnet.json"));
  CAIRN_TRY(json nodes, field(doc, "nodes", T::array, "devnet.json"));
  state.dir = dir.get<std::string>();
  state.mnemonic = mnemonic.get<std::string>();
  state.mine_interval_ms = doc.value("mine_interval_ms", uint64_t{0});
  if (nodes.empty() || nodes.size() > kMaxDevnetNodes) {
    return Error{ErrorCode::invalid_argument,
                 "devnet.json: 1.." + std::to_string(kMaxDevnetNodes) + " nodes expected"};
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    const json& n = nodes[i];
    const std::string where = "devnet.json node " + std::to_string(i);
    if (!n.is_object()) return Error{ErrorCode::invalid_argument, where + ": not an object"};
    DevnetNode node;
    CAIRN_TRY(json index, field(n, "index", T::number_unsigned, where));
    CAIRN_TRY(json datadir, field(n, "datadir", T::string, where));
    CAIRN_TRY(json p2p_port, field(n, "p2p_port", T::number_unsigned, where));
    CAIRN_TRY(json rpc_port, field(n, "rpc_port", T::number_unsigned, where));
    CAIRN_TRY(json wallet, field(n, "wallet", T::object, where));
    CAIRN_TRY(json address, field(wallet, "address", T::string, where + " wallet"));
    CAIRN_TRY(json account, field(wallet, "account", T::number_unsigned, where + " wallet"));
    if (index.get<uint64_t>() != i || p2p_port.get<uint64_t>() > kMaxPort ||
        rpc_port.get<uint64_t>() > kMaxPort) {
      return Error{ErrorCode::invalid_argument, where + ": index or port out of range"};
    }
    node.index = static_cast<uint32_t>(i);
    node.datadir = datadir.get<std::string>();
    node.pid = n.value("pid", int64_t{0});
    node.p2p_port = p2p_port.get<uint16_t>();
    node.rpc_port = rpc_port.get<uint16_t>();
    node.peer_id = n.value("peer_id", std::string());
    node.miner = n.value("miner", true);
    node.wallet_account = account.get<uint32_t>();
    node.wallet_address = address.get<std::string>();
    if (auto v = n.find("validator"); v != n.end() && !v->is_null()) {
      CAIRN_TRY(json key_file, field(*v, "key_file", T::string, where + " validator"));
      CAIRN_TRY(json public_key, field(*v, "public_key", T::string, where + " validator"));
      node.validator = DevnetValidator{key_file.get<std::string>(), public_key.get<std::string>()};
    }
    state.nodes.push_back(std::move(node));
  }
  return state;
}

Result<std::optional<DevnetState>> read_devnet_file(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kDevnetFileName;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<DevnetState>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{ErrorCode::io, "cannot read " + path.string()};
  std::string text(static_cast<size_t>(kMaxDevnetFileBytes) + 1, '\0');
  in.read(text.data(), kMaxDevnetFileBytes + 1);
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > static_cast<size_t>(kMaxDevnetFileBytes)) {
    return Error{ErrorCode::limit, path.string() + " is larger than a devnet's file can be"};
  }
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error{ErrorCode::invalid_argument, path.string() + " is not valid JSON"};
  auto state = devnet_from_json(doc);
  if (!state) return Error{state.error().code, path.string() + ": " + state.error().message};
  return std::optional<DevnetState>(std::move(*state));
}

Status write_devnet_file(const DevnetState& state) {
  const std::string text = devnet_to_json(state).dump(2) + "\n";
  return write_file_atomically(state.file(), as_bytes(text), /*replace=*/true);
}

}  // namespace cairn::app
