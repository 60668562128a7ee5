#include "node/node_methods.h"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <utility>
#include <vector>

#include "net/host.h"
#include "node/logging.h"
#include "primitives/address.h"
#include "rpc/chain_json.h"

namespace cairn {
namespace {

using rpc::json;
using rpc::MethodResult;
using rpc::RpcError;
namespace error_code = rpc::error_code;

constexpr std::string_view kVersionPrefix = "cairn/";
// A hash as the examples show one.
constexpr const char* kExampleHash = "3b9d0f0a4c7e2d1b8a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09";

std::string version() {
  std::string_view agent = net::kCairnAgentVersion;
  if (agent.starts_with(kVersionPrefix)) agent.remove_prefix(kVersionPrefix.size());
  return std::string(agent);
}

// The node's stopping is the one failure of Node::call() and Node::generate().
RpcError unavailable(const Error& error) {
  return RpcError{error_code::unavailable, error.message, std::nullopt};
}

// ---- node_get_info ------------------------------------------------------------------------

json sync_json(const SyncProgress& sync) {
  return {{"state", sync.state},
          {"height", sync.height},
          {"target_height", sync.target_height},
          {"progress", sync.progress},
          {"eta_seconds", sync.eta_seconds ? json(*sync.eta_seconds) : json(nullptr)}};
}

json node_info_schema() {
  return {
      {"type", "object"},
      {"required",
       {"version", "user_agent", "network", "uptime_seconds", "height", "best_hash", "finalized_height",
        "peers", "sync"}},
      {"additionalProperties", false},
      {"properties",
       {{"version", {{"type", "string"}, {"description", "cairnd's version"}}},
        {"user_agent", {{"type", "string"}, {"description", "what the node tells peers it is"}}},
        {"network", {{"type", "string"}, {"enum", {"mainnet", "testnet", "regtest"}}}},
        {"uptime_seconds", rpc::uint_schema("seconds since the node opened its chain state")},
        {"height", rpc::uint_schema("height of the best chain's tip")},
        {"best_hash", rpc::hash_schema("hash of the best chain's tip")},
        {"finalized_height",
         rpc::uint_schema("height of the last finalized checkpoint (0 without finality)")},
        {"peers", rpc::uint_schema("connected peers (0 with --no-p2p)")},
        {"sync",
         {{"type", "object"},
          {"required", {"state", "height", "target_height", "progress", "eta_seconds"}},
          {"additionalProperties", false},
          {"properties",
           {{"state", {{"type", "string"}, {"enum", {"synced", "syncing"}}}},
            {"height", rpc::uint_schema("the tip's height")},
            {"target_height", rpc::uint_schema("the best header height known from peers")},
            {"progress",
             {{"type", "integer"},
              {"minimum", 0},
              {"maximum", kProgressScale},
              {"description", "parts per million of target_height reached"}}},
            {"eta_seconds",
             {{"type", {"integer", "null"}},
              {"minimum", 0},
              {"description", "estimated seconds until target_height; null when synced or unknown"}}}}}}}}}};
}

json example_node_info() {
  return {{"version", "0.1.0"},
          {"user_agent", "cairn/0.1.0"},
          {"network", "regtest"},
          {"uptime_seconds", 3600},
          {"height", 1200},
          {"best_hash", kExampleHash},
          {"finalized_height", 1150},
          {"peers", 0},
          {"sync", sync_json(sync_progress(1200, 1200))}};
}

rpc::MethodSpec node_get_info(Node& node, NodeInfoSources sources) {
  rpc::MethodSpec m;
  m.name = "node_get_info";
  m.group = rpc::MethodGroup::public_group;
  m.summary = "The node's version, uptime, tip, finality, peers and sync progress";
  m.result_name = "info";
  m.result_schema = node_info_schema();
  m.examples = {{"a regtest node in sync", json::object(), example_node_info()}};
  m.errors = {{error_code::unavailable, "the node is shutting down"}};
  m.handler = [&node, sources = std::move(sources)](const json&, const rpc::CallContext&) -> MethodResult {
    // Read on the chain thread; the network's figures are thread-safe.
    struct Tip {
      uint64_t height;
      BlockHash hash;
      uint64_t finalized;
    };
    auto tip = node.call([&node] {
      const ChainManager& chain = node.chain();
      return Tip{chain.tip().height(), chain.tip().hash, chain.has_finality() ? chain.finalized_height() : 0};
    });
    if (!tip) return unavailable(tip.error());
    const uint64_t peers = sources.peer_count ? sources.peer_count() : 0;
    const uint64_t best_known = sources.best_known_height ? sources.best_known_height() : tip->height;
    const auto uptime =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - node.opened_at());
    return json{{"version", version()},
                {"user_agent", std::string(net::kCairnAgentVersion)},
                {"network", std::string(network_name(node.options().paths.network))},
                {"uptime_seconds", uptime.count()},
                {"height", tip->height},
                {"best_hash", tip->hash.hex()},
                {"finalized_height", tip->finalized},
                {"peers", peers},
                {"sync", [&] {
                   SyncProgress sync = sync_progress(tip->height, best_known);
                   if (sync.state != "synced" && sources.sync_eta_seconds)
                     sync.eta_seconds = sources.sync_eta_seconds();
                   return sync_json(sync);
                 }()}};
  };
  return m;
}

// ---- node_stop ----------------------------------------------------------------------------

rpc::MethodSpec node_stop(Node& node) {
  rpc::MethodSpec m;
  m.name = "node_stop";
  m.group = rpc::MethodGroup::admin_group;
  m.summary = "Stops the node cleanly (as SIGTERM does)";
  m.description =
      "Answers at once; the node then finishes the work it has queued, stops mining and serving, and exits "
      "with its chain state durable.";
  m.result_name = "message";
  m.result_schema = {{"type", "string"}};
  m.examples = {{"stop", json::object(), "cairnd stopping"}};
  m.handler = [&node](const json&, const rpc::CallContext&) -> MethodResult {
    node.request_stop();
    return json("cairnd stopping");
  };
  return m;
}

// ---- miner_* ------------------------------------------------------------------------------

rpc::MethodSpec miner_generate(Node& node) {
  rpc::MethodSpec m;
  m.name = "miner_generate";
  m.group = rpc::MethodGroup::admin_group;
  m.summary = "Mines blocks on the tip paying an address, at once (regtest only)";
  m.description =
      "Mines one block after another on the chain thread (other calls are served between them) and returns "
      "their hashes in order. Fewer hashes when the node stops first.";
  m.params = {
      {"count",
       "blocks to mine",
       {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxGenerateBlocks}},
       true,
       std::nullopt},
      {"address",
       "the address the blocks' coinbases pay (bech32m of this network)",
       {{"type", "string"}},
       true,
       std::nullopt},
  };
  m.result_name = "block_hashes";
  m.result_schema = {{"type", "array"}, {"items", rpc::hash_schema("a mined block's hash")}};
  m.errors = {{error_code::unavailable, "mining on demand is for regtest only; or the node is shutting down"},
              {error_code::invalid_params, "the address is malformed or of another network"}};
  m.examples = {{"two blocks",
                 {{"count", 2}, {"address", rpc::kExampleAddress}},
                 json::array({kExampleHash, kExampleHash})}};
  m.handler = [&node](const json& params, const rpc::CallContext&) -> MethodResult {
    const Network network = node.options().paths.network;
    if (network != Network::regtest) {
      return RpcError{
          error_code::unavailable,
          "miner_generate is for regtest only; this node runs " + std::string(network_name(network)),
          std::nullopt};
    }
    auto lock = decode_address(network, params.at("address").get<std::string>());
    if (!lock) return RpcError{error_code::invalid_params, "address: " + lock.error().message, std::nullopt};
    auto hashes = node.generate(params.at("count").get<uint64_t>(), *lock);
    if (!hashes) {
      return hashes.error().message == kNodeStoppingMessage ? unavailable(hashes.error())
                                                            : rpc::to_rpc_error(hashes.error());
    }
    json out = json::array();
    for (const BlockHash& hash : *hashes) out.push_back(hash.hex());
    return out;
  };
  return m;
}

