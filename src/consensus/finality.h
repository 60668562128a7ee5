// Casper FFG finality over the proof-of-work chain, with EIP-1011 dynasties: applying a
// block's staking transactions and votes to a StakeState, undoing it, and what fork choice
// and the coinbase rule read from the state. Rules and numbers: docs/consensus.md
// "Staking and finality". Pure functions of their arguments: no I/O, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "consensus/block_error.h"
#include "consensus/finality_params.h"
#include "consensus/staking.h"
#include "primitives/block.h"

namespace cairn {

// The chain's checkpoints below the block being applied. Implemented by the chain manager
// over its block index; must answer for every epoch e with e * epoch_length < height.
class CheckpointLookup {
 public:
  virtual ~CheckpointLookup() = default;
  // Hash of this chain's block at height epoch * epoch_length.
  virtual BlockHash checkpoint_hash(uint64_t epoch) const = 0;
};

uint64_t epoch_of(const FinalityParams& params, uint64_t height);
bool is_checkpoint_height(const FinalityParams& params, uint64_t height);

// Everything apply_block needs besides the block and the state.
struct BlockContext {
  const FinalityParams& params;
  BlockHash genesis;
  BlockHash hash;  // of the block being applied (block.header.height is its height)
  const CheckpointLookup& checkpoints;
  // One entry per transaction of the block, in order: what it spends (coinbase: nothing).
  std::span<const SpentInputs> spent;
};

struct AppliedBlock {
  StakeUndo undo;
  std::vector<StakeFlow> flows;  // one per transaction (zero for non-staking ones)
};

// Applies one block (its height must be the state's tip + 1): at a checkpoint height first
// the epoch transition (dynasty change, inactivity leak, the new epoch's tally), then the
// staking transactions in order, then the votes in order. On rejection `state` is unchanged.
std::variant<AppliedBlock, BlockRejection> apply_block(StakeState& state, const Block& block,
                                                       const BlockContext& ctx);
// Restores exactly the state before the block whose undo this is.
void undo_block(StakeState& state, const StakeUndo& undo);

// What the coinbase may claim for including `votes` votes (besides subsidy and fees).
Amount includer_reward(const FinalityParams& params, uint64_t votes);

// For fork choice (rank tips by justified epoch, then work) and the finalized guard (never
// reorganise below it).
uint64_t last_justified_epoch(const StakeState& state);
FinalityCheckpoint last_finalized(const StakeState& state);

// The vote an honest validator casts at a tip whose state is `state`: source = the last
// justified checkpoint, target = the checkpoint of `target_epoch` (hash `target_hash`).
// Unsigned; chain/validator.h checks slashing protection and signs it.
Vote honest_vote(const StakeState& state, const PublicKey& validator, uint64_t target_epoch,
                 const BlockHash& target_hash);

}  // namespace cairn
