// The chain manager: the block index, the best chain and the UTXO state on top of a
// KvStore. It accepts blocks (stores the body and an index entry), connects and
// disconnects them (validating against the UTXO set, writing undo data, the LtHash state
// root and the tx and address indexes), and reorganises to the branch with the most
// cumulative work. Batches, validation order and durability are described in docs/chain.md.
//
// Every connect and every disconnect is ONE atomic WriteBatch holding the UTXO changes,
// the undo data, the indexes, the LtHash lanes and the best tip, so the store is always
// at a block boundary. submit_block() syncs before it returns: a tip it reports is durable.
//
// After an I/O error from the store the manager refuses everything with that error
// (kv.h: the store must be closed and reopened); open() on the reopened store recovers.
//
// Not thread-safe: one thread (the chain's) owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "chain/block_index.h"
#include "chain/chain_rules.h"
#include "chain/utxo_cache.h"
#include "consensus/lock_eval.h"
#include "crypto/lthash.h"
#include "storage/kv.h"

namespace cairn {

struct ChainManagerOptions {
  size_t utxo_cache_bytes = UtxoCache::kDefaultMaxBytes;
};

// Blocks whose median timestamp is a block's "median time past" (BIP-113).
inline constexpr size_t kMedianTimeSpan = 11;

class ChainManager {
 public:
  // Loads the block index, the tip and the state accumulator from `store`; an empty store
  // gets the rules' genesis block connected. Schema checks (storage/schema.h) are the
  // caller's, before this. REQUIRES: store, rules and checker outlive the manager.
  static Result<std::unique_ptr<ChainManager>> open(KvStore& store, const ChainRules& rules,
                                                    SignatureChecker& checker,
                                                    const ChainManagerOptions& options = {});

  // Accepts `block` and moves to the best chain. nullopt: the block is stored (or was
  // already) and valid as far as it was connected; the chain state is durable. A
  // rejection: the block is refused or was found invalid (then it and its descendants
  // are marked failed). An Error: the store failed.
  Result<std::optional<BlockRejection>> submit_block(const Block& block);

  const BlockNode& tip() const { return *chain_.back(); }
  // The best chain's block at `height`, or nullptr above the tip.
  const BlockNode* at_height(uint64_t height) const;
  const BlockNode* find(const BlockHash& hash) const { return index_.find(hash); }
  const LtHash& state() const { return state_; }
  const CoinView& coins() const { return coins_; }
  Result<Block> read_block(const BlockHash& hash) const;

 private:
  ChainManager(KvStore& store, const ChainRules& rules, SignatureChecker& checker,
               const ChainManagerOptions& options);

  // Most work first; ties to the block seen first.
  struct CandidateOrder {
    bool operator()(const BlockNode* a, const BlockNode* b) const;
  };

  Status load();
  Status create_genesis();
  // Validates and stores a block; the new (or existing) node in `node`.
  Result<std::optional<BlockRejection>> accept(const Block& block, BlockNode*& node);
  Status activate_best_chain();
  // Connects `node` on top of the tip. REQUIRES: node.parent is the tip (or both are none).
  Result<std::optional<BlockRejection>> connect(BlockNode& node);
  Result<std::optional<BlockRejection>> connect_transactions(const Block& block, BlockNode& node,
                                                             LtHash& state, BlockUndo& undo,
                                                             WriteBatch& batch);
  Status disconnect_tip();
  Status mark_invalid(BlockNode& node);
  bool in_best_chain(const BlockNode& node) const;
  // Median of the timestamps of the up to kMedianTimeSpan blocks before `node`; the
  // genesis block's own timestamp for genesis.
  uint64_t median_time_past(const BlockNode& node) const;
  // Both fail the manager on error (kv.h: the store must be reopened).
  Status write(const WriteBatch& batch);
  Status sync();

  KvStore& store_;
  const ChainRules& rules_;
  SignatureChecker& checker_;
  BlockHash genesis_hash_;
  BlockIndex index_;
  std::vector<BlockNode*> chain_;  // the best chain by height; never empty once open
  // Stored, not failed, with more work than the tip: where activate_best_chain() looks.
  std::set<BlockNode*, CandidateOrder> candidates_;
  UtxoCache coins_;
  LtHash state_;  // of the tip
  std::optional<Error> failure_;
  bool unsynced_ = false;
  // The last block found invalid while connecting, for submit_block's verdict.
  std::optional<std::pair<const BlockNode*, BlockRejection>> last_invalid_;
};

}  // namespace cairn