rpc::MethodSpec miner_get_info(Node& node) {
  rpc::MethodSpec m;
  m.name = "miner_get_info";
  m.group = rpc::MethodGroup::public_group;
  m.summary = "Whether the node mines (--mine), with how many threads, paying which address";
  m.result_name = "miner";
  m.result_schema = {
      {"type", "object"},
      {"required", {"mining", "threads", "address"}},
      {"additionalProperties", false},
      {"properties",
       {{"mining", {{"type", "boolean"}}},
        {"threads", rpc::uint_schema("nonce-search threads (0 when not mining)")},
        {"address",
         {{"type", {"string", "null"}},
          {"description",
           "what the coinbases pay; null when not mining or burning (regtest without --mine-to)"}}}}}};
  m.examples = {
      {"mining", json::object(), {{"mining", true}, {"threads", 1}, {"address", rpc::kExampleAddress}}},
      {"idle", json::object(), {{"mining", false}, {"threads", 0}, {"address", nullptr}}}};
  m.handler = [&node](const json&, const rpc::CallContext&) -> MethodResult {
    // Options only: fixed at open, safe to read on any thread.
    const ResolvedNodeOptions& options = node.options();
    json address = nullptr;
    if (options.mine && options.mine_to != kBurnLock)
      address = encode_address(options.paths.network, options.mine_to);
    return json{
        {"mining", options.mine}, {"threads", node.mining_threads()}, {"address", std::move(address)}};
  };
  return m;
}

