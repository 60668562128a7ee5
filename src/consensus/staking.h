// The stake state of a chain — validator records, dynasty counters, justified and finalized
// checkpoints, vote tallies of the open epochs — with its undo record, canonical encodings,
// state-root elements, and the rules of the four staking transactions.
//
// StakeState is a value: apply_block (consensus/finality.h) changes it and returns a
// StakeUndo from which undo_block restores it exactly. Ordered containers only, so every
// iteration and encoding is deterministic. Not thread-safe; one owner (the chain thread).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "consensus/block_error.h"
#include "consensus/finality_params.h"
#include "crypto/lthash.h"
#include "primitives/block.h"
#include "primitives/staking.h"
#include "util/codec.h"

namespace cairn {

inline constexpr uint8_t kFinalityStateVersion = 1;
inline constexpr uint8_t kStakeUndoVersion = 1;
// Decoder caps: far above what the state can hold (validators are bounded by kMaxMoney / min
// stake, open epochs by the inclusion window).
inline constexpr size_t kMaxEncodedValidators = 10'000'000;
inline constexpr size_t kMaxEncodedEpochs = 1'000'000;

struct FinalityCheckpoint {
  uint64_t epoch = 0;
  BlockHash hash;
  bool operator==(const FinalityCheckpoint&) const = default;
};

// Stake of the votes for one link source -> target, by dynasty set of the target epoch.
struct LinkTally {
  Amount current = 0;   // voters in the target epoch's dynasty d
  Amount previous = 0;  // voters in dynasty d - 1
  bool operator==(const LinkTally&) const = default;
};

// One validator's counted vote in a tally: enough to take it out again if it is slashed.
struct CountedVote {
  uint64_t source_epoch = 0;
  Amount stake = 0;  // the stake it added to the link
  bool operator==(const CountedVote&) const = default;
};

// The votes counted for one target epoch while it is within the inclusion window.
struct EpochTally {
  uint64_t dynasty = 0;                     // the dynasty during that epoch
  std::map<uint64_t, LinkTally> links;      // by source epoch
  std::map<PublicKey, CountedVote> voters;  // each validator counts once per target epoch
  bool operator==(const EpochTally&) const = default;
};

// Everything but the validator records.
struct FinalityState {
  uint64_t dynasty = 0;
  // The epoch whose checkpoint block started the current dynasty. The dynasty advances only
  // once a checkpoint at or after it is finalized, so every block of a dynasty is finalized
  // before the dynasty after next begins: a bond or unbond (effective two dynasties later)
  // is final before it takes effect.
  uint64_t dynasty_start_epoch = 0;
  FinalityCheckpoint last_justified;
  FinalityCheckpoint last_finalized;
  std::set<uint64_t> justified_epochs;     // justified epochs >= last_finalized.epoch
  std::map<uint64_t, EpochTally> tallies;  // by target epoch: the epochs votes may still target
  bool operator==(const FinalityState&) const = default;
};

struct StakeState {
  std::map<PublicKey, ValidatorRecord> validators;  // by voting key
  FinalityState finality;

  // The state after the genesis block: no validators, dynasty 0, genesis (epoch 0)
  // justified and finalized.
  static StakeState at_genesis(const BlockHash& genesis_hash);
  bool operator==(const StakeState&) const = default;
};

// What undo_block needs: the finality state before the block and the prior value of every
// validator record the block touched (nullopt: the record did not exist), in first-touch
// order. The touched keys are also the records the chain must rewrite in storage.
struct StakeUndo {
  FinalityState finality;
  std::vector<std::pair<PublicKey, std::optional<ValidatorRecord>>> validators;
  bool operator==(const StakeUndo&) const = default;
};

// Membership of dynasty d's validator set.
bool in_dynasty(const ValidatorRecord& v, uint64_t dynasty);
// Total stake of dynasty d's set (0 for a dynasty before the first).
Amount dynasty_stake(const StakeState& state, uint64_t dynasty);

// Canonical encodings (docs/consensus.md "Staking and finality"; storage: docs/storage.md).
void encode(Writer& w, const FinalityState& f);
FinalityState decode_finality_state(Reader& r);
Bytes encode(const FinalityState& f);
Result<FinalityState> decode_finality_state(ByteSpan bytes);
Bytes encode(const StakeUndo& undo);
Result<StakeUndo> decode_stake_undo(ByteSpan bytes);

// The state-root element of the finality state: 3 u8 ‖ encode(finality state).
Bytes finality_state_element(const FinalityState& f);
// Adds every element of `state` (validators and finality state): a rebuild or genesis.
void add_stake_elements(LtHash& h, const StakeState& state);
// Moves `h` from the state before a block to `after` (call after apply_block) and back
// (call before undo_block), touching only what the block changed.
void apply_stake_delta(LtHash& h, const StakeState& after, const StakeUndo& undo);
void revert_stake_delta(LtHash& h, const StakeState& after, const StakeUndo& undo);

// Applies changes to a StakeState while recording their undo. Not thread-safe.
class StakeEditor {
 public:
  StakeEditor(StakeState& state, StakeUndo& undo) : state_(state), undo_(undo) {}
  const StakeState& state() const { return state_; }
  FinalityState& finality() { return state_.finality; }
  const ValidatorRecord* find(const PublicKey& key) const;
  void put(const ValidatorRecord& record);
  void erase(const PublicKey& key);

 private:
  void remember(const PublicKey& key);
  StakeState& state_;
  StakeUndo& undo_;
  std::set<PublicKey> touched_;  // keys already in undo_.validators
};

// The block facts the transaction rules need.
struct StakeTxContext {
  const FinalityParams& params;
  BlockHash genesis;
  uint64_t epoch = 0;  // of the block
};

// What one transaction spends: the sum of its inputs' values and their locks, from the
// chain's coin view (the coinbase spends nothing).
struct SpentInputs {
  Amount value = 0;
  std::vector<OutputLock> locks;
};

// Value a staking transaction moves between stake and coins: `released` counts as extra
// input value (withdrawn stake, slashing reward), `locked` as extra output value (bond).
// Value conservation: inputs + released >= outputs + locked; the fee is the difference.
struct StakeFlow {
  Amount released = 0;
  Amount locked = 0;
  bool operator==(const StakeFlow&) const = default;
};

// Checks one transaction against the stake rules and applies it. Non-staking payloads
// return a zero flow. Errors: bad_payload (body does not decode), bad_stake, bad_evidence.
std::variant<StakeFlow, BlockRejection> apply_stake_transaction(StakeEditor& editor, const Transaction& tx,
                                                                const SpentInputs& spent,
                                                                const StakeTxContext& ctx);

}  // namespace cairn
