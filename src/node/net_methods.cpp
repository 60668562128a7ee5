#include "node/net_methods.h"

#include <string>
#include <utility>

#include "rpc/chain_json.h"

namespace cairn {
namespace {

using rpc::json;
using rpc::MethodResult;
using rpc::RpcError;
namespace error_code = rpc::error_code;

constexpr const char* kExamplePeerId = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
constexpr const char* kExampleHash = "3b9d0f0a4c7e2d1b8a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09";

// What every net_* method answers on a node started with --no-p2p.
constexpr const char* kP2pOffMessage = "the peer-to-peer network is off (--no-p2p)";
RpcError p2p_off() { return RpcError{error_code::unavailable, kP2pOffMessage, std::nullopt}; }

json nullable_uint_schema(std::string description) {
  return {{"type", {"integer", "null"}}, {"minimum", 0}, {"description", std::move(description)}};
}

json optional_int(const std::optional<int64_t>& value) { return value ? json(*value) : json(nullptr); }

// ---- net_get_info -------------------------------------------------------------------------

json sync_schema() {
  return rpc::object_schema(
      {{"height", rpc::uint_schema("the tip's height")},
       {"best_header_height", rpc::uint_schema("the highest valid header known from peers")},
       {"syncing", rpc::bool_schema("whether blocks are being downloaded towards the best header")},
       {"blocks_per_second", rpc::uint_schema("blocks connected per second lately (rounded down)")},
       {"eta_seconds",
        nullable_uint_schema("estimated seconds to reach the best header; null when unknown")}});
}

json sync_json(const NetworkSyncStatus& sync) {
  return {{"height", sync.height},
          {"best_header_height", sync.best_header_height},
          {"syncing", sync.syncing},
          {"blocks_per_second", static_cast<uint64_t>(sync.blocks_per_second)},
          {"eta_seconds", optional_int(sync.eta_seconds)}};
}

rpc::MethodSpec net_get_info(NetworkService* network) {
  rpc::MethodSpec m;
  m.name = "net_get_info";
  m.group = rpc::MethodGroup::public_group;
  m.summary = "The node's peer id and addresses, its peer counts and the block download's progress";
  m.result_name = "info";
  m.result_schema = rpc::object_schema(
      {{"peer_id", rpc::string_schema("this node's libp2p peer id")},
       {"listen_addresses",
        {{"type", "array"}, {"items", rpc::string_schema("a multiaddr ending in /p2p/<id>")}}},
       {"inbound", rpc::uint_schema("connected inbound peers")},
       {"outbound", rpc::uint_schema("connected outbound peers")},
       {"sync", sync_schema()}});
  m.examples = {{"a node in sync",
                 json::object(),
                 {{"peer_id", kExamplePeerId},
                  {"listen_addresses", {std::string("/ip4/127.0.0.1/tcp/28644/p2p/") + kExamplePeerId}},
                  {"inbound", 2},
                  {"outbound", 8},
                  {"sync",
                   {{"height", 1200},
                    {"best_header_height", 1200},
                    {"syncing", false},
                    {"blocks_per_second", 0},
                    {"eta_seconds", nullptr}}}}}};
  m.handler = [network](const json&, const rpc::CallContext&) -> MethodResult {
    if (network == nullptr) return p2p_off();
    const NetworkStats stats = network->stats();
    return json{{"peer_id", network->peer_id()},
                {"listen_addresses", network->listen_addresses()},
                {"inbound", stats.peers_inbound},
                {"outbound", stats.peers_outbound},
                {"sync", sync_json(network->sync_status())}};
  };
  return m;
}

// ---- net_get_peers ------------------------------------------------------------------------

json peer_schema() {
  return rpc::object_schema(
      {{"peer_id", rpc::string_schema("the peer's libp2p peer id")},
       {"address", rpc::string_schema("the connection's remote multiaddr")},
       {"direction", {{"type", "string"}, {"enum", {"inbound", "outbound"}}}},
       {"user_agent", rpc::string_schema("what the peer says it runs (empty before the handshake)")},
       {"handshaken", rpc::bool_schema("the status handshake completed")},
       {"best_height", rpc::uint_schema("the best height the peer announced")},
       {"best_hash",
        {{"type", "string"},
         {"description", "the best block the peer announced (hex; empty before the handshake)"}}},
       {"connected_seconds", rpc::uint_schema("seconds since the connection was made")},
       {"ping_micros", nullable_uint_schema("the last ping round trip in microseconds; null before one")},
       {"ban_score", rpc::uint_schema("misbehaviour points after decay; banned at 100")},
       {"blocks_delivered", rpc::uint_schema("blocks the peer delivered to the download")},
       {"transactions_received", rpc::uint_schema("transactions the peer relayed to us")}});
}

json peer_json(const PeerView& peer) {
  return {{"peer_id", peer.peer_id},
          {"address", peer.address},
          {"direction", peer.direction},
          {"user_agent", peer.user_agent},
          {"handshaken", peer.handshaken},
          {"best_height", peer.best_height},
          {"best_hash", peer.best_hash},
          {"connected_seconds", peer.connected_seconds},
          {"ping_micros", optional_int(peer.ping_micros)},
          {"ban_score", peer.ban_score},
          {"blocks_delivered", peer.blocks_delivered},
          {"transactions_received", peer.transactions_received}};
}

rpc::MethodSpec net_get_peers(NetworkService* network) {
  rpc::MethodSpec m;
  m.name = "net_get_peers";
  m.group = rpc::MethodGroup::public_group;
  m.summary = "The connected peers with their chain, ping and misbehaviour score";
  m.result_name = "peers";
  m.result_schema = {{"type", "array"}, {"items", peer_schema()}};
  PeerView example;
  example.peer_id = kExamplePeerId;
  example.address = "/ip4/203.0.113.5/tcp/8644";
  example.direction = "outbound";
  example.user_agent = "cairn/0.1.0";
  example.handshaken = true;
  example.best_height = 1200;
  example.best_hash = kExampleHash;
  example.connected_seconds = 600;
  example.ping_micros = 850;
  example.ban_score = 0;
  example.blocks_delivered = 1200;
  example.transactions_received = 35;
  m.examples = {{"one peer", json::object(), json::array({peer_json(example)})}};
  m.handler = [network](const json&, const rpc::CallContext&) -> MethodResult {
    if (network == nullptr) return p2p_off();
    json out = json::array();
    for (const PeerView& peer : network->peers()) out.push_back(peer_json(peer));
    return out;
  };
  return m;
}

// ---- net_get_stats ------------------------------------------------------------------------

json counter_map_schema(std::string description) {
  return {{"type", "object"},
          {"description", std::move(description)},
          {"additionalProperties", rpc::uint_schema("count")}};
}

json traffic_schema() {
  return rpc::object_schema({{"bytes_in", rpc::uint_schema("bytes received")},
                             {"bytes_out", rpc::uint_schema("bytes sent")},
                             {"messages_in", rpc::uint_schema("messages received")},
                             {"messages_out", rpc::uint_schema("messages sent")}});
}

json stats_json(const NetworkStats& stats) {
  json protocols = json::object();
  for (const auto& [name, traffic] : stats.protocols) {
    protocols[name] = {{"bytes_in", traffic.bytes_in},
                       {"bytes_out", traffic.bytes_out},
                       {"messages_in", traffic.messages_in},
                       {"messages_out", traffic.messages_out}};
  }
  json misbehavior = json::object();
  for (const auto& [reason, count] : stats.misbehavior) misbehavior[reason] = count;
  json rate_limited = json::object();
  for (const auto& [kind, count] : stats.rate_limited) rate_limited[kind] = count;
  return {{"protocols", std::move(protocols)},
          {"peers_inbound", stats.peers_inbound},
          {"peers_outbound", stats.peers_outbound},
          {"compact_blocks",
           {{"received", stats.compact_blocks_received},
            {"reconstructed", stats.compact_blocks_reconstructed},
            {"with_blocktxn", stats.compact_blocks_with_blocktxn},
            {"full_fallback", stats.compact_blocks_full_fallback},
            {"blocktxn_requests", stats.blocktxn_requests},
            {"relayed", stats.blocks_relayed}}},
          {"last_block_propagation_micros", optional_int(stats.last_block_propagation_micros)},
          {"misbehavior", std::move(misbehavior)},
          {"bans", stats.bans},
          {"rate_limited", std::move(rate_limited)}};
}

rpc::MethodSpec net_get_stats(NetworkService* network) {
  rpc::MethodSpec m;
  m.name = "net_get_stats";
  m.group = rpc::MethodGroup::public_group;
  m.summary = "Network counters since start: traffic, compact blocks, misbehaviour, bans, rate limits";
  m.result_name = "stats";
  m.result_schema = rpc::object_schema(
      {{"protocols",
        {{"type", "object"},
         {"description", "traffic by protocol id and gossip topic"},
         {"additionalProperties", traffic_schema()}}},
       {"peers_inbound", rpc::uint_schema("connected inbound peers")},
       {"peers_outbound", rpc::uint_schema("connected outbound peers")},
       {"compact_blocks",
        rpc::object_schema(
            {{"received", rpc::uint_schema("compact blocks received on the block topic")},
             {"reconstructed", rpc::uint_schema("rebuilt from the mempool without asking for anything")},
             {"with_blocktxn", rpc::uint_schema("rebuilt after a blocktxn round trip")},
             {"full_fallback", rpc::uint_schema("fetched as full blocks after all")},
             {"blocktxn_requests", rpc::uint_schema("blocktxn requests sent")},
             {"relayed", rpc::uint_schema("compact blocks this node published")}})},
       {"last_block_propagation_micros",
        nullable_uint_schema("from the first announcement of the last new block to its connection")},
       {"misbehavior", counter_map_schema("misbehaviour events by reason")},
       {"bans", rpc::uint_schema("bans imposed since start")},
       {"rate_limited", counter_map_schema("messages dropped by the per-peer rate limits, by kind")}});
  NetworkStats example;
  example.protocols["/cairn/regtest/tx/1"] = TrafficView{120'000, 118'000, 400, 395};
  example.peers_inbound = 2;
  example.peers_outbound = 8;
  example.compact_blocks_received = 100;
  example.compact_blocks_reconstructed = 97;
  example.compact_blocks_with_blocktxn = 3;
  example.blocktxn_requests = 3;
  example.blocks_relayed = 12;
  example.last_block_propagation_micros = 4'200;
  example.misbehavior["invalid_transaction"] = 1;
  example.rate_limited["tx"] = 20;
  m.examples = {{"after a while", json::object(), stats_json(example)}};
  m.handler = [network](const json&, const rpc::CallContext&) -> MethodResult {
    if (network == nullptr) return p2p_off();
    return stats_json(network->stats());
  };
  return m;
}

// ---- admin: bans and connections ----------------------------------------------------------

rpc::MethodSpec net_get_bans(NetworkService* network) {
  rpc::MethodSpec m;
  m.name = "net_get_bans";
  m.group = rpc::MethodGroup::admin_group;
  m.summary = "The banned peer ids and address groups, with reasons and expiry";
  m.result_name = "bans";
  m.result_schema = {
      {"type", "array"},
      {"items",
       rpc::object_schema({{"target", rpc::string_schema("a peer id or an address group")},
                           {"kind", {{"type", "string"}, {"enum", {"peer", "group"}}}},
                           {"reason", rpc::string_schema("why it was banned")},
                           {"banned_at_unix", rpc::uint_schema("when (unix seconds)")},
                           {"expires_unix", rpc::uint_schema("when the ban lifts (unix seconds)")}})}};
  m.examples = {{"one misbehaving group", json::object(),
                 json::array({{{"target", "203.0.0.0/16"},
                               {"kind", "group"},
                               {"reason", "invalid_block"},
                               {"banned_at_unix", 1'790'000'000},
                               {"expires_unix", 1'790'086'400}}})}};
  m.handler = [network](const json&, const rpc::CallContext&) -> MethodResult {
    if (network == nullptr) return p2p_off();
    json out = json::array();
    for (const BanView& ban : network->bans()) {
      out.push_back({{"target", ban.target},
                     {"kind", ban.kind},
                     {"reason", ban.reason},
                     {"banned_at_unix", ban.banned_at_unix},
                     {"expires_unix", ban.expires_unix}});
    }
    return out;
  };
  return m;
}

RpcError refused(const Error& error) {
  const int code = error.code == ErrorCode::not_found ? error_code::not_found : error_code::invalid_params;
  return RpcError{code, error.message, std::nullopt};
}

rpc::MethodSpec net_connect(NetworkService* network) {
  rpc::MethodSpec m;
  m.name = "net_connect";
  m.group = rpc::MethodGroup::admin_group;
  m.summary = "Connects to a peer and completes the status handshake";
  m.params = {{"address", "the peer's multiaddr ending in /p2p/<peer id>",
               rpc::string_schema("e.g. /ip4/203.0.113.5/tcp/8644/p2p/12D3KooW..."), true, std::nullopt}};
  m.result_name = "peer_id";
  m.result_schema = rpc::string_schema("the connected peer's id");
  m.errors = {{error_code::invalid_params, "the address is malformed, unreachable, banned or incompatible"}};
  m.examples = {{"a peer",
                 {{"address", std::string("/ip4/203.0.113.5/tcp/8644/p2p/") + kExamplePeerId}},
                 kExamplePeerId}};
  m.handler = [network](const json& params, const rpc::CallContext&) -> MethodResult {
    if (network == nullptr) return p2p_off();
    auto peer = network->connect(params.at("address").get<std::string>());
    if (!peer) return refused(peer.error());
    return json(*peer);
  };
  return m;
}

rpc::MethodSpec net_disconnect(NetworkService* network) {
  rpc::MethodSpec m;
  m.name = "net_disconnect";
  m.group = rpc::MethodGroup::admin_group;
  m.summary = "Closes the connection to a peer (it may connect again; ban it to keep it out)";
  m.params = {{"peer_id", "the peer's id", rpc::string_schema("a peer id"), true, std::nullopt}};
  m.result_name = "disconnected";
  m.result_schema = rpc::bool_schema("true");
  m.errors = {{error_code::not_found, "no connection to that peer"}};
  m.examples = {{"a peer", {{"peer_id", kExamplePeerId}}, true}};
  m.handler = [network](const json& params, const rpc::CallContext&) -> MethodResult {
    if (network == nullptr) return p2p_off();
    if (auto s = network->disconnect(params.at("peer_id").get<std::string>()); !s) return refused(s.error());
    return json(true);
  };
  return m;
}

rpc::MethodSpec net_ban(NetworkService* network) {
  rpc::MethodSpec m;
  m.name = "net_ban";
  m.group = rpc::MethodGroup::admin_group;
  m.summary = "Bans a peer id or an address group for 24 hours and closes its connections";
  m.params = {{"target", "a peer id, or an IP address (which bans its address group)",
               rpc::string_schema("peer id or IP address"), true, std::nullopt},
              {"reason", "recorded with the ban", rpc::string_schema("free text"), false, json("manual")}};
  m.result_name = "banned";
  m.result_schema = rpc::bool_schema("true");
  m.errors = {{error_code::invalid_params, "the target is neither a peer id nor an IP address"}};
  m.examples = {{"an address", {{"target", "203.0.113.5"}, {"reason", "spam"}}, true}};
  m.handler = [network](const json& params, const rpc::CallContext&) -> MethodResult {
    if (network == nullptr) return p2p_off();
    if (auto s = network->ban(params.at("target").get<std::string>(), params.at("reason").get<std::string>());
        !s) {
      return refused(s.error());
    }
    return json(true);
  };
  return m;
}

rpc::MethodSpec net_unban(NetworkService* network) {
  rpc::MethodSpec m;
  m.name = "net_unban";
  m.group = rpc::MethodGroup::admin_group;
  m.summary = "Lifts the ban of a peer id or an address group";
  m.params = {{"target",
               "a peer id, an address group as net_get_bans shows it, or an IP address in the group",
               rpc::string_schema("peer id, group or IP address"), true, std::nullopt}};
  m.result_name = "unbanned";
  m.result_schema = rpc::bool_schema("true");
  m.errors = {{error_code::not_found, "no such ban"}};
  m.examples = {{"an address", {{"target", "203.0.113.5"}}, true}};
  m.handler = [network](const json& params, const rpc::CallContext&) -> MethodResult {
    if (network == nullptr) return p2p_off();
    if (auto s = network->unban(params.at("target").get<std::string>()); !s) return refused(s.error());
    return json(true);
  };
  return m;
}

}  // namespace

Status register_net_methods(rpc::Registry& registry, NetworkService* network) {
  for (rpc::MethodSpec spec :
       {net_get_info(network), net_get_peers(network), net_get_stats(network), net_get_bans(network),
        net_connect(network), net_disconnect(network), net_ban(network), net_unban(network)}) {
    spec.errors.push_back({error_code::unavailable, kP2pOffMessage});
    CAIRN_TRY_STATUS(registry.add(std::move(spec)));
  }
  return {};
}

}  // namespace cairn
