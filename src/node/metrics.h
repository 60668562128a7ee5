// cairnd's /metrics page (docs/metrics.md): every cairn_* family in the Prometheus text
// format 0.0.4, read at scrape time from the components' own counters — the chain
// manager's ChainMetrics, the mempool and vote pool, the store's engine statistics, the
// network's NetworkStats, the RPC server's ServerStats and the dispatcher's latencies —
// and from /proc for the process.
//
// Thread-safety: render_node_metrics() reads only what is safe from any thread (atomics
// and the thread-safe queries of each component), never the chain state itself, so the
// RPC server's thread can answer a scrape without waiting for the chain thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "node/network_service.h"
#include "node/node.h"
#include "rpc/server.h"
#include "util/metrics.h"

namespace cairn {

// What the process reports about itself in /proc (Linux); a figure it could not read is
// nullopt and left off the page.
struct ProcessStats {
  std::optional<uint64_t> resident_memory_bytes;
  std::optional<uint64_t> open_fds;
  std::optional<double> start_time_seconds;  // since the Unix epoch
};
ProcessStats read_process_stats();

// The RPC service's share of the page.
struct RpcFigures {
  rpc::ServerStats server;
  // Per JSON-RPC method called at least once (rpc::Dispatcher::latencies()).
  std::vector<std::pair<std::string, metrics::HistogramSnapshot>> latencies;
};

// The whole page. `network` is null with --no-p2p (its families are then left out, but
// cairn_peers, which reads 0); `rpc` is nullopt without the RPC service.
std::string render_node_metrics(const Node& node, const NetworkService* network,
                                const std::optional<RpcFigures>& rpc);

}  // namespace cairn
