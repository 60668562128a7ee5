// A running Cairn node: the chain state of one network on RocksDB (<network datadir>/chain)
// under that network's consensus rules, its mempool and vote pool (kept in step with the
// chain through listeners), the miner when asked to mine (blocks carry the mempool's best
// transactions and the pending votes), and the validator duty when given a voting key: one
// vote per epoch, guarded by the slashing-protection record. The peer-to-peer network and
// JSON-RPC join as their issues land.
//
// Lifecycle: open() takes the data directory (RocksDB's lock refuses a second process),
// checks the schema and recovers the chain state (a crash leaves it at a block boundary;
// see docs/chain.md "Durability"); run() serves until `stop` is raised, then returns with
// everything acknowledged durable. Logs go to spdlog's default logger.
//
// Not thread-safe: one thread (the chain's) opens it and calls everything else, run()
// included; only `stop` is touched from elsewhere (a signal handler or another thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "chain/chain_audit.h"
#include "chain/chain_manager.h"
#include "chain/mempool.h"
#include "chain/miner.h"
#include "chain/network_rules.h"
#include "chain/sig_cache.h"
#include "chain/slashing_protection.h"
#include "chain/validator.h"
#include "chain/vote_pool.h"
#include "crypto/ed25519.h"
#include "node/options.h"
#include "storage/kv.h"
#include "util/clock.h"
#include "util/thread_pool.h"

namespace cairn {

// A validator's duty: its voting key and the slashing-protection record guarding it
// (docs/consensus.md "Staking and finality"; a missing file is an empty record).
struct ValidatorConfig {
  KeyPair key;
  std::filesystem::path protection_file;
};

class Node {
 public:
  // With `validator`, the node votes on networks with finality (refused on others).
  static Result<std::unique_ptr<Node>> open(const ResolvedNodeOptions& options,
                                            std::optional<ValidatorConfig> validator = std::nullopt);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Serves until `stop` is raised: mines on the best chain's tip with --mine, else waits.
  // An Error when the store fails (the chain state stays at its last durable block).
  Status run(const std::atomic<bool>& stop);

  // Mines blocks on the tip until `count` were mined or `stop` is raised (what run() does
  // with --mine, one block at a time); the number mined. Each new tip gets the validator
  // duty. An Error when the store fails.
  Result<uint64_t> mine_blocks(uint64_t count, const std::atomic<bool>& stop);

  // Offers a transaction to the mempool (what RPC and relay call): the pool's verdict.
  MempoolVerdict submit_transaction(const Transaction& tx);
  // Offers a finality vote to the vote pool (what gossip will call): why it was refused.
  VoteReject submit_vote(const Vote& vote);

  const Mempool& mempool() const { return *mempool_; }
  const VotePool& vote_pool() const { return *vote_pool_; }
  // Votes this node's validator signed since it was opened.
  uint64_t votes_cast() const { return votes_cast_; }

  // audit_chain_state() of this node's store at its tip; with `replay`, audit_by_replay()
  // too (every stored block connected again into a fresh in-memory state and compared).
  Result<ChainAudit> audit(bool replay) const;

  const ChainManager& chain() const { return *chain_; }

 private:
  explicit Node(const ResolvedNodeOptions& options);

  // One block on the tip: assembled, solved (or abandoned when `stop` rises or the nonce
  // range runs out) and submitted. False when nothing was mined this round.
  Result<bool> mine_one(const std::atomic<bool>& stop);
  // The timestamp of a block on the tip: the clock, but above the median time past.
  uint64_t next_timestamp() const;
  // The block template on the tip: the mempool's best transactions within the consensus
  // limits and the pending votes, with the coinbase claiming their fees and rewards.
  BlockTemplate block_template(uint64_t timestamp) const;
  // After the tip moved: the validator duty, and the finalization log.
  void tip_changed();
  // Votes for the tip's epoch checkpoint unless that epoch was handled already.
  void validator_duty();

  ResolvedNodeOptions options_;
  NetworkChainRules rules_;
  SystemClock clock_;
  OsRng rng_;
  SignatureCache signature_cache_;
  CachingSignatureChecker checker_;
  std::unique_ptr<ThreadPool> verify_pool_;
  std::unique_ptr<KvStore> store_;
  // Declared before chain_ so that they outlive it (the manager calls the listeners).
  std::unique_ptr<Mempool> mempool_;
  std::unique_ptr<VotePool> vote_pool_;
  std::unique_ptr<MempoolChainListener> mempool_listener_;
  std::unique_ptr<VotePoolChainListener> vote_pool_listener_;
  std::unique_ptr<ChainManager> chain_;
  std::unique_ptr<SlashingProtection> protection_;
  std::unique_ptr<Validator> validator_;
  // The last epoch whose checkpoint the validator duty handled (voted or was refused).
  std::optional<uint64_t> duty_epoch_;
  uint64_t votes_cast_ = 0;
  uint64_t finalized_height_ = 0;  // last logged
  uint64_t extra_nonce_ = 0;
};

}  // namespace cairn
