// The vote pool: finality votes waiting for a block. A vote is admitted when the next block
// on the best chain's tip could include it (the consensus vote rules of
// consensus/finality.h, checked against the tip's stake state after the next block's epoch
// transition), and leaves when the chain counts it, it leaves the inclusion window, or a
// chain change makes it invalid. Rules and limits: docs/chain.md "Validator duty and the
// vote pool". The node's validator feeds it; gossip ([E]) will too.
//
// Not thread-safe: the chain's thread owns it, since add() and update() read the chain
// manager (whose const accessors are only valid on that thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "chain/chain_manager.h"
#include "consensus/staking.h"
#include "primitives/block.h"
#include "util/metrics.h"

namespace cairn {

// Pending votes the pool holds at most: 16 blocks' worth at the consensus vote limit, far
// above what two epochs of a large validator set produce, and about 12 MiB.
inline constexpr size_t kMaxPendingVotes = 65'536;

// Why a vote was refused. DO NOT REORDER: reported to peers and logs.
enum class VoteReject : uint8_t {
  none = 0,
  no_finality,            // the chain has no staking and finality
  already_pending,        // the pool holds a vote of this validator for this target epoch
  out_of_window,          // the next block may not include a vote for this target epoch
  bad_epochs,             // source epoch not below the target epoch
  target_not_checkpoint,  // target hash is not the best chain's checkpoint of its epoch
  source_not_justified,   // source epoch is not justified on the best chain
  source_not_checkpoint,  // source hash is not the best chain's checkpoint of its epoch
  not_a_validator,        // no validator record for the key
  not_in_dynasty,         // in neither dynasty set of the target epoch (or slashed)
  already_counted,        // the chain's tally already counts this validator's vote for the epoch
  bad_signature,          // not signed by the validator over the vote and the genesis hash
  pool_full,              // kMaxPendingVotes (or the pool's own bound) reached
};
const char* to_string(VoteReject r);

class VotePool {
 public:
  // `params`: the network's finality parameters; `genesis`: its genesis hash (votes sign
  // it). `max_votes`: the bound.
  VotePool(const FinalityParams& params, const BlockHash& genesis, size_t max_votes = kMaxPendingVotes)
      : params_(params), genesis_(genesis), max_votes_(max_votes) {}

  // Checks `vote` against `chain`'s tip and keeps it; the first rule it breaks otherwise.
  VoteReject add(const Vote& vote, const ChainManager& chain);

  // The chain moved: drops the votes the next block on `chain`'s new tip may no longer
  // include (counted, out of the window, not matching the new best chain's checkpoints).
  void update(const ChainManager& chain);

  // Up to `max_votes` pending votes for a block on the tip, by target epoch then validator
  // key (deterministic), leaving out the validators in `excluded` (e.g. slashed by the same
  // block's transactions, which would make their votes invalid).
  std::vector<Vote> select_for_block(size_t max_votes, const std::set<PublicKey>& excluded = {}) const;

  bool contains(const Vote& vote) const;
  size_t size() const { return pending_.size(); }
  // Vote signatures add() verified, for /metrics; may be read from any thread.
  uint64_t signature_verifications() const { return signature_verifications_.value(); }

 private:
  // The stake state the next block's votes are checked against, for `chain`'s tip.
  const StakeState& next_state(const ChainManager& chain);
  // Every rule but the signature and the pool's own (duplicates, bound).
  VoteReject check(const Vote& vote, const ChainManager& chain, const StakeState& next) const;

  FinalityParams params_;
  BlockHash genesis_;
  size_t max_votes_;
  metrics::Counter signature_verifications_;
  std::map<std::pair<uint64_t, PublicKey>, Vote> pending_;  // by (target epoch, validator)
  // next_state() for the tip with this hash.
  std::optional<std::pair<BlockHash, StakeState>> next_state_;
};

// Keeps a VotePool in step with a ChainManager (ChainManager::add_listener): update() at
// every chain_updated(). Called on the chain's thread; `pool` and `chain` must outlive it.
class VotePoolChainListener final : public ChainListener {
 public:
  VotePoolChainListener(VotePool& pool, const ChainManager& chain) : pool_(pool), chain_(chain) {}
  void block_disconnected(const Block& /*block*/, uint64_t /*height*/) override {}
  void block_connected(const Block& /*block*/, uint64_t /*height*/) override {}
  void chain_updated() override { pool_.update(chain_); }

 private:
  VotePool& pool_;
  const ChainManager& chain_;
};

}  // namespace cairn
