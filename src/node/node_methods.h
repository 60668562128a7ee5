// The node_* and miner_* JSON-RPC methods (notes/rpc-methods.md, docs/rpc.md): node_get_info
// (version, uptime, tip, finality, peers, sync progress), node_stop [admin], miner_generate
// [admin, regtest only], miner_get_info, and node_get_log_levels / node_set_log_level
// [admin] (node/logging.h).
//
// The handlers may be called on any thread: they reach chain state through Node::call() and
// Node::generate(), which queue the work on the chain thread and block the caller until it
// is done (on the chain thread itself they run inline).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "node/node.h"
#include "rpc/registry.h"

namespace cairn {

// miner_generate mines at most this many blocks per call.
inline constexpr uint64_t kMaxGenerateBlocks = 1'000;
// Sync progress is reported in integer parts per million (never a float).
inline constexpr uint64_t kProgressScale = 1'000'000;

// Where node_get_info's network figures come from until (and once) the peer-to-peer network
// runs. Both thread-safe; absent ones mean "no network": no peers, nothing to sync towards.
struct NodeInfoSources {
  std::function<uint64_t()> peer_count;
  // The best header height known from peers (at least the tip's when in sync).
  std::function<uint64_t()> best_known_height;
  // Seconds the block download expects to need to reach it; nullopt when unknown.
  std::function<std::optional<int64_t>()> sync_eta_seconds;
};

struct SyncProgress {
  std::string state;  // "synced" or "syncing"
  uint64_t height = 0;
  uint64_t target_height = 0;
  uint64_t progress = 0;  // parts per million of target_height reached, kProgressScale when synced
  std::optional<int64_t> eta_seconds;
};

// Progress from the tip height towards the best known height (the tip's when that is lower).
SyncProgress sync_progress(uint64_t height, uint64_t best_known_height);

// Adds node_get_info, node_stop, miner_generate, miner_get_info, node_get_log_levels and
// node_set_log_level. `node` (and the
// sources' captures) must outlive the registry. An Error only for a spec the registry
// refuses (a programming error).
Status register_node_methods(rpc::Registry& registry, Node& node, NodeInfoSources sources = {});

}  // namespace cairn
