// A running Cairn node: the chain state of one network on RocksDB (<network datadir>/chain)
// under that network's consensus rules, and the miner when asked to mine. The peer-to-peer
// network, JSON-RPC and the validator join as their issues land.
//
// Lifecycle: open() takes the data directory (RocksDB's lock refuses a second process),
// checks the schema and recovers the chain state (a crash leaves it at a block boundary;
// see docs/chain.md "Durability"); run() serves until `stop` is raised, then returns with
// everything acknowledged durable. Logs go to spdlog's default logger.
//
// Not thread-safe: one thread opens and runs it; only `stop` is touched from elsewhere
// (a signal handler or another thread).
#pragma once

#include <atomic>
#include <memory>

#include "chain/chain_audit.h"
#include "chain/chain_manager.h"
#include "chain/network_rules.h"
#include "chain/sig_cache.h"
#include "crypto/ed25519.h"
#include "node/options.h"
#include "storage/kv.h"
#include "util/clock.h"
#include "util/thread_pool.h"

namespace cairn {

class Node {
 public:
  static Result<std::unique_ptr<Node>> open(const ResolvedNodeOptions& options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Serves until `stop` is raised: mines on the best chain's tip with --mine, else waits.
  // An Error when the store fails (the chain state stays at its last durable block).
  Status run(const std::atomic<bool>& stop);

  // audit_chain_state() of this node's store at its tip.
  Result<ChainAudit> audit() const;

  const ChainManager& chain() const { return *chain_; }

 private:
  explicit Node(const ResolvedNodeOptions& options);

  // One block on the tip: assembled, solved (or abandoned when `stop` rises or the nonce
  // range runs out) and submitted. False when nothing was mined this round.
  Result<bool> mine_one(const std::atomic<bool>& stop);
  // The timestamp of a block on the tip: the clock, but above the median time past.
  uint64_t next_timestamp() const;

  ResolvedNodeOptions options_;
  NetworkChainRules rules_;
  SystemClock clock_;
  OsRng rng_;
  SignatureCache signature_cache_;
  CachingSignatureChecker checker_;
  std::unique_ptr<ThreadPool> verify_pool_;
  std::unique_ptr<KvStore> store_;
  std::unique_ptr<ChainManager> chain_;
  uint64_t extra_nonce_ = 0;
};

}  // namespace cairn
