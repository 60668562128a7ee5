// cairnd's JSON-RPC service (docs/rpc.md): every method namespace in one registry, the
// dispatcher, authentication (the cookie in the data dir and the --rpc-user accounts), a
// per-client rate limit, WebSocket subscriptions fed by the chain and the mempool, and the
// Beast server on its own thread.
//
// Threads: the server's io thread does the I/O; requests are parsed, checked and dispatched
// on a small worker pool, and every handler that reads chain state hops onto the chain
// thread through Node::call() (so a long miner_generate never stalls the server, and the
// chain state keeps its single owner). Subscriptions are published from the chain thread.
//
// Pages (GET/HEAD) on the same listener: /metrics (node/metrics.h) for loopback callers and
// admin credentials (403 to others), and the explorer's static files at every other path
// (rpc/static_site.h) unless --no-explorer. With --metrics-listen a second listener serves
// /metrics alone to anyone (404 elsewhere; no JSON-RPC, no WebSocket). Both settings are read
// from node.options().
//
// Lifecycle: start() after Node::open() and before Node::run(); destroy (or stop()) after
// run() returned and before the node: it stops the server, joins its threads and removes the
// cookie.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "node/network_service.h"
#include "node/node.h"
#include "node/options.h"
#include "rpc/registry.h"
#include "rpc/server.h"
#include "util/result.h"

namespace cairn {

// Per-client requests per second and burst (api.h AdmitFn). The cookie user (the local
// operator's own tools) is not limited.
inline constexpr uint32_t kRpcRatePerSecond = 200;
inline constexpr uint32_t kRpcRateBurst = 400;
// Threads that parse and dispatch requests (and wait on the chain thread for chain reads).
inline constexpr size_t kRpcWorkerThreads = 4;
// The path of the metrics page, and the connections the --metrics-listen listener takes at
// once (scrapers, not browsers).
inline constexpr const char* kMetricsPath = "/metrics";
inline constexpr size_t kMetricsListenerMaxConnections = 16;

// Every method cairnd serves over `node`: chain_*, tx_*, address_*, mempool_*, finality_*,
// staking_*, contract_*, node_*, miner_*, node_subscribe/node_unsubscribe and rpc.discover. What the
// server dispatches, rpc.discover lists and docs/rpc.md documents.
class NodeMethods;

class RpcService {
 public:
  // Writes the cookie, binds the listen address and starts serving. An Error (naming the
  // address or file) when the address cannot be bound or an --rpc-user line is invalid.
  // `network` (null with --no-p2p) serves the net_* methods; it must outlive the service.
  static Result<std::unique_ptr<RpcService>> start(Node& node, const RpcOptions& options,
                                                   NetworkService* network = nullptr);
  ~RpcService();
  RpcService(const RpcService&) = delete;
  RpcService& operator=(const RpcService&) = delete;

  // The bound addresses (with the actual ports when the configured one was 0).
  std::vector<boost::asio::ip::tcp::endpoint> endpoints() const;
  // The --metrics-listen listener's bound addresses; empty without it.
  std::vector<boost::asio::ip::tcp::endpoint> metrics_endpoints() const;
  rpc::ServerStats stats() const;
  // The /metrics page as a scrape gets it (thread-safe).
  std::string metrics_page() const;
  // Whether the explorer's files are served at / (found and enabled).
  bool serves_explorer() const;
  const rpc::Registry& registry() const;

  // Stops the server, waits for its threads and removes the cookie. Idempotent.
  void stop();

  struct State;  // rpc_service.cpp

 private:
  explicit RpcService(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The registry of every method over `node` with the services it needs, without a server:
// what docs/rpc.md is generated from, and what tests dispatch against.
class NodeMethods {
 public:
  static Result<std::unique_ptr<NodeMethods>> create(Node& node, NetworkService* network = nullptr);
  ~NodeMethods();
  const rpc::Registry& registry() const;

  struct State;  // rpc_service.cpp

 private:
  explicit NodeMethods(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace cairn