// ---- node_*_log_level(s) ------------------------------------------------------------------

json log_levels_json() {
  json levels = json::object();
  for (const auto& [component, level] : log_levels()) levels[component] = level;
  return json{{"levels", std::move(levels)}};
}

json level_names_schema(std::string description) {
  return {{"type", "string"},
          {"enum", {"trace", "debug", "info", "warning", "error", "critical", "off"}},
          {"description", std::move(description)}};
}

json log_levels_schema() {
  json properties = json::object();
  json required = json::array();
  for (LogComponent component : kLogComponents) {
    properties[std::string(component_name(component))] = level_names_schema("the component's level");
    required.push_back(std::string(component_name(component)));
  }
  return {{"type", "object"},
          {"required", {"levels"}},
          {"additionalProperties", false},
          {"properties",
           {{"levels",
             {{"type", "object"},
              {"required", std::move(required)},
              {"additionalProperties", false},
              {"properties", std::move(properties)}}}}}};
}

json example_levels(std::string_view changed, std::string_view level) {
  json levels = json::object();
  for (LogComponent component : kLogComponents) {
    const std::string name(component_name(component));
    levels[name] = changed.empty() || name == changed ? std::string(level) : std::string("info");
  }
  return json{{"levels", std::move(levels)}};
}

rpc::MethodSpec node_get_log_levels() {
  rpc::MethodSpec m;
  m.name = "node_get_log_levels";
  m.group = rpc::MethodGroup::admin_group;
  m.summary = "The log level of every component (chain, net, sync, ...)";
  m.result_name = "log_levels";
  m.result_schema = log_levels_schema();
  m.examples = {{"defaults", json::object(), example_levels("", "info")}};
  m.handler = [](const json&, const rpc::CallContext&) -> MethodResult { return log_levels_json(); };
  return m;
}

rpc::MethodSpec node_set_log_level() {
  rpc::MethodSpec m;
  m.name = "node_set_log_level";
  m.group = rpc::MethodGroup::admin_group;
  m.summary = "Changes a component's log level (or every component's) until the node stops";
  m.description =
      "As --log-level does at start-up; the change is not saved. Returns every component's level after the "
      "change.";
  json components = json::array();
  for (LogComponent component : kLogComponents) components.push_back(std::string(component_name(component)));
  // The level first: an optional parameter cannot come before a required one.
  m.params = {
      {"level", "the new level", level_names_schema("the new level"), true, std::nullopt},
      {"component",
       "the component; every component when absent",
       {{"type", "string"}, {"enum", std::move(components)}},
       false,
       std::nullopt},
  };
  m.result_name = "log_levels";
  m.result_schema = log_levels_schema();
  m.examples = {
      {"debug the network", {{"component", "net"}, {"level", "debug"}}, example_levels("net", "debug")}};
  m.handler = [](const json& params, const rpc::CallContext&) -> MethodResult {
    const auto level = log_level_from_name(params.at("level").get<std::string>());
    if (!level) return RpcError{error_code::invalid_params, "level: unknown level", std::nullopt};
    std::optional<LogComponent> component;
    if (params.contains("component") && !params.at("component").is_null()) {
      component = component_from_name(params.at("component").get<std::string>());
      if (!component)
        return RpcError{error_code::invalid_params, "component: unknown component", std::nullopt};
    }
    set_log_level(component, *level);
    log_info(LogComponent::node, "log level changed",
             {kv("component", component ? component_name(*component) : std::string_view("all")),
              kv("level", log_level_name(*level))});
    return log_levels_json();
  };
  return m;
}

}  // namespace

SyncProgress sync_progress(uint64_t height, uint64_t best_known_height) {
  SyncProgress out;
  out.height = height;
  out.target_height = std::max(height, best_known_height);
  if (out.target_height == height) {
    out.state = "synced";
    out.progress = kProgressScale;
    return out;
  }
  out.state = "syncing";
  // height < target_height, so the quotient is below kProgressScale; 128 bits cannot overflow.
  __extension__ using U128 = unsigned __int128;
  out.progress = static_cast<uint64_t>(U128{height} * kProgressScale / out.target_height);
  return out;
}

Status register_node_methods(rpc::Registry& registry, Node& node, NodeInfoSources sources) {
  CAIRN_TRY_STATUS(registry.add(node_get_info(node, std::move(sources))));
  CAIRN_TRY_STATUS(registry.add(node_stop(node)));
  CAIRN_TRY_STATUS(registry.add(miner_generate(node)));
  CAIRN_TRY_STATUS(registry.add(miner_get_info(node)));
  CAIRN_TRY_STATUS(registry.add(node_get_log_levels()));
  CAIRN_TRY_STATUS(registry.add(node_set_log_level()));
  return {};
}

}  // namespace cairn
